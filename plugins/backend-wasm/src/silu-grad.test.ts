// SILU_GRAD_KERNEL of @charlearn/core on wasm (kernels/silu-grad.ts): the same bits as the op chain it replaces
// (dy·(s·(1 + x·(1 − s))) as five wasm kernels), close to the cpu backend, the derivative of x·σ(x) by central
// finite differences in float64, no leak, and named errors.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SILU_GRAD_KERNEL } from '@charlearn/core';
import { setupWasmBackend } from './index';
import { liveCounts, on, rand, relErr } from './test-helpers';

const opChain = (dy: tf.Tensor, x: tf.Tensor, s: tf.Tensor) => tf.mul(dy, tf.mul(s, tf.add(1, tf.mul(x, tf.sub(1, s)))));
const kernel = (dy: tf.Tensor, x: tf.Tensor, s: tf.Tensor) => tf.engine().runKernel(SILU_GRAD_KERNEL, { dy, x, s }) as tf.Tensor;

/** `[fused, op chain]` outputs on the current backend for inputs of `shape`. */
function both(shape: number[]): [Float32Array, Float32Array] {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    const x = tf.tensor(rand(n, 1, 6), shape);
    const dy = tf.tensor(rand(n, 2), shape);
    const s = tf.sigmoid(x);
    return [kernel(dy, x, s).dataSync() as Float32Array, opChain(dy, x, s).dataSync() as Float32Array];
  });
}

describe('SiLU gradient kernel on wasm', () => {
  it.each([[[7]], [[3, 5]], [[64, 28, 28, 4]], [[2, 8193]], [[1024, 256]]])('%j: the op chain\'s bits, the cpu backend\'s values, and no leak', async (shape) => {
    const [fused, chain] = await on('wasm', () => {
      const before = liveCounts();
      const out = both(shape);
      expect(liveCounts()).toEqual(before);
      return out;
    });
    expect(Buffer.from(fused.buffer, fused.byteOffset, fused.byteLength).equals(Buffer.from(chain.buffer, chain.byteOffset, chain.byteLength))).toBe(true);
    const [, cpu] = await on('cpu', () => {
      const n = shape.reduce((a, b) => a * b, 1);
      return [null, tf.tidy(() => {
        const x = tf.tensor(rand(n, 1, 6), shape);
        return opChain(tf.tensor(rand(n, 2), shape), x, tf.sigmoid(x)).dataSync() as Float32Array;
      })] as const;
    });
    expect(relErr(fused, cpu)).toBeLessThan(1e-6);
  });

  it('is the derivative of x·σ(x) (central finite differences in float64)', async () => {
    await setupWasmBackend();
    const xs = Float32Array.from([-8, -3.5, -1, -0.25, 0, 0.3, 1, 2.5, 7]);
    const dx = tf.tidy(() => {
      const x = tf.tensor1d(xs);
      return kernel(tf.onesLike(x), x, tf.sigmoid(x)).dataSync() as Float32Array;
    });
    const silu = (v: number) => v / (1 + Math.exp(-v));
    const h = 1e-4;
    xs.forEach((v, i) => expect(Math.abs(dx[i]! - (silu(v + h) - silu(v - h)) / (2 * h))).toBeLessThan(2e-6));
  });

  it('rejects missing inputs, other dtypes and mismatched shapes by name, before allocating; fusedSiluGrad: false unregisters it', async () => {
    await setupWasmBackend();
    const [a, b, i] = [tf.zeros([2, 3]), tf.zeros([3, 2]), tf.zeros([2, 3], 'int32')];
    const live = liveCounts();
    expect(() => tf.engine().runKernel(SILU_GRAD_KERNEL, { dy: a, x: a })).toThrow(/CharlearnSiluGrad needs inputs dy, x, s/);
    expect(() => kernel(a, i, a)).toThrow(/input x is int32, expected float32/);
    expect(() => kernel(a, a, b)).toThrow(/input s has shape \[3, 2\], dy has \[2, 3\]/);
    expect(liveCounts()).toEqual(live);
    tf.dispose([a, b, i]);
    await setupWasmBackend({ fusedSiluGrad: false });
    expect(tf.getKernel(SILU_GRAD_KERNEL, 'wasm')).toBeUndefined();
    await setupWasmBackend({ fusedSiluGrad: true });
    expect(tf.getKernel(SILU_GRAD_KERNEL, 'wasm')).toBeDefined();
  });
});
