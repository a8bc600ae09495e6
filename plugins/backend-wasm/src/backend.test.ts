import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { backends, useBackend } from '@charlearn/core';
import { describe, expect, it } from 'vitest';
import { configureWasmBackend, registerAllGradients, setupWasmBackend, wasmBackend } from './index';
import { ORIGINAL_KERNEL } from './kernels/util';
import { nodeWasmDir } from './load';
import './test-helpers';

type Tagged = { [ORIGINAL_KERNEL]?: tf.KernelConfig };
const originalOf = (name: string) => (tf.getKernel(name, 'wasm')?.kernelFunc as Tagged | undefined)?.[ORIGINAL_KERNEL];

describe('wasm backend plugin', () => {
  it('is registered in core’s backends registry on import', () => {
    expect(backends.get('wasm')).toBe(wasmBackend);
    expect(wasmBackend.name).toBe('wasm');
  });

  it('is available here', async () => {
    expect(await wasmBackend.isAvailable()).toEqual({ available: true });
  });

  it('useBackend("wasm") makes wasm current; setup is idempotent and serialised', async () => {
    expect(await useBackend('wasm')).toBe(wasmBackend);
    expect(tf.getBackend()).toBe('wasm');
    await wasmBackend.setup();
    await Promise.all([wasmBackend.setup(), setupWasmBackend(), useBackend('wasm')]);
    expect(tf.getBackend()).toBe('wasm');
    // Wrapped exactly once: the kernel a wrapper replaced is the stock one, not another wrapper.
    const orig = originalOf('BatchMatMul');
    expect(orig).toBeDefined();
    expect((orig?.kernelFunc as Tagged)[ORIGINAL_KERNEL]).toBeUndefined();
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expect(Array.from(tf.matMul(x, x).dataSync())).toEqual([7, 10, 15, 22]);
    tf.dispose(x);
  });

  it('switches back to wasm after another backend was selected', async () => {
    await tf.setBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
    await useBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('runs the SIMD binary from the installed package’s dist/ in Node', async () => {
    const dir = await nodeWasmDir();
    expect(dir).toMatch(/tfjs-backend-wasm[\\/]dist[\\/]$/);
    expect(readdirSync(dir!)).toEqual(expect.arrayContaining(['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']));
    await useBackend('wasm');
    expect(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')).toBe(true);
  });

  it('registers all tfjs-core gradients', async () => {
    await useBackend('wasm');
    expect(registerAllGradients()).toBeGreaterThan(100);
    for (const k of ['BatchMatMul', 'Conv2D', 'Tanh', 'Relu', 'Sigmoid', 'Softmax', 'GatherV2']) expect(tf.getGradient(k)).toBeDefined();
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.tanh(x)))(tf.tensor1d([0, 1]));
    expect(g.dataSync()[0]).toBeCloseTo(1, 6);
    expect(g.dataSync()[1]).toBeCloseTo(1 - Math.tanh(1) ** 2, 6);
  });

  it('adds Conv2DBackpropFilter and wraps Conv2DBackpropInput / Sum / Mean on wasm', async () => {
    await useBackend('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    for (const k of ['Conv2DBackpropInput', 'Sum', 'Mean', '_FusedMatMul']) expect(originalOf(k)).toBeDefined();
  });

  it('matMulFix / fastReductions switch the patches on and off', async () => {
    const stockGrad = tf.getGradient('BatchMatMul').gradFunc;
    await setupWasmBackend({ matMulFix: 'none', fastReductions: false });
    expect(originalOf('BatchMatMul')).toBeUndefined();
    expect(originalOf('Sum')).toBeUndefined();
    expect(tf.getGradient('BatchMatMul').gradFunc).toBe(stockGrad);
    await setupWasmBackend({ matMulFix: 'gradient' });
    expect(originalOf('BatchMatMul')).toBeUndefined();
    expect(tf.getGradient('BatchMatMul').gradFunc).not.toBe(stockGrad);
    await setupWasmBackend({ matMulFix: 'kernel', fastReductions: true });
    expect(originalOf('BatchMatMul')).toBeDefined();
    expect(originalOf('Sum')).toBeDefined();
    expect(tf.getGradient('BatchMatMul').gradFunc).toBe(stockGrad);
    configureWasmBackend({});
  });

  const cjs = new URL('../dist/index.cjs', import.meta.url);
  it.skipIf(!existsSync(cjs))('the built CJS copy shares the plugin object and registry with this one', async () => {
    const require = createRequire(import.meta.url);
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args);
    try {
      const mod = require(cjs.pathname) as { wasmBackend: unknown };
      expect(mod.wasmBackend).toBe(wasmBackend);
    } finally {
      console.warn = warn;
    }
    expect(warnings).toEqual([]);
    expect(backends.list().filter((n) => n === 'wasm')).toHaveLength(1);
    await useBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });
});
