import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { GaussianMixture, Rng, solverCapabilities, solvers } from '@charlearn/core';
import { dopri5, sample, StepBudgetError, type StepInfo } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// The conformance kit's field: a nonlinear two-component mixture flow with exact characteristics.
const gmm = new GaussianMixture({ means: [[1, -0.5], [-1, 0.8]], std: 0.5, weights: [0.6, 0.4] });
const model = gmm.fieldModel('follmer');
const n = 64;
const z = new Rng(0).normalArray(2 * n);
const t1 = 0.999;
const exact = gmm.exactFlow(z, 0, t1, { steps: 4000 });

function maxError(got: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < n; i++) e = Math.max(e, Math.hypot(got[2 * i]! - exact[2 * i]!, got[2 * i + 1]! - exact[2 * i + 1]!));
  return e;
}

describe('dopri5 (adaptive Dormand–Prince 5(4))', () => {
  it('is registered and declares itself adaptive, not a data-end solver', () => {
    expect(solverCapabilities(solvers.get('dopri5'))).toEqual({ family: 'runge-kutta', handlesDataEnd: false, stochastic: false, adaptive: true });
    expect(solvers.get('dopri5').tolerance).toEqual({ atol: 1e-5, rtol: 1e-5 });
  });

  it('against the exact characteristics: error roughly proportional to the tolerance, NFE growing as it falls', () => {
    const tols = [1e-2, 1e-3, 1e-4, 1e-5];
    const xInit = tf.tensor2d(z, [n, 2]);
    const rows = tols.map((tol) => {
      const r = sample({ solver: dopri5({ atol: tol, rtol: tol }), model, xInit, timeGrid: [0, t1] });
      const row = { tol, error: maxError(r.x.dataSync()), nfe: r.nfe, accepted: r.acceptedSteps };
      r.x.dispose();
      return row;
    });
    const table = JSON.stringify(rows);
    // measured: errors 8.2e-2 2.2e-3 3.1e-4 3.1e-5, NFE 14 26 38 62
    rows.forEach((r) => expect(r.error, table).toBeLessThan(10 * r.tol));
    rows.forEach((r, i) => i > 0 && expect(r.error, table).toBeLessThan(rows[i - 1]!.error));
    rows.forEach((r, i) => i > 0 && expect(r.nfe, table).toBeGreaterThanOrEqual(rows[i - 1]!.nfe));
    expect(rows[3]!.nfe, table).toBeGreaterThan(3 * rows[0]!.nfe);
    // slope of log(error) on log(tol): tolerance proportionality
    const xs = rows.map((r) => Math.log(r.tol));
    const ys = rows.map((r) => Math.log(r.error));
    const mx = xs.reduce((a, b) => a + b) / xs.length;
    const my = ys.reduce((a, b) => a + b) / ys.length;
    const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    expect(slope, table).toBeGreaterThan(0.7);
    expect(slope, table).toBeLessThan(1.5);
    xInit.dispose();
  });

  it('reports the accepted sub-step times to onStep, at every output time of the grid', () => {
    const xInit = tf.tensor2d(z, [n, 2]);
    const infos: StepInfo[] = [];
    const grid = [0, 0.5, 0.9, t1];
    const r = sample({ solver: dopri5({ atol: 1e-4, rtol: 1e-4 }), model, xInit, timeGrid: grid, onStep: (i) => infos.push(i) });
    expect(infos).toHaveLength(3);
    infos.forEach((info) => {
      const times = info.acceptedTimes!;
      expect(times.length).toBeGreaterThan(0);
      expect(times[times.length - 1]).toBe(info.s);
      expect(times.every((u, k) => u > (k === 0 ? info.t : times[k - 1]!))).toBe(true);
    });
    expect(r.acceptedSteps).toBe(infos.reduce((a, i) => a + i.acceptedTimes!.length, 0));
    expect(r.nfe).toBe(infos[2]!.nfe);
    expect(maxError(r.x.dataSync())).toBeLessThan(1e-3);
    tf.dispose([xInit, r.x]);
  });

  it('stops at maxNfe with a named error and no leaks', () => {
    const xInit = tf.tensor2d(z, [n, 2]);
    const before = tf.memory().numTensors;
    try {
      sample({ solver: dopri5({ atol: 1e-7, rtol: 1e-7, maxNfe: 20 }), model, xInit, timeGrid: [0, t1] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(StepBudgetError);
      expect((e as StepBudgetError).parameter).toBe('maxNfe');
      expect((e as StepBudgetError).nfe).toBe(20);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(() => dopri5({ atol: 0 })).toThrow(/atol/);
    xInit.dispose();
  });
});
