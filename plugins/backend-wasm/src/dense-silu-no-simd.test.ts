// The fused dense-SiLU kernels where the runtime has no WebAssembly SIMD (charlearn's SIMD module mocked away, as
// on a browser without it): their fallbacks (the wasm kernels _FusedMatMul / Add, Sigmoid, Multiply forward; a JS
// pass backward) against the op chain on the cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { BIAS_SILU_KERNEL, DENSE_SILU_KERNEL, SILU_BIAS_GRAD_KERNEL } from '@charlearn/core';
import { gemmAvailable } from './kernels/gemm';
import { liveCounts, on, rand, relErr } from './test-helpers';

vi.mock('./kernels/simd-module', async (importOriginal) => ({
  ...(await importOriginal<typeof import('./kernels/simd-module')>()),
  simdModule: () => null,
  relaxedSimdModule: () => null,
}));

const [M, K, N] = [21, 11, 13];
const xv = rand(M * K, 1, 2);
const wv = rand(K * N, 2, 0.8);
const bv = rand(N, 3, 0.5);
const ct = rand(M * N, 4);

/**
 * `SiLU(x W + b)` by DENSE_SILU_KERNEL and by BIAS_SILU_KERNEL on `x W`, then `dz` and `db` of `Σ ct·y` by
 * SILU_BIAS_GRAD_KERNEL; or the same four by the op chain and autodiff.
 */
function layers(fused: boolean): Float32Array[] {
  return tf.tidy(() => {
    const [x, w, b] = [tf.tensor2d(xv, [M, K]), tf.tensor2d(wv, [K, N]), tf.tensor1d(bv)];
    const c = tf.tensor2d(ct, [M, N]);
    if (fused) {
      const [y, s] = tf.engine().runKernel(DENSE_SILU_KERNEL, { x, w, b }) as tf.Tensor[];
      const [y2] = tf.engine().runKernel(BIAS_SILU_KERNEL, { z: tf.matMul(x, w), b }) as tf.Tensor[];
      const [dz, db] = tf.engine().runKernel(SILU_BIAS_GRAD_KERNEL, { dy: c, y: y!, s: s! }) as tf.Tensor[];
      return [y!, y2!, dz!, db!].map((t) => t.dataSync() as Float32Array);
    }
    const z = tf.add(tf.matMul(x, w), b);
    const y = tf.mul(z, tf.sigmoid(z));
    const dz = tf.grad((zz: tf.Tensor) => tf.sum(tf.mul(tf.mul(zz, tf.sigmoid(zz)), c)))(z);
    return [y, y, dz, tf.sum(dz, 0)].map((t) => t.dataSync() as Float32Array);
  });
}

describe('fused dense-SiLU kernels without WebAssembly SIMD', () => {
  it('fall back to wasm kernels and a JS pass that match the op chain on the cpu backend, and leak nothing', async () => {
    const expected = await on('cpu', () => layers(false));
    const actual = await on(
      'wasm',
      () => {
        expect(gemmAvailable()).toBe(false); // the mock is what the plugin sees
        const before = liveCounts();
        const out = layers(true);
        expect(liveCounts()).toEqual(before);
        return out;
      },
      { fusedDense: true },
    );
    for (let i = 0; i < 4; i++) expect(relErr(actual[i]!, expected[i]!)).toBeLessThan(1e-5);
  });

  it('with { sigmoid: false } return [y] alone, the bytes of the two-output call, and leak nothing', async () => {
    await on(
      'wasm',
      () => {
        const before = liveCounts();
        tf.tidy(() => {
          const [x, w, b] = [tf.tensor2d(xv, [M, K]), tf.tensor2d(wv, [K, N]), tf.tensor1d(bv)];
          const z = tf.matMul(x, w);
          const both = [tf.engine().runKernel(DENSE_SILU_KERNEL, { x, w, b }), tf.engine().runKernel(BIAS_SILU_KERNEL, { z, b })] as tf.Tensor[][];
          const alone = [tf.engine().runKernel(DENSE_SILU_KERNEL, { x, w, b }, { sigmoid: false }), tf.engine().runKernel(BIAS_SILU_KERNEL, { z, b }, { sigmoid: false })] as tf.Tensor[][];
          for (let i = 0; i < 2; i++) {
            expect(alone[i]!.length).toBe(1);
            expect(Buffer.from(alone[i]![0]!.dataSync().buffer).equals(Buffer.from(both[i]![0]!.dataSync().buffer))).toBe(true);
          }
        });
        expect(liveCounts()).toEqual(before);
      },
      { fusedDense: true },
    );
  });
});
