// Runs in its own worker: a failed wasm initialisation cannot be undone in a process.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { setupWasmBackend } from './index';

describe('wasmPaths option', () => {
  it('is used to locate the binaries, and a wrong one fails with a clear error', async () => {
    expect(tf.engine().registry.wasm).toBeUndefined();
    // Emscripten and tfjs log the failed fetch; keep the test output clean.
    const quiet = [vi.spyOn(console, 'warn').mockImplementation(() => {}), vi.spyOn(console, 'error').mockImplementation(() => {})];
    try {
      await expect(setupWasmBackend({ wasmPaths: '/nonexistent/charlearn-wasm/' })).rejects.toThrow(
        /failed to initialise \(binaries looked up at \/nonexistent\/charlearn-wasm\/\).*wasmPaths/,
      );
    } finally {
      quiet.forEach((s) => s.mockRestore());
    }
  });
});
