import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { GaussianMixture, priorSample, Rng, solverCapabilities, solvers, type SolverPlugin } from '@charlearn/core';
import { ancestral, eulerMaruyama, eulerMaruyamaStep, sample } from './index';
import { marginalDeviations, mixtureMarginal } from './testing';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Two unequal, overlapping-at-t-0 components: nonlinear score, mixture weights identifiable at t = 0.9.
const gmm = new GaussianMixture({ means: [[1.5, -0.5], [-1, 1]], std: 0.4, weights: [0.7, 0.3] });
const model = gmm.fieldModel('follmer');
const tEnd = 0.9;
const uniform = (steps: number, t1 = tEnd): number[] => Array.from({ length: steps + 1 }, (_, i) => (i === steps ? t1 : (t1 * i) / steps));

/** Samples at tEnd from prior points, `n` of them, with `steps` steps and noise seed `seed`. */
function run(solver: string | SolverPlugin, n: number, steps: number, seed: number): Float32Array {
  const xInit = priorSample([n, 2], 100 + seed);
  const r = sample({ solver, model, xInit, timeGrid: uniform(steps), rng: new Rng(seed) });
  const d = r.x.dataSync() as Float32Array;
  tf.dispose([xInit, r.x]);
  return d;
}

describe('stochastic samplers on the Gaussian mixture: marginals against the exact ones', () => {
  // 3000 samples, 64 steps: the weak (discretisation) error is below the Monte-Carlo error here
  // (measured moment bias at 64 steps ≈ 0.01 vs a standard error ≈ 0.02-0.03). Fixed seeds: deterministic.
  const p = mixtureMarginal(gmm, 'follmer', tEnd);
  it.each(['euler-maruyama', 'ancestral'])('%s: means, covariances and mixture weights within 4 standard errors', (solver) => {
    const deviations = marginalDeviations(run(solver, 3000, 64, 1), 2, p);
    const table = deviations.map((d) => `${d.statistic} ${d.estimate.toFixed(4)} vs ${d.exact.toFixed(4)} (z ${d.z.toFixed(2)})`).join('; ');
    expect(deviations.map((d) => d.statistic)).toEqual(['mean[0]', 'mean[1]', 'cov[0][0]', 'cov[0][1]', 'cov[1][1]', 'weight[0]', 'weight[1]']);
    for (const d of deviations) expect(d.z, table).toBeLessThan(4);
  });

  it('the same check catches a sampler with the wrong noise level (Euler–Maruyama with √2 × the noise)', () => {
    const wrong: SolverPlugin = {
      ...eulerMaruyama(1),
      name: 'test/em-noise-x1.41',
      step: (x, t, s, m, _st, ctx) => ({ x: eulerMaruyamaStep(x, t, s, m, 1, { noise: (shape) => tf.mul(ctx!.noise(shape), Math.SQRT2) }), state: undefined }),
    };
    const deviations = marginalDeviations(run(wrong, 3000, 64, 1), 2, p);
    expect(Math.max(...deviations.map((d) => d.z))).toBeGreaterThan(8);
  });

  it('the same seed gives the same samples, another seed others; a run split in two with one Rng equals one run', () => {
    for (const solver of ['euler-maruyama', 'ancestral']) {
      const a = run(solver, 32, 8, 5);
      expect(Array.from(run(solver, 32, 8, 5))).toEqual(Array.from(a));
      expect(Array.from(run(solver, 32, 8, 6))).not.toEqual(Array.from(a));
      // resumable: [0 … 0.45] then [0.45 … 0.9], the generator carried over (as a resumed run restores it)
      const xInit = priorSample([32, 2], 105);
      const grid = uniform(8);
      const rng = new Rng(5);
      const first = sample({ solver, model, xInit, timeGrid: grid.slice(0, 5), rng });
      const second = sample({ solver, model, xInit: first.x, timeGrid: grid.slice(4), rng: Rng.fromState(rng.state()) });
      expect(Array.from(second.x.dataSync())).toEqual(Array.from(a));
      tf.dispose([xInit, first.x, second.x]);
    }
  });

  it('declare themselves: stochastic, and step onto t = 1 (the denoise there), finite', () => {
    expect(solverCapabilities(solvers.get('euler-maruyama'))).toEqual({ family: 'runge-kutta', handlesDataEnd: true, stochastic: true, adaptive: false });
    expect(solverCapabilities(solvers.get('ancestral'))).toEqual({ family: 'exp-integrator', handlesDataEnd: true, stochastic: true, adaptive: false });
    const xInit = priorSample([16, 2], 3);
    for (const solver of ['euler-maruyama', 'ancestral', ancestral(0.5)]) {
      const r = sample({ solver, model, xInit, timeGrid: uniform(10, 1), rng: new Rng(0) });
      expect(Array.from(r.x.dataSync()).every(Number.isFinite)).toBe(true);
      expect(r.nfe).toBe(10);
      r.x.dispose();
    }
    xInit.dispose();
    expect(() => eulerMaruyama(0)).toThrow(/eta/);
    expect(() => ancestral(1.5)).toThrow(/eta/);
  });
});
