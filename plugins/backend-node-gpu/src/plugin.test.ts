import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendUnavailableError, backends, useBackend } from '@charlearn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeGpuBackend, nodeGpuBackend, TFJS_NODE_GPU_REQUIREMENTS } from './index';

const require = createRequire(import.meta.url);
const roots: string[] = [];

/** A folder whose node_modules holds a fake @tensorflow/tfjs-node-gpu with this index.js. */
function fakePackage(indexJs: string | undefined): string {
  const root = mkdtempSync(join(tmpdir(), 'charlearn-node-gpu-'));
  roots.push(root);
  if (indexJs !== undefined) {
    const dir = join(root, 'node_modules', '@tensorflow', 'tfjs-node-gpu');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', version: '4.22.0', main: 'index.js' }));
    writeFileSync(join(dir, 'index.js'), indexJs);
  }
  return `${root}/`;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

let installed = true;
try {
  require.resolve('@tensorflow/tfjs-node-gpu');
} catch {
  installed = false;
}

describe('node-gpu when @tensorflow/tfjs-node-gpu is absent', () => {
  it('isAvailable() is false with the install command, CUDA/cuDNN/libtensorflow versions; useBackend rejects', async () => {
    const plugin = createNodeGpuBackend({ name: 'test/absent', resolveFrom: fakePackage(undefined) });
    const a = await plugin.isAvailable();
    expect(a.available).toBe(false);
    if (!a.available) {
      expect(a.reason).toMatch(/^package not installed: npm i @tensorflow\/tfjs-node-gpu@\^4\.22\.0/);
      expect(a.reason).toContain(`CUDA ${TFJS_NODE_GPU_REQUIREMENTS.cuda}`);
      expect(a.reason).toContain(`cuDNN ${TFJS_NODE_GPU_REQUIREMENTS.cudnn}`);
      expect(a.reason).toContain(`libtensorflow ${TFJS_NODE_GPU_REQUIREMENTS.libtensorflow}`);
    }
    const err = await rejection(useBackend(plugin));
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as BackendUnavailableError).backend).toBe('test/absent');
    await expect(plugin.setup()).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(tf.getBackend()).toBe('cpu');
  });

  it.skipIf(installed)("the registered 'node-gpu' plugin reports the same here (the package is not installed)", async () => {
    expect(backends.get('node-gpu')).toBe(nodeGpuBackend);
    const err = await rejection(useBackend('node-gpu'));
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(/backend 'node-gpu' is not available: package not installed: npm i @tensorflow\/tfjs-node-gpu/);
  });
});

describe('node-gpu when the package is present but broken', () => {
  it('a missing native addon (the real check of tfjs-node-gpu 4.22) → what is missing and how to fix it', async () => {
    // The same test and message as tfjs-node-gpu's dist/index.js, with the path layout of node-pre-gyp.
    const index = `
      const path = require('path');
      const bindingPath = path.join(__dirname, 'lib', 'napi-v8', 'tfjs_binding.node');
      if (!require('fs').existsSync(bindingPath)) {
        throw new Error("The Node.js native addon module (tfjs_binding.node) can not be found at path: " + bindingPath +
          ". \\nPlease run command 'npm rebuild @tensorflow/tfjs-node-gpu --build-addon-from-source' to rebuild the native addon module.");
      }`;
    const plugin = createNodeGpuBackend({ name: 'test/broken', resolveFrom: fakePackage(index) });
    const err = await rejection(useBackend(plugin));
    expect(err).toBeInstanceOf(BackendUnavailableError);
    const reason = (err as BackendUnavailableError).reason;
    expect(reason).toMatch(/installed but its native addon \(tfjs_binding\.node\) is missing/);
    expect(reason).toMatch(/npm rebuild @tensorflow\/tfjs-node-gpu/);
    expect(reason).toMatch(/libtensorflow 2\.9\.1/);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('a CUDA library that does not load → names it and the CUDA/cuDNN versions', async () => {
    const plugin = createNodeGpuBackend({
      name: 'test/no-cuda',
      load: () => {
        throw new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory');
      },
    });
    const a = await plugin.isAvailable();
    expect(a).toEqual({
      available: false,
      reason:
        "@tensorflow/tfjs-node-gpu's native addon cannot load a CUDA library (libcudart.so.11.0: cannot open shared object file: No such file or directory): " +
        'install CUDA 11.2 and cuDNN 8.1.0 and put their lib folders on LD_LIBRARY_PATH',
    });
  });

  it('a package bound to another copy of @tensorflow/tfjs-core → a clear error naming both versions', async () => {
    const index = `exports.version = { 'tfjs-core': '4.0.0' }; // registers its backend elsewhere`;
    const plugin = createNodeGpuBackend({ name: 'test/other-core', resolveFrom: fakePackage(index) });
    const a = await plugin.isAvailable();
    expect(a.available).toBe(false);
    if (!a.available) expect(a.reason).toMatch(new RegExp(`another copy of @tensorflow/tfjs-core \\(its tfjs-core 4\\.0\\.0, charlearn's ${tf.version_core.replace(/\./g, '\\.')}\\)`));
  });
});

describe('node-gpu when the package loads', () => {
  it("registers its 'tensorflow' backend: isAvailable keeps the current backend, setup switches to it", async () => {
    // Stands in for the native package: same side effects (register 'tensorflow' at priority 3 and make it
    // current), backed by the cpu kernels, in charlearn's own tfjs-core.
    const index = `
      const tf = require(${JSON.stringify(require.resolve('@tensorflow/tfjs-core'))});
      const { MathBackendCPU } = require(${JSON.stringify(require.resolve('@tensorflow/tfjs-backend-cpu'))});
      tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
      for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
      tf.setBackend('tensorflow');
      exports.version = { 'tfjs-core': tf.version_core };`;
    const plugin = createNodeGpuBackend({ name: 'test/ok', resolveFrom: fakePackage(index) });
    try {
      expect(await plugin.isAvailable()).toEqual({ available: true });
      expect(tf.getBackend()).toBe('cpu');
      await useBackend(plugin);
      expect(tf.getBackend()).toBe('tensorflow');
      const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
      expect(Array.from(await y.data())).toEqual([11]);
    } finally {
      await tf.setBackend('cpu');
      tf.removeBackend('tensorflow');
    }
  });
});
