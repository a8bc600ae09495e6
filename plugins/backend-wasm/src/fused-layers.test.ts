// The fused layer kernels (DENSE_SILU_KERNEL + SILU_BIAS_GRAD_KERNEL, SINUSOIDAL_EMBEDDING_KERNEL of @charlearn/core)
// on wasm: against the op chains on the cpu backend, forward and backward, and the backward against central finite
// differences (float64 in JS) of the fused forward.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DENSE_SILU_KERNEL, SILU_BIAS_GRAD_KERNEL, SINUSOIDAL_EMBEDDING_KERNEL } from '@charlearn/core';
import { setupWasmBackend } from './index';
import { fusedDenseSilu, liveCounts, on, rand, relErr } from './test-helpers';

const [M, K, N] = [37, 19, 23];


const opChain = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
  const z = tf.add(tf.matMul(x, w), b);
  return tf.mul(z, tf.sigmoid(z));
};

const xv = rand(M * K, 1, 2);
const wv = rand(K * N, 2, 0.8);
const bv = rand(N, 3, 0.5);
const cotangent = rand(M * N, 4);

/** The layer's output and the gradients of `Σ cotangent·y` w.r.t. x, W, b. */
function layerAndGrads(layer: typeof opChain): Float32Array[] {
  return tf.tidy(() => {
    const [x, w, b] = [tf.tensor2d(xv, [M, K]), tf.tensor2d(wv, [K, N]), tf.tensor1d(bv)];
    const ct = tf.tensor2d(cotangent, [M, N]);
    const y = layer(x, w, b);
    const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(layer(xx, ww, bb), ct)))([x, w, b]);
    return [y, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

describe('fused dense + SiLU kernels', () => {
  it('match the op chain on the cpu backend, forward and all three gradients, and leak nothing', async () => {
    const expected = await on('cpu', () => layerAndGrads(opChain));
    const actual = await on(
      'wasm',
      () => {
        layerAndGrads(fusedDenseSilu); // warm-up (first calls allocate XNNPACK operators)
        const before = liveCounts();
        const out = layerAndGrads(fusedDenseSilu);
        expect(liveCounts()).toEqual(before);
        return out;
      },
      { fusedDense: true },
    );
    for (let i = 0; i < 4; i++) expect(relErr(actual[i]!, expected[i]!)).toBeLessThan(2e-6);
  });

  it('have the gradient of central finite differences of the fused forward', async () => {
    await setupWasmBackend({ fusedDense: true });
    const [dx, dw, db] = layerAndGrads(fusedDenseSilu).slice(1) as [Float32Array, Float32Array, Float32Array];
    // f64 loss of the fused forward's float32 output; eps large enough for float32 rounding
    const loss = (x: Float32Array, w: Float32Array, b: Float32Array) =>
      tf.tidy(() => {
        const y = fusedDenseSilu(tf.tensor2d(x, [M, K]), tf.tensor2d(w, [K, N]), tf.tensor1d(b)).dataSync();
        let s = 0;
        for (let i = 0; i < y.length; i++) s += y[i]! * cotangent[i]!;
        return s;
      });
    const eps = 1e-2;
    const probe = (values: Float32Array, grad: Float32Array, at: (v: Float32Array) => number, idx: number[]) => {
      for (const i of idx) {
        const [p, m] = [values.slice(), values.slice()];
        p[i]! += eps;
        m[i]! -= eps;
        const fd = (at(p) - at(m)) / (2 * eps);
        expect(Math.abs(fd - grad[i]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
      }
    };
    probe(xv, dx, (v) => loss(v, wv, bv), [0, 5, 100, M * K - 1]);
    probe(wv, dw, (v) => loss(xv, v, bv), [0, 7, 200, K * N - 1]);
    probe(bv, db, (v) => loss(xv, wv, v), [0, 11, N - 1]);
  });

  it('reject wrong shapes and dtypes with a message naming them; fusedDense: false unregisters them', async () => {
    await setupWasmBackend({ fusedDense: true });
    const [x, w, b] = [tf.zeros([4, 3]), tf.zeros([2, 5]), tf.zeros([5])];
    expect(() => tf.engine().runKernel(DENSE_SILU_KERNEL, { x, w, b })).toThrow(/x \[4, 3\], w \[2, 5\], b \[5\]/);
    const i = tf.zeros([4, 5], 'int32');
    const f = tf.zeros([4, 5]);
    expect(() => tf.engine().runKernel(SILU_BIAS_GRAD_KERNEL, { dy: f, y: f, s: i })).toThrow(/input s is int32/);
    expect(() => tf.engine().runKernel(SILU_BIAS_GRAD_KERNEL, { dy: f, y: tf.zeros([5, 4]), s: f })).toThrow(/input y has shape \[5, 4\]/);
    tf.dispose([x, w, b, i, f]);
    await setupWasmBackend({ fusedDense: false });
    expect(tf.getKernel(DENSE_SILU_KERNEL, 'wasm')).toBeUndefined();
    expect(tf.getKernel(SILU_BIAS_GRAD_KERNEL, 'wasm')).toBeUndefined();
  });
});

describe('sinusoidal embedding kernel', () => {
  // repeated times (as in a rollout) and distinct ones, up to c_noise = 999
  const c = Float32Array.from([0, 0.5, 0.5, 999, 3.25, 999, 0.5, 1e-3, -2]);
  const freqs = Float32Array.from({ length: 16 }, (_, k) => Math.exp((-Math.log(10000) * k) / 16));
  const embed = (fused: boolean) =>
    tf.tidy(() => {
      const [ct, ft] = [tf.tensor1d(c), tf.tensor2d(freqs, [1, 16])];
      if (fused) return (tf.engine().runKernel(SINUSOIDAL_EMBEDDING_KERNEL, { c: ct, freqs: ft }) as tf.Tensor).dataSync() as Float32Array;
      const arg = tf.mul(tf.reshape(ct, [-1, 1]), ft);
      return tf.concat([tf.sin(arg), tf.cos(arg)], 1).dataSync() as Float32Array;
    });

  it('matches Sin/Cos of the float32 product on the cpu backend, rows of equal times identical, and leaks nothing', async () => {
    const expected = await on('cpu', () => embed(false));
    const actual = await on('wasm', () => {
      const before = liveCounts();
      const out = embed(true);
      expect(liveCounts()).toEqual(before);
      return out;
    });
    expect(actual.length).toBe(c.length * 32);
    let worst = 0;
    for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    expect(worst).toBeLessThan(3e-7);
    expect(Array.from(actual.subarray(3 * 32, 4 * 32))).toEqual(Array.from(actual.subarray(5 * 32, 6 * 32)));
    expect(Array.from(actual.subarray(1 * 32, 2 * 32))).toEqual(Array.from(actual.subarray(6 * 32, 7 * 32)));
    // sin(0) = 0, cos(0) = 1 for the first row
    expect(Array.from(actual.subarray(0, 32))).toEqual([...new Array(16).fill(0), ...new Array(16).fill(1)]);
  });

  it('rejects wrong shapes and dtypes; fusedEmbedding: false unregisters it', async () => {
    await setupWasmBackend();
    const [ct, ft] = [tf.zeros([3]), tf.zeros([4])];
    expect(() => tf.engine().runKernel(SINUSOIDAL_EMBEDDING_KERNEL, { c: ct, freqs: ft })).toThrow(/freqs \[4\]/);
    const ci = tf.zeros([3], 'int32');
    expect(() => tf.engine().runKernel(SINUSOIDAL_EMBEDDING_KERNEL, { c: ci, freqs: tf.zeros([1, 4]) })).toThrow(/input c is int32/);
    tf.dispose([ct, ft, ci]);
    await setupWasmBackend({ fusedEmbedding: false });
    expect(tf.getKernel(SINUSOIDAL_EMBEDDING_KERNEL, 'wasm')).toBeUndefined();
    await setupWasmBackend({ fusedEmbedding: true });
    expect(tf.getKernel(SINUSOIDAL_EMBEDDING_KERNEL, 'wasm')).toBeDefined();
  });
});
