// Runs in its own process: the `webgpu` package (Dawn for Node) is made unloadable.
import { BackendUnavailableError, useBackend } from '@charlearn/core';
import { describe, expect, it, vi } from 'vitest';
import { webgpuBackend, webgpuDiagnostics } from './index';

vi.mock('webgpu', () => {
  const e = new Error("Cannot find package 'webgpu' imported from /app/index.js") as Error & { code: string };
  e.code = 'ERR_MODULE_NOT_FOUND';
  throw e;
});

describe('Node without the webgpu package', () => {
  it('isAvailable() is false with an install hint, and useBackend rejects with it', async () => {
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
    const a = await webgpuBackend.isAvailable();
    expect(a).toEqual({ available: false, reason: "the optional peer dependency 'webgpu' (Dawn for Node) is not installed: npm i webgpu" });
    expect((await webgpuDiagnostics()).runtime).toBe('node');
    const err = await useBackend('webgpu').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as BackendUnavailableError).reason).toMatch(/npm i webgpu/);
  });
});
