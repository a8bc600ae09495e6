import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GaussianMixture,
  ShapeError,
  cosine,
  denoiserMatchingLoss,
  distanceToData,
  edmCoefficients,
  edmDenoiser,
  fieldModelFromDenoiser,
  edmLossWeight,
  follmer,
  linear,
  Rng,
  sampleTrainingTimeBatch,
  sampleTrainingTimes,
  tausLike,
  timeBatch,
  timesLike,
  type Interpolant,
  type RawNetwork,
} from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** float32 unit round-off 2⁻²⁴: the relative error of one correctly rounded float32 operation. */
const U = 2 ** -24;

/** Float64 references at the exact τ (α, σ of each path written in τ; σ_d = sigmaData). */
function reference(name: string, tau: number, sd: number) {
  const sigma = name === 'follmer' ? Math.sqrt(tau * (2 - tau)) : name === 'linear' ? tau : Math.sin((Math.PI / 2) * tau);
  const alpha = name === 'cosine' ? Math.cos((Math.PI / 2) * tau) : 1 - tau;
  const cOut = (sigma * sd) / Math.sqrt(alpha * alpha * sd * sd + sigma * sigma);
  return { sigma, cNoise: 999 * tau, cOut, weight: 1 / (cOut * cOut) };
}

const rel = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);
const taus = [1e-5, 1e-6, 1e-7];
const paths: Interpolant[] = [follmer, linear, cosine];

/*
 * Error budget, in units of U, on a backend whose float32 ops are correctly rounded (the cpu backend
 * computes each op in float64 and rounds once): τ itself is rounded once (1U); c_noise = 999·τ adds one
 * product (2U). σ: Föllmer √(τ(2 − τ)) is 3 roundings under a square root (halved) plus the root's own
 * (2.5U); linear σ = τ (1U); cosine sin(fround(π/2)·τ) is τ, the float32 π/2, the product and the sine
 * (4U). c_out = σ·σ_d/√(α²σ_d² + σ²) adds the product by σ_d, the root of a sum ≈ α²σ_d² (about 2.5U,
 * since α = fround(1 − τ) ≈ 1 is exact to 1U) and the division: at most 4U + 1U + 2.5U + 1U ≈ 8.5U.
 * w = 1/c_out² doubles c_out's error and adds two roundings: ≈ 19U. The bounds below are those
 * budgets rounded up (2, 4, 9 and 20 U: at most 1.2e-6 relative); today's float32-t code is off by
 * 1.4e-3 (c_noise, τ = 1e-5) up to 35% (w, τ = 1e-7).
 */
const BOUND = { cNoise: 2 * U, sigma: 4 * U, cOut: 9 * U, weight: 20 * U };

describe('precision near the data end (τ = 1 − t = 1e-5, 1e-6, 1e-7)', () => {
  describe.each(paths.map((p) => [p.name, p] as const))('%s', (name, path) => {
    it.each([1, 0.5])('σ, c_noise, c_out and the EDM weight match float64 to float32 precision (σ_d = %s)', (sd) => {
      const times = timeBatch(taus.map((tau) => 1 - tau));
      const c = edmCoefficients(times.t, path, sd, times.tau);
      const { sigma } = path.coefficients(times.t, times.tau);
      const w = edmLossWeight(times.t, path, sd, times.tau);
      const got = { sigma: sigma.dataSync(), cNoise: c.cNoise.dataSync(), cOut: c.cOut.dataSync(), weight: w.dataSync() };
      taus.forEach((tau, i) => {
        const want = reference(name, tau, sd);
        for (const k of ['sigma', 'cNoise', 'cOut', 'weight'] as const) {
          expect(rel(got[k][i]!, want[k]), `${k} at τ = ${tau}`).toBeLessThanOrEqual(BOUND[k]);
        }
      });
      tf.dispose([times.t, times.tau, sigma, c.cIn, c.cOut, c.cSkip, c.cNoise, w]);
    });

    it('the host coefficients at(1 − τ) match float64 in τ to 1e-9 (no 1 − t² cancellation)', () => {
      for (const tau of taus) {
        // at() sees the float64 t = 1 − τ, whose own rounding moves τ by ≤ 1.1e-16 (1e-9 relative at τ = 1e-7)
        expect(rel(path.at(1 - tau).sigma, reference(name, tau, 1).sigma)).toBeLessThan(1e-9);
      }
    });

    it('without tau, a float32 t keeps the precision of the τ it implies (1 − t is exact in float32)', () => {
      const t32 = Float32Array.from(taus.map((tau) => 1 - tau));
      const t = tf.tensor1d(t32);
      const { sigma } = path.coefficients(t);
      const c = edmCoefficients(t, path);
      taus.forEach((_, i) => {
        const implied = 1 - t32[i]!; // exact: Sterbenz
        const want = reference(name, implied, 1);
        expect(rel(sigma.dataSync()[i]!, want.sigma)).toBeLessThanOrEqual(BOUND.sigma);
        expect(rel(c.cNoise.dataSync()[i]!, want.cNoise)).toBeLessThanOrEqual(BOUND.cNoise);
      });
      tf.dispose([t, sigma, c.cIn, c.cOut, c.cSkip, c.cNoise]);
    });
  });

  it('a float32 t alone cannot hold τ = 1e-6: the implied τ is off by more than 1% (why tau travels)', () => {
    const t = tf.tensor1d([1 - 1e-6]);
    const c = edmCoefficients(t, follmer);
    expect(rel(c.cNoise.dataSync()[0]!, 999e-6)).toBeGreaterThan(1e-2);
    tf.dispose([t, c.cIn, c.cOut, c.cSkip, c.cNoise]);
  });

  it('denoiserMatchingLoss applies the precise weight when given tau', () => {
    // D ≡ x1 + 1 (a constant unit error), so the loss of a one-sample batch is exactly w(τ)
    const x1 = tf.tensor2d([[0.3, -0.2]]);
    const z = tf.tensor2d([[1.1, 0.4]]);
    for (const tau of taus) {
      const times = timeBatch([1 - tau]);
      const loss = denoiserMatchingLoss({ denoiser: () => tf.add(x1, 1), x1, z, t: times.t, tau: times.tau, interpolant: follmer });
      expect(rel(loss.dataSync()[0]!, reference('follmer', tau, 1).weight)).toBeLessThanOrEqual(BOUND.weight);
      tf.dispose([times.t, times.tau, loss]);
    }
    tf.dispose([x1, z]);
  });

  it("a solver's view: model.denoise(x, timesLike, tausLike) hands the precise τ to the network", () => {
    // raw network F(xIn, c_noise) = c_noise, so at x = 0 the denoiser is D = c_out(τ)·c_noise(τ)
    const raw: RawNetwork = (xIn, cNoise) => tf.mul(tf.onesLike(xIn), tf.reshape(cNoise, [-1, 1]));
    const model = fieldModelFromDenoiser(edmDenoiser(raw, follmer), follmer);
    const x = tf.zeros([1, 2]);
    for (const tau of taus) {
      const d = tf.tidy(() => model.denoise(x, timesLike(x, 1 - tau), tausLike(x, 1 - tau)));
      const want = reference('follmer', tau, 1);
      expect(rel(d.dataSync()[0]!, want.cOut * want.cNoise)).toBeLessThanOrEqual(BOUND.cOut + BOUND.cNoise + U);
      d.dispose();
    }
    x.dispose();
  });

  it('the mixture denoiser with tau matches its float64 form at t = 1 − τ', () => {
    const gmm = new GaussianMixture({ means: [[-1, 0.5], [1.5, -0.5]], std: 0.2 });
    const x = tf.tensor2d([[0.4, 0.1]]);
    for (const tau of taus) {
      const t = 1 - tau;
      const d = gmm.denoise(x, timesLike(x, t), follmer, tausLike(x, t));
      const want = gmm.denoisePoint([0.4, 0.1], t);
      const got = d.dataSync();
      expect(Math.hypot(got[0]! - want[0]!, got[1]! - want[1]!) / Math.hypot(want[0]!, want[1]!)).toBeLessThan(1e-6);
      d.dispose();
    }
    x.dispose();
  });

  it('sampleTrainingTimeBatch draws the same t as sampleTrainingTimes, with tau = 1 − t (exact for t ≥ 0.5)', () => {
    const a = sampleTrainingTimes(64, new Rng(3), { eps0: 1e-5, eps1: 1e-5 });
    const b = sampleTrainingTimeBatch(64, new Rng(3), { eps0: 1e-5, eps1: 1e-5 });
    const ta = a.dataSync();
    const tb = b.t.dataSync();
    const tau = b.tau.dataSync();
    for (let i = 0; i < 64; i++) {
      expect(tb[i]).toBe(ta[i]);
      expect(tau[i]).toBe(Math.fround(1 - tb[i]!));
      if (tb[i]! >= 0.5) expect(tau[i]).toBe(1 - tb[i]!); // exact where it matters (Sterbenz)
    }
    tf.dispose([a, b.t, b.tau]);
  });

  it('distanceToData checks the shape of tau (ShapeError) and leaks nothing', () => {
    const t = tf.tensor1d([0.5, 0.9]);
    const tau = tf.tensor1d([0.5]);
    const before = tf.memory().numTensors;
    expect(() => tf.tidy(() => distanceToData(t, tau))).toThrow(ShapeError);
    expect(() => follmer.coefficients(t, tau)).toThrow(ShapeError);
    expect(tf.memory().numTensors).toBe(before);
    const d = tf.tidy(() => distanceToData(t));
    expect(Array.from(d.dataSync())).toEqual([0.5, Math.fround(1 - Math.fround(0.9))]);
    tf.dispose([t, tau, d]);
  });
});
