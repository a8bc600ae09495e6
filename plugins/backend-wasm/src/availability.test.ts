// Runs in its own worker: @tensorflow/tfjs-backend-wasm is made unloadable.
import { BackendUnavailableError, useBackend } from '@charlearn/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { wasmBackend } from './index';

vi.mock('@tensorflow/tfjs-backend-wasm', () => {
  throw new Error("Cannot find module '@tensorflow/tfjs-backend-wasm'");
});

describe('isAvailable() never throws', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('reports a missing @tensorflow/tfjs-backend-wasm with an install hint', async () => {
    const a = await wasmBackend.isAvailable();
    expect(a.available).toBe(false);
    if (!a.available) {
      expect(a.reason).toMatch(/@tensorflow\/tfjs-backend-wasm could not be loaded/);
      expect(a.reason).toMatch(/npm i @tensorflow\/tfjs-backend-wasm/);
    }
    await expect(useBackend('wasm')).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it('reports a runtime without WebAssembly', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    expect(await wasmBackend.isAvailable()).toEqual({ available: false, reason: 'WebAssembly is not available in this JavaScript runtime' });
  });
});
