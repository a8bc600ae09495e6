// The group-norm kernels (GROUP_NORM_KERNEL + GROUP_NORM_GRAD_KERNEL of @charlearn/core) on wasm: against the
// autodiff of the plain op chain on the cpu backend, forward and all three gradients, and the backward against
// central finite differences of the fused forward.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL } from '@charlearn/core';
import { setupWasmBackend } from './index';
import { liveCounts, on, rand, relErr } from './test-helpers';

const [B, H, W, C, GROUPS] = [3, 5, 4, 12, 3];
const EPS = 1e-6;
const size = B * H * W * C;

const fused = tf.customGrad(((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
  const [y, xhat, rstd] = tf.engine().runKernel(GROUP_NORM_KERNEL, { x, gamma, beta }, { groups: GROUPS, epsilon: EPS }) as tf.Tensor[];
  save([xhat!, rstd!, gamma]);
  return {
    value: y!,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xhat, rstd, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      return tf.engine().runKernel(GROUP_NORM_GRAD_KERNEL, { dy, xhat, rstd, gamma: g }, { groups: GROUPS }) as tf.Tensor[];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;

/** Group norm by plain ops (tfjs autodiff gives the reference gradient). */
const opChain = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
  const g = tf.reshape(x, [B, H * W, GROUPS, C / GROUPS]);
  const xc = tf.sub(g, tf.mean(g, [1, 3], true));
  const xhat = tf.mul(xc, tf.rsqrt(tf.add(tf.mean(tf.square(xc), [1, 3], true), EPS)));
  return tf.add(tf.mul(tf.reshape(xhat, [B, H, W, C]), gamma), beta);
};

// a per-sample offset and scale, so the normalisation matters
const xv = rand(size, 1, 1).map((v, i) => 3 * v * (1 + Math.floor(i / (size / B))) + Math.floor(i / (size / B)));
const gv = rand(C, 2, 1).map((v) => 1 + 0.5 * v);
const bv = rand(C, 3, 0.5);
const cotangent = rand(size, 4);

function normAndGrads(norm: typeof opChain): Float32Array[] {
  return tf.tidy(() => {
    const [x, g, b] = [tf.tensor4d(xv, [B, H, W, C]), tf.tensor1d(gv), tf.tensor1d(bv)];
    const ct = tf.tensor4d(cotangent, [B, H, W, C]);
    const y = norm(x, g, b);
    const grads = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(norm(xx, gg, bb), ct)))([x, g, b]);
    return [y, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

describe('group-norm kernels', () => {
  it('match the op chain and its autodiff on the cpu backend, and leak nothing', async () => {
    const expected = await on('cpu', () => normAndGrads(opChain));
    const actual = await on('wasm', () => {
      const before = liveCounts();
      const out = normAndGrads(fused);
      expect(liveCounts()).toEqual(before);
      return out;
    });
    for (let i = 0; i < 4; i++) expect(relErr(actual[i]!, expected[i]!)).toBeLessThan(1e-5);
  });

  it('have the gradient of central finite differences of the fused forward', async () => {
    await setupWasmBackend();
    const [dx, dg, db] = normAndGrads(fused).slice(1) as [Float32Array, Float32Array, Float32Array];
    const loss = (x: Float32Array, g: Float32Array, b: Float32Array) =>
      tf.tidy(() => {
        const y = fused(tf.tensor4d(x, [B, H, W, C]), tf.tensor1d(g), tf.tensor1d(b)).dataSync();
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
        expect(Math.abs(fd - grad[i]!)).toBeLessThan(3e-3 * Math.max(1, Math.abs(fd)));
      }
    };
    probe(xv, dx, (v) => loss(v, gv, bv), [0, 17, 250, size - 1]);
    probe(gv, dg, (v) => loss(xv, v, bv), [0, 5, C - 1]);
    probe(bv, db, (v) => loss(xv, gv, v), [0, C - 1]);
  });

  it('reject bad groups, shapes and dtypes with a message naming them; fusedGroupNorm: false unregisters them', async () => {
    await setupWasmBackend();
    const [x, g] = [tf.zeros([2, 3, 3, 6]), tf.zeros([6])];
    expect(() => tf.engine().runKernel(GROUP_NORM_KERNEL, { x, gamma: g, beta: g }, { groups: 4, epsilon: EPS })).toThrow(/groups = 4 must be a positive integer dividing c = 6/);
    expect(() => tf.engine().runKernel(GROUP_NORM_KERNEL, { x, gamma: tf.zeros([5]), beta: g }, { groups: 2, epsilon: EPS })).toThrow(/input gamma has shape \[5\], expected \[6\]/);
    expect(() => tf.engine().runKernel(GROUP_NORM_GRAD_KERNEL, { dy: x, xhat: x, rstd: tf.zeros([2, 3]), gamma: g }, { groups: 2 })).toThrow(/input rstd has shape \[2, 3\], expected \[2, 2\]/);
    expect(() => tf.engine().runKernel(GROUP_NORM_KERNEL, { x: tf.zeros([2, 3, 3, 6], 'int32'), gamma: g, beta: g }, { groups: 2, epsilon: EPS })).toThrow(/input x is int32/);
    tf.dispose([x, g]);
    await setupWasmBackend({ fusedGroupNorm: false });
    expect(tf.getKernel(GROUP_NORM_KERNEL, 'wasm')).toBeUndefined();
    await setupWasmBackend({ fusedGroupNorm: true });
    expect(tf.getKernel(GROUP_NORM_GRAD_KERNEL, 'wasm')).toBeDefined();
  });
});
