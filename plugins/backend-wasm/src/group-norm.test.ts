// The group-norm kernels (GROUP_NORM_KERNEL + GROUP_NORM_GRAD_KERNEL of @charlearn/core) on wasm: against the
// autodiff of the plain op chain on the cpu backend, forward and all three gradients, on both paths (the SIMD
// module's passes, and the JS passes: simdGroupNorm false, or a channel count not a multiple of 4), and the backward
// against central finite differences of the fused forward.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL } from '@charlearn/core';
import { setupWasmBackend } from './index';
import { simdGroupNormCount } from './kernels/group-norm';
import { liveCounts, on, rand, relErr } from './test-helpers';

const EPS = 1e-6;

/** A `[b, h, w, c]` input normalised in `groups` groups; `offset` shifts sample s by `offset · s` (a large mean). */
interface Case {
  readonly b: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly groups: number;
  readonly offset: number;
}

const fusedNorm = (groups: number) =>
  tf.customGrad(((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, xhat, rstd] = tf.engine().runKernel(GROUP_NORM_KERNEL, { x, gamma, beta }, { groups, epsilon: EPS }) as tf.Tensor[];
    save([xhat!, rstd!, gamma]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xhat, rstd, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.engine().runKernel(GROUP_NORM_GRAD_KERNEL, { dy, xhat, rstd, gamma: g }, { groups }) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;

/** Group norm by plain ops (tfjs autodiff gives the reference gradient). */
const opChain = (groups: number) => (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const g = tf.reshape(x, [b, h * w, groups, c / groups]);
  const xc = tf.sub(g, tf.mean(g, [1, 3], true));
  const xhat = tf.mul(xc, tf.rsqrt(tf.add(tf.mean(tf.square(xc), [1, 3], true), EPS)));
  return tf.add(tf.mul(tf.reshape(xhat, [b, h, w, c]), gamma), beta);
};

type Norm = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;

/** The inputs of a case: a per-sample offset and scale, so the normalisation matters. */
function inputs({ b, h, w, c, offset }: Case): { xv: Float32Array; gv: Float32Array; bv: Float32Array; cotangent: Float32Array } {
  const size = b * h * w * c;
  const xv = rand(size, 1, 1).map((v, i) => 3 * v * (1 + Math.floor(i / (size / b))) + offset * Math.floor(i / (size / b)));
  return { xv, gv: rand(c, 2, 1).map((v) => 1 + 0.5 * v), bv: rand(c, 3, 0.5), cotangent: rand(size, 4) };
}

function normAndGrads(k: Case, norm: Norm): Float32Array[] {
  const { xv, gv, bv, cotangent } = inputs(k);
  return tf.tidy(() => {
    const [x, g, b] = [tf.tensor4d(xv, [k.b, k.h, k.w, k.c]), tf.tensor1d(gv), tf.tensor1d(bv)];
    const ct = tf.tensor4d(cotangent, [k.b, k.h, k.w, k.c]);
    const y = norm(x, g, b);
    const grads = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(norm(xx, gg, bb), ct)))([x, g, b]);
    return [y, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

const SMALL: Case = { b: 3, h: 5, w: 4, c: 12, groups: 3, offset: 1 };
const CASES: readonly (readonly [string, Case])[] = [
  ['[3,5,4,12] in 3 groups', SMALL],
  ['the U-Net\'s [2,7,7,32] in 8 groups', { b: 2, h: 7, w: 7, c: 32, groups: 8, offset: 1 }],
  ['[2,9,6,48] in 8 groups (6 channels a group), means 100x the spread', { b: 2, h: 9, w: 6, c: 48, groups: 8, offset: 300 }],
  ['[2,3,5,4] in one group', { b: 2, h: 3, w: 5, c: 4, groups: 1, offset: 2 }],
  ['[2,5,5,6] in 2 groups (not a multiple of 4: JS passes)', { b: 2, h: 5, w: 5, c: 6, groups: 2, offset: 1 }],
];

describe('group-norm kernels', () => {
  it.each(CASES.flatMap(([label, k]) => [true, false].map((simd) => [label, simd, k] as const)))('%s (simdGroupNorm %s) match the op chain and its autodiff on the cpu backend, and leak nothing', async (_, simd, k) => {
    const expected = await on('cpu', () => normAndGrads(k, opChain(k.groups)));
    const before = simdGroupNormCount();
    const actual = await on(
      'wasm',
      () => {
        const live = liveCounts();
        const out = normAndGrads(k, fusedNorm(k.groups));
        expect(liveCounts()).toEqual(live);
        return out;
      },
      { simdGroupNorm: simd },
    );
    await setupWasmBackend({ simdGroupNorm: true });
    // normAndGrads runs the forward twice (the value, then under tf.grads) and the backward once
    const simdRan = simd && k.c % 4 === 0 ? 1 : 0;
    expect(simdGroupNormCount()).toEqual({ forward: before.forward + 2 * simdRan, backward: before.backward + simdRan });
    for (let i = 0; i < 4; i++) expect(relErr(actual[i]!, expected[i]!)).toBeLessThan(k.offset > 10 ? 1e-4 : 1e-5);
  });

  it('SIMD and JS passes agree to float32 rounding on a U-Net activation [4,28,28,16] in 8 groups', async () => {
    const k: Case = { b: 4, h: 28, w: 28, c: 16, groups: 8, offset: 1 };
    const simd = await on('wasm', () => normAndGrads(k, fusedNorm(k.groups)), { simdGroupNorm: true });
    const js = await on('wasm', () => normAndGrads(k, fusedNorm(k.groups)), { simdGroupNorm: false });
    await setupWasmBackend({ simdGroupNorm: true });
    for (let i = 0; i < 4; i++) expect(relErr(simd[i]!, js[i]!)).toBeLessThan(1e-5);
  });

  it.each([true, false])('have the gradient of central finite differences of the fused forward (simdGroupNorm %s)', async (simd) => {
    await setupWasmBackend({ simdGroupNorm: simd });
    const k = SMALL;
    const { xv, gv, bv, cotangent } = inputs(k);
    const norm = fusedNorm(k.groups);
    const [dx, dg, db] = normAndGrads(k, norm).slice(1) as [Float32Array, Float32Array, Float32Array];
    const loss = (x: Float32Array, g: Float32Array, b: Float32Array) =>
      tf.tidy(() => {
        const y = norm(tf.tensor4d(x, [k.b, k.h, k.w, k.c]), tf.tensor1d(g), tf.tensor1d(b)).dataSync();
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
    probe(xv, dx, (v) => loss(v, gv, bv), [0, 17, 250, xv.length - 1]);
    probe(gv, dg, (v) => loss(xv, v, bv), [0, 5, k.c - 1]);
    probe(bv, db, (v) => loss(xv, gv, v), [0, k.c - 1]);
    await setupWasmBackend({ simdGroupNorm: true });
  });

  it('reject bad groups, shapes and dtypes with a message naming them, leaving no tensor behind; fusedGroupNorm: false unregisters them', async () => {
    await setupWasmBackend();
    const [x, g, g5, rstd23, rstd22, xhat4, xInt] = [tf.zeros([2, 3, 3, 8]), tf.zeros([8]), tf.zeros([5]), tf.zeros([2, 3]), tf.zeros([2, 2]), tf.zeros([2, 3, 3, 4]), tf.zeros([2, 3, 3, 8], 'int32')];
    const live = liveCounts();
    expect(() => tf.engine().runKernel(GROUP_NORM_KERNEL, { x, gamma: g, beta: g }, { groups: 3, epsilon: EPS })).toThrow(/groups = 3 must be a positive integer dividing c = 8/);
    expect(() => tf.engine().runKernel(GROUP_NORM_KERNEL, { x, gamma: g5, beta: g }, { groups: 2, epsilon: EPS })).toThrow(/input gamma has shape \[5\], expected \[8\]/);
    expect(() => tf.engine().runKernel(GROUP_NORM_GRAD_KERNEL, { dy: x, xhat: x, rstd: rstd23, gamma: g }, { groups: 2 })).toThrow(/input rstd has shape \[2, 3\], expected \[2, 2\]/);
    expect(() => tf.engine().runKernel(GROUP_NORM_GRAD_KERNEL, { dy: x, xhat: xhat4, rstd: rstd22, gamma: g }, { groups: 2 })).toThrow(/input xhat has shape \[2, 3, 3, 4\], dy has \[2, 3, 3, 8\]/);
    expect(() => tf.engine().runKernel(GROUP_NORM_KERNEL, { x: xInt, gamma: g, beta: g }, { groups: 2, epsilon: EPS })).toThrow(/input x is int32/);
    expect(liveCounts()).toEqual(live);
    tf.dispose([x, g, g5, rstd23, rstd22, xhat4, xInt]);
    await setupWasmBackend({ fusedGroupNorm: false });
    expect(tf.getKernel(GROUP_NORM_KERNEL, 'wasm')).toBeUndefined();
    await setupWasmBackend({ fusedGroupNorm: true });
    expect(tf.getKernel(GROUP_NORM_GRAD_KERNEL, 'wasm')).toBeDefined();
  });
});
