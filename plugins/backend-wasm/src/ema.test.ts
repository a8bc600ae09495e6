// The fused EMA kernel (EMA_UPDATE_KERNEL of @charlearn/core) on wasm: the op chain's bits on the cpu backend, over
// several updates, decays and shapes (a ragged size included), on both paths (the SIMD module in place on the heap, and
// the JS pass: simdEma false); named errors on bad input; the option unregisters it.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { EMA_UPDATE_KERNEL } from '@charlearn/core';
import { setupWasmBackend } from './index';
import { liveCounts, on, rand } from './test-helpers';

const DECAYS = [0, 0.5, 0.9, 0.999, 0.99991, 1];

/** The average after one update at each decay of {@link DECAYS}, from `ema0` towards the values `xs[k]`, by `update`. */
function average(shape: number[], ema0: Float32Array, xs: Float32Array[], update: (ema: tf.Tensor, x: tf.Tensor, decay: number) => tf.Tensor): Float32Array {
  return tf.tidy(() => {
    let ema = tf.tensor(ema0, shape);
    DECAYS.forEach((d, k) => {
      ema = update(ema, tf.tensor(xs[k]!, shape), d);
    });
    return ema.dataSync() as Float32Array;
  });
}

const chain = (ema: tf.Tensor, x: tf.Tensor, d: number) => tf.add(tf.mul(ema, d), tf.mul(x, 1 - d));
const fused = (ema: tf.Tensor, x: tf.Tensor, d: number) => tf.engine().runKernel(EMA_UPDATE_KERNEL, { ema, x }, { decay: d }) as tf.Tensor;

describe('EMA update kernel', () => {
  const CASES = [[37, 19], [5], [2, 3, 4, 5], [1]].flatMap((shape) => [true, false].map((simd) => [shape, simd] as const));
  it.each(CASES)('%j (simdEma %s): the bits of the op chain on the cpu backend, and leaks nothing', async (shape, simd) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const ema0 = rand(n, 1, 3);
    const xs = DECAYS.map((_, k) => rand(n, 10 + k, 2));
    const expected = await on('cpu', () => average(shape, ema0, xs, chain));
    const actual = await on(
      'wasm',
      () => {
        const live = liveCounts();
        const out = average(shape, ema0, xs, fused);
        expect(liveCounts()).toEqual(live);
        return out;
      },
      { fusedEma: true, simdEma: simd },
    );
    await setupWasmBackend({ simdEma: true });
    expect(Array.from(actual)).toEqual(Array.from(expected));
    // and it moved: the last update (decay 1) keeps what the others made, which is far from the start
    expect(Math.max(...Array.from(actual).map((v, i) => Math.abs(v - ema0[i]!)))).toBeGreaterThan(0.1);
  });

  it('rejects another shape, an int32 input and a decay outside [0, 1] with a message naming them, leaving no tensor behind; fusedEma: false unregisters it', async () => {
    await setupWasmBackend();
    const [a, b, c] = [tf.zeros([2, 3]), tf.zeros([3, 2]), tf.zeros([2, 3], 'int32')];
    const live = liveCounts();
    expect(() => tf.engine().runKernel(EMA_UPDATE_KERNEL, { ema: a, x: b }, { decay: 0.5 })).toThrow(/input x has shape \[3, 2\], ema has \[2, 3\]/);
    expect(() => tf.engine().runKernel(EMA_UPDATE_KERNEL, { ema: a, x: c }, { decay: 0.5 })).toThrow(/input x is int32, expected float32/);
    expect(() => tf.engine().runKernel(EMA_UPDATE_KERNEL, { ema: a, x: a }, { decay: 1.5 })).toThrow(/decay must be a number in \[0, 1\], got 1.5/);
    expect(() => tf.engine().runKernel(EMA_UPDATE_KERNEL, { ema: a, x: a }, { decay: Number.NaN })).toThrow(/got NaN/);
    expect(liveCounts()).toEqual(live);
    tf.dispose([a, b, c]);
    await setupWasmBackend({ fusedEma: false });
    expect(tf.getKernel(EMA_UPDATE_KERNEL, 'wasm')).toBeUndefined();
    await setupWasmBackend({ fusedEma: true });
    expect(tf.getKernel(EMA_UPDATE_KERNEL, 'wasm')).toBeDefined();
  });
});
