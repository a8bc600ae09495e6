import '@tensorflow/tfjs-backend-cpu';
import { BackendUnavailableError, UnknownPluginError, backends } from '@charlearn/core';
import { describe, expect, it, vi } from 'vitest';
import { CLI_BACKENDS, ensureBackendPlugin, selectBackend } from './backends';

function notFound(id: string): Error {
  return Object.assign(new Error(`Cannot find package '${id}' imported from /app/dist/bin.js`), { code: 'ERR_MODULE_NOT_FOUND' });
}

describe('--backend plugin loading', () => {
  it('knows wasm, cpu, webgpu and node-gpu', () => {
    expect(Object.keys(CLI_BACKENDS)).toEqual(['wasm', 'cpu', 'webgpu', 'node-gpu']);
  });

  it('a plugin package that is not installed → BackendUnavailableError with the install command', async () => {
    const importer = vi.fn(async (id: string) => {
      throw notFound(id);
    });
    const err = await selectBackend('node-gpu', importer).catch((e: unknown) => e);
    expect(importer).toHaveBeenCalledWith('@charlearn/backend-node-gpu');
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(/its plugin @charlearn\/backend-node-gpu is not installed: npm i @charlearn\/backend-node-gpu @tensorflow\/tfjs-node-gpu/);
  });

  it('a plugin that fails to load, or loads but registers nothing, is reported as such', async () => {
    await expect(ensureBackendPlugin('webgpu', async () => Promise.reject(new Error('dawn.node: bad ELF')))).rejects.toThrow(/failed to load: dawn\.node: bad ELF/);
    await expect(ensureBackendPlugin('webgpu', async () => ({}))).rejects.toThrow(/registered no 'webgpu' backend/);
  });

  it('an unknown name is not imported; useBackend lists the registered backends', async () => {
    const importer = vi.fn(async () => ({}));
    const err = await selectBackend('tpu', importer).catch((e: unknown) => e);
    expect(importer).not.toHaveBeenCalled();
    expect(err).toBeInstanceOf(UnknownPluginError);
  });

  it('the real packages register their plugins when imported by name', async () => {
    expect(backends.has('node-gpu')).toBe(false);
    await ensureBackendPlugin('node-gpu');
    expect(backends.has('node-gpu')).toBe(true);
    await ensureBackendPlugin('webgpu');
    expect(backends.has('webgpu')).toBe(true);
  });
});
