// The fused Adam update kernel (ADAM_UPDATE_KERNEL of @charlearn/core) on wasm against Adam's op chain on the cpu
// backend, over several steps with clipping scales and bias corrections.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ADAM_UPDATE_KERNEL } from '@charlearn/core';
import { setupWasmBackend } from './index';
import { liveCounts, on, rand, relErr } from './test-helpers';

const shape = [37, 19];
const n = shape[0]! * shape[1]!;

/** `steps` Adam updates of x from gradients `grads[k]`, by the op chain (on whatever backend is current). */
function opChain(x0: Float32Array, grads: Float32Array[], scales: number[], lr: number): Float32Array[] {
  return tf.tidy(() => {
    let x = tf.tensor(x0, shape);
    let m = tf.zeros(shape);
    let v = tf.zeros(shape);
    grads.forEach((gv, k) => {
      const c1 = 1 - 0.9 ** (k + 1);
      const c2 = 1 - 0.999 ** (k + 1);
      const g = tf.mul(tf.tensor(gv, shape), scales[k]!);
      m = tf.add(tf.mul(m, 0.9), tf.mul(g, 0.1));
      v = tf.add(tf.mul(v, 0.999), tf.mul(tf.square(g), 0.001));
      x = tf.sub(x, tf.mul(tf.div(m, tf.add(tf.sqrt(v), 1e-8 * Math.sqrt(c2))), (lr * Math.sqrt(c2)) / c1));
    });
    return [x, m, v].map((t) => t.dataSync() as Float32Array);
  });
}

function fused(x0: Float32Array, grads: Float32Array[], scales: number[], lr: number): Float32Array[] {
  return tf.tidy(() => {
    let state: tf.Tensor[] = [tf.tensor(x0, shape), tf.zeros(shape), tf.zeros(shape)];
    grads.forEach((gv, k) => {
      const c1 = 1 - 0.9 ** (k + 1);
      const c2 = 1 - 0.999 ** (k + 1);
      const attrs = { beta1: 0.9, beta2: 0.999, stepSize: (lr * Math.sqrt(c2)) / c1, epsilon: 1e-8 * Math.sqrt(c2), gradScale: scales[k]! };
      const [x, m, v] = state as [tf.Tensor, tf.Tensor, tf.Tensor];
      state = tf.engine().runKernel(ADAM_UPDATE_KERNEL, { x, m, v, g: tf.tensor(gv, shape) }, attrs) as tf.Tensor[];
    });
    return state.map((t) => t.dataSync() as Float32Array);
  });
}

describe('fused Adam update kernel', () => {
  it('matches the op chain on the cpu backend over 5 steps, clipped and not, and leaks nothing', async () => {
    const x0 = rand(n, 1, 2);
    const grads = [0, 1, 2, 3, 4].map((k) => rand(n, 10 + k, k === 2 ? 1e-4 : 3));
    const scales = [1, 0.25, 1, 0.5, 1];
    const expected = await on('cpu', () => opChain(x0, grads, scales, 1e-2));
    const actual = await on('wasm', () => {
      const before = liveCounts();
      const out = fused(x0, grads, scales, 1e-2);
      expect(liveCounts()).toEqual(before);
      return out;
    });
    for (let i = 0; i < 3; i++) expect(relErr(actual[i]!, expected[i]!)).toBeLessThan(2e-6);
    // the update moved x by about lr a step (Adam's normalised step), so the comparison is not trivial
    expect(relErr(actual[0]!, x0)).toBeGreaterThan(1e-3);
  });

  it('rejects mismatched shapes and dtypes, and fusedAdam: false unregisters it', async () => {
    await setupWasmBackend();
    const [a, b] = [tf.zeros([3, 2]), tf.zeros([2, 3])];
    const attrs = { beta1: 0.9, beta2: 0.999, stepSize: 1e-3, epsilon: 1e-8, gradScale: 1 };
    expect(() => tf.engine().runKernel(ADAM_UPDATE_KERNEL, { x: a, m: a, v: a, g: b }, attrs)).toThrow(/input g has shape \[2, 3\]/);
    const i = tf.zeros([3, 2], 'int32');
    expect(() => tf.engine().runKernel(ADAM_UPDATE_KERNEL, { x: a, m: a, v: a, g: i }, attrs)).toThrow(/input g is int32/);
    tf.dispose([a, b, i]);
    await setupWasmBackend({ fusedAdam: false });
    expect(tf.getKernel(ADAM_UPDATE_KERNEL, 'wasm')).toBeUndefined();
    await setupWasmBackend({ fusedAdam: true });
    expect(tf.getKernel(ADAM_UPDATE_KERNEL, 'wasm')).toBeDefined();
  });
});
