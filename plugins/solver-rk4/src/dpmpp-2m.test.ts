import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { GaussianMixture, priorSample, solverCapabilities, solvers, timeGrid } from '@charlearn/core';
import { expIntegratorStep, sample } from '@charlearn/solvers';
import { assertSolverConformance, formatConformanceReport } from '@charlearn/solvers/testing';
import { dpmpp2m, dpmpp2mStep } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('rk4/dpmpp-2m', () => {
  it('passes the conformance suite (default settings) with measured order >= 1.75', async () => {
    const report = await assertSolverConformance(dpmpp2m);
    console.log(formatConformanceReport(report));
    expect(report.measuredOrder).toBeGreaterThanOrEqual(1.75);
  });

  it('declares itself an exponential integrator that steps onto the data end (contract v2)', () => {
    expect(solverCapabilities(dpmpp2m)).toEqual({ family: 'exp-integrator', handlesDataEnd: true, stochastic: false, adaptive: false });
    expect(dpmpp2m.contract).toBe(2);
    // its step onto σ = 0 is finite: the denoise D(x_t, t) (the correction weight vanishes with h = ∞)
    const model = new GaussianMixture({ means: [[1, -1], [-1, 0.5]], std: 0.4 }).fieldModel('follmer');
    const x = priorSample([16, 2], 9);
    const prev = dpmpp2mStep(x, 0.5, 0.8, model, dpmpp2m.initialState!());
    const end = dpmpp2mStep(prev.x, 0.8, 1, model, prev.state);
    const d = model.denoise(prev.x, tf.fill([16], 0.8) as tf.Tensor1D);
    const diff = Math.max(...Array.from(tf.tidy(() => tf.abs(tf.sub(end.x, d))).dataSync()));
    expect(diff).toBeLessThan(1e-6);
    tf.dispose([x, prev.x, prev.state.denoised!, end.x, end.state.denoised!, d]);
  });

  it('keeps its v1 name as a deprecated alias of the same solver', () => {
    const alias = solvers.get('solver-rk4/dpmpp-2m');
    expect(alias.step).toBe(dpmpp2m.step);
    expect(alias.deprecated).toMatch(/rk4\/dpmpp-2m/);
    expect(solverCapabilities(alias).family).toBe('exp-integrator');
  });

  it('is registered on import and samples by name with 1 NFE per step', () => {
    expect(solvers.get('rk4/dpmpp-2m')).toBe(dpmpp2m);
    const gmm = new GaussianMixture({ means: [[-2, 0], [2, 0]], std: 0.3 });
    const xInit = priorSample([128, 2], 1);
    const before = tf.memory().numTensors;
    const r = sample({ solver: 'rk4/dpmpp-2m', model: gmm.fieldModel('follmer'), xInit, timeGrid: { steps: 12 }, denoiseLast: true });
    expect(r.nfe).toBe(13);
    expect(Array.from(r.x.dataSync()).every(Number.isFinite)).toBe(true);
    r.x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    xInit.dispose();
  });

  it('steps from t = 0 (α = 0, λ = −∞) as the exponential integrator, twice, then uses its history', () => {
    const model = new GaussianMixture({ means: [[1, -1], [-1, 0.5]], std: 0.4 }).fieldModel('follmer');
    const x0 = priorSample([16, 2], 4);
    const close = (a: tf.Tensor, b: tf.Tensor) => Math.max(...Array.from(tf.tidy(() => tf.abs(tf.sub(a, b))).dataSync()));
    const r1 = dpmpp2mStep(x0, 0, 0.2, model, dpmpp2m.initialState!());
    const e1 = expIntegratorStep(x0, 0, 0.2, model);
    expect(close(r1.x, e1)).toBeLessThan(1e-6);
    expect(r1.state.t).toBe(0);
    // h_prev = λ(0.2) − λ(0) = ∞, so r = ∞ and the correction vanishes.
    const r2 = dpmpp2mStep(r1.x, 0.2, 0.4, model, r1.state);
    const e2 = expIntegratorStep(r1.x, 0.2, 0.4, model);
    expect(close(r2.x, e2)).toBeLessThan(1e-6);
    // Finite h_prev from now on: a second-order correction, not the EI step.
    const r3 = dpmpp2mStep(r2.x, 0.4, 0.6, model, r2.state);
    const e3 = expIntegratorStep(r2.x, 0.4, 0.6, model);
    expect(close(r3.x, e3)).toBeGreaterThan(1e-4);
    expect(Array.from(r3.x.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x0, r1.x, r1.state.denoised!, e1, r2.x, r2.state.denoised!, e2, r3.x, r3.state.denoised!, e3]);
  });

  it('beats the exponential integrator at equal NFE on a Karras grid', () => {
    const gmm = new GaussianMixture({ means: [[-2, 0], [2, 0], [0, 2]], std: 0.2 });
    const model = gmm.fieldModel('follmer');
    const xInit = priorSample([128, 2], 5);
    const grid = timeGrid({ steps: 10, spacing: 'karras', rho: 3, eps1: 1e-2 });
    const exact = gmm.exactFlow(xInit.dataSync(), 0, grid[grid.length - 1]!);
    const err = (solver: string): number => {
      const r = sample({ solver, model, xInit, timeGrid: grid });
      const got = r.x.dataSync();
      r.x.dispose();
      let sum = 0;
      for (let i = 0; i < got.length; i += 2) sum += Math.hypot(got[i]! - exact[i]!, got[i + 1]! - exact[i + 1]!);
      return sum / (got.length / 2);
    };
    expect(err('rk4/dpmpp-2m')).toBeLessThan(err('exp-integrator'));
    xInit.dispose();
  });
});
