import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Rng,
  convertParameterisation,
  cosine,
  denoiserFromEps,
  denoiserFromScore,
  denoiserFromVelocity,
  epsFromDenoiser,
  fieldModelFromDenoiser,
  fieldModelFromVelocity,
  follmer,
  linear,
  scoreFromDenoiser,
  velocityFromDenoiser,
  type Interpolant,
  type Parameterisation,
} from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const paths: Interpolant[] = [follmer, linear, cosine];
const kinds: Parameterisation[] = ['denoiser', 'velocity', 'score', 'eps'];
const B = 16;
const DIM = 3;

/** Random x, D ∈ [batch, 3] and t ∈ (0.05, 0.95). */
function batch(seed: number) {
  const rng = new Rng(seed);
  const xs = rng.normalArray(B * DIM);
  const ds = rng.normalArray(B * DIM);
  const ts = rng.uniformArray(B, 0.05, 0.95);
  return { xs, ds, ts, x: tf.tensor2d(xs, [B, DIM]), D: tf.tensor2d(ds, [B, DIM]), t: tf.tensor1d(ts) };
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor | ArrayLike<number>): number {
  const av = a.dataSync();
  const bv = b instanceof tf.Tensor ? b.dataSync() : b;
  expect(av.length).toBe(bv.length);
  let m = 0;
  for (let i = 0; i < av.length; i++) m = Math.max(m, Math.abs(av[i]! - bv[i]!));
  return m;
}

function maxAbs(a: tf.Tensor): number {
  return Math.max(...Array.from(a.dataSync(), Math.abs));
}

/** Float64 reference of a `fromDenoiser` formula, straight from method.md. */
function reference(kind: Parameterisation, path: Interpolant, xs: Float32Array, ds: Float32Array, ts: Float32Array): Float64Array {
  const out = new Float64Array(xs.length);
  for (let b = 0; b < B; b++) {
    const { alpha: a, sigma: s, dAlpha: da, dSigma: ds_ } = path.at(ts[b]!);
    for (let j = 0; j < DIM; j++) {
      const i = b * DIM + j;
      const x = xs[i]!;
      const D = ds[i]!;
      out[i] =
        kind === 'denoiser' ? D : kind === 'velocity' ? da * D + (ds_ * (x - a * D)) / s : kind === 'score' ? (a * D - x) / (s * s) : (x - a * D) / s;
    }
  }
  return out;
}

describe.each(paths.map((p) => [p.name, p] as const))('%s conversions', (_name, path) => {
  it('each xFromDenoiser matches the float64 formula of method.md', () => {
    const { xs, ds, ts, x, D, t } = batch(1);
    const fns = { velocity: velocityFromDenoiser, score: scoreFromDenoiser, eps: epsFromDenoiser } as const;
    for (const kind of ['velocity', 'score', 'eps'] as const) {
      const got = fns[kind](x, D, t, path);
      const want = reference(kind, path, xs, ds, ts);
      const scale = Math.max(...Array.from(want, Math.abs));
      expect(maxAbsDiff(got, want)).toBeLessThan(2e-6 * scale);
      got.dispose();
    }
    tf.dispose([x, D, t]);
  });

  it('the explicit inverses undo the forward conversions', () => {
    const { x, D, t } = batch(2);
    const pairs = [
      [velocityFromDenoiser, denoiserFromVelocity],
      [scoreFromDenoiser, denoiserFromScore],
      [epsFromDenoiser, denoiserFromEps],
    ] as const;
    for (const [fwd, inv] of pairs) {
      const v = fwd(x, D, t, path);
      const back = inv(x, v, t, path);
      expect(maxAbsDiff(back, D)).toBeLessThan(1e-5 * Math.max(1, maxAbs(D)));
      tf.dispose([v, back]);
    }
    tf.dispose([x, D, t]);
  });

  it('every pair of parameterisations round-trips through convertParameterisation (~1e-5)', () => {
    const { x, D, t } = batch(3);
    for (const from of kinds) {
      const value = convertParameterisation('denoiser', from, x, D, t, path);
      for (const to of kinds) {
        const there = convertParameterisation(from, to, x, value, t, path);
        const back = convertParameterisation(to, from, x, there, t, path);
        expect(maxAbsDiff(back, value)).toBeLessThan(1e-5 * Math.max(1, maxAbs(value)));
        // and `there` is the direct denoiser → to conversion
        const direct = convertParameterisation('denoiser', to, x, D, t, path);
        expect(maxAbsDiff(there, direct)).toBeLessThan(1e-5 * Math.max(1, maxAbs(direct)));
        tf.dispose([there, back, direct]);
      }
      value.dispose();
    }
    tf.dispose([x, D, t]);
  });

  it('with D = x1 at x = x_t = α x1 + σ z: velocity = α\' x1 + σ\' z, ε = z, score = −z/σ', () => {
    const rng = new Rng(4);
    const x1s = rng.normalArray(B * DIM);
    const zs = rng.normalArray(B * DIM);
    const ts = rng.uniformArray(B, 0.05, 0.95);
    const xts = new Float32Array(B * DIM);
    const vRef = new Float64Array(B * DIM);
    const sRef = new Float64Array(B * DIM);
    for (let b = 0; b < B; b++) {
      const c = path.at(ts[b]!);
      for (let j = 0; j < DIM; j++) {
        const i = b * DIM + j;
        xts[i] = c.alpha * x1s[i]! + c.sigma * zs[i]!;
        vRef[i] = c.dAlpha * x1s[i]! + c.dSigma * zs[i]!;
        sRef[i] = -zs[i]! / c.sigma;
      }
    }
    const xt = tf.tensor2d(xts, [B, DIM]);
    const x1 = tf.tensor2d(x1s, [B, DIM]);
    const t = tf.tensor1d(ts);
    const v = velocityFromDenoiser(xt, x1, t, path);
    const e = epsFromDenoiser(xt, x1, t, path);
    const s = scoreFromDenoiser(xt, x1, t, path);
    expect(maxAbsDiff(v, vRef)).toBeLessThan(1e-5 * Math.max(1, ...Array.from(vRef, Math.abs)));
    expect(maxAbsDiff(e, zs)).toBeLessThan(1e-5 * 5);
    expect(maxAbsDiff(s, sRef)).toBeLessThan(1e-5 * Math.max(1, ...Array.from(sRef, Math.abs)));
    tf.dispose([xt, x1, t, v, e, s]);
  });

  it('works on [batch, h, w, c] tensors (per-sample broadcasting of t)', () => {
    const rng = new Rng(5);
    const x = rng.normalTensor([3, 2, 2, 1]);
    const D = rng.normalTensor([3, 2, 2, 1]);
    const ts = [0.2, 0.5, 0.8];
    const t = tf.tensor1d(ts);
    const v = velocityFromDenoiser(x, D, t, path);
    expect(v.shape).toEqual([3, 2, 2, 1]);
    const xv = x.dataSync();
    const dv = D.dataSync();
    const want = new Float64Array(12);
    for (let i = 0; i < 12; i++) {
      const c = path.at(ts[Math.floor(i / 4)]!);
      want[i] = c.dAlpha * dv[i]! + (c.dSigma * (xv[i]! - c.alpha * dv[i]!)) / c.sigma;
    }
    expect(maxAbsDiff(v, want)).toBeLessThan(1e-5 * Math.max(1, ...Array.from(want, Math.abs)));
    tf.dispose([x, D, t, v]);
  });
});

describe('follmer specifics', () => {
  it('velocityFromDenoiser equals (D − t·x)/(1 − t²)', () => {
    const { xs, ds, ts, x, D, t } = batch(6);
    const v = velocityFromDenoiser(x, D, t, follmer);
    const want = new Float64Array(B * DIM);
    for (let i = 0; i < want.length; i++) {
      const ti = ts[Math.floor(i / DIM)]!;
      want[i] = (ds[i]! - ti * xs[i]!) / (1 - ti * ti);
    }
    expect(maxAbsDiff(v, want)).toBeLessThan(1e-5 * Math.max(1, ...Array.from(want, Math.abs)));
    tf.dispose([x, D, t, v]);
  });

  it('at t = 0 the velocity is D itself (finite at the noise end)', () => {
    const { x, D } = batch(7);
    const t = tf.zeros([B]) as tf.Tensor1D;
    const v = velocityFromDenoiser(x, D, t, follmer);
    expect(maxAbsDiff(v, D)).toBeLessThan(1e-7);
    tf.dispose([x, D, t, v]);
  });
});

describe('field models', () => {
  it('fieldModelFromDenoiser derives the velocity and fieldModelFromVelocity recovers the denoiser', () => {
    const { x, D, t } = batch(8);
    const W = tf.tensor2d([0.5, -0.2, 0.1, 0.3, 0.8, -0.4, 0.0, 0.2, 0.6], [3, 3]);
    const denoiser = (xx: tf.Tensor, tt: tf.Tensor1D) => tf.tidy(() => tf.add(tf.matMul(xx as tf.Tensor2D, W), tf.reshape(tt, [-1, 1])));
    for (const path of paths) {
      const fromD = fieldModelFromDenoiser(denoiser, path);
      expect(fromD.interpolant).toBe(path);
      const before = tf.memory().numTensors;
      const v = fromD.velocity(x, t);
      const d0 = denoiser(x, t);
      const vRef = velocityFromDenoiser(x, d0, t, path);
      expect(maxAbsDiff(v, vRef)).toBe(0);
      const fromV = fieldModelFromVelocity(fromD.velocity, path.name);
      expect(fromV.interpolant).toBe(path);
      const d1 = fromV.denoise(x, t);
      expect(maxAbsDiff(d1, d0)).toBeLessThan(1e-5 * Math.max(1, maxAbs(d0)));
      tf.dispose([v, d0, vRef, d1]);
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose([x, D, t, W]);
  });

  it('defaults to follmer', () => {
    expect(fieldModelFromDenoiser((x) => tf.clone(x)).interpolant).toBe(follmer);
    expect(fieldModelFromVelocity((x) => tf.clone(x)).interpolant).toBe(follmer);
  });
});

describe('tensor hygiene', () => {
  it('conversions leave tf.memory().numTensors unchanged once their results are disposed', () => {
    const { x, D, t } = batch(9);
    const before = tf.memory().numTensors;
    for (const path of paths) {
      const outs = [
        velocityFromDenoiser(x, D, t, path),
        denoiserFromVelocity(x, D, t, path),
        scoreFromDenoiser(x, D, t, path),
        denoiserFromScore(x, D, t, path),
        epsFromDenoiser(x, D, t, path),
        denoiserFromEps(x, D, t, path),
      ];
      for (const from of kinds) for (const to of kinds) outs.push(convertParameterisation(from, to, x, D, t, path));
      expect(tf.memory().numTensors).toBe(before + outs.length);
      tf.dispose(outs);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, D, t]);
  });
});
