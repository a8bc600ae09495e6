import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { GaussianMixture, priorSample, solvers } from '@charlearn/core';
import { sample } from '@charlearn/solvers';
import { assertSolverConformance, formatConformanceReport } from '@charlearn/solvers/testing';
import { registerRk4, rk4, rk4Step } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});


describe('rk4/classic', () => {
  it('passes the conformance suite with a measured order near 4', async () => {
    const report = await assertSolverConformance(rk4);
    console.log(formatConformanceReport(report));
    expect(report.measuredOrder).toBeGreaterThanOrEqual(3.6);
    expect(report.measuredOrder).toBeLessThanOrEqual(4.6);
  });

  it('is registered on import and samples by name with 4 NFE per step', () => {
    expect(solvers.has('rk4/classic')).toBe(true);
    expect(solvers.get('rk4/classic')).toBe(rk4);
    const gmm = new GaussianMixture({ means: [[-2, 0], [2, 0]], std: 0.3 });
    const xInit = priorSample([256, 2], 1);
    const before = tf.memory().numTensors;
    const steps: number[] = [];
    const r = sample({
      solver: 'rk4/classic',
      model: gmm.fieldModel('follmer'),
      xInit,
      timeGrid: { steps: 10, eps1: 1e-3 },
      onStep: (info) => steps.push(info.nfe),
    });
    expect(r.solver).toBe('rk4/classic');
    expect(r.nfe).toBe(40);
    expect(steps).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 36, 40]);
    expect(r.x.shape).toEqual([256, 2]);
    expect(Array.from(r.x.dataSync()).every(Number.isFinite)).toBe(true);
    r.x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    xInit.dispose();
  });

  it('converges on a mixture and beats Heun at equal NFE', () => {
    const gmm = new GaussianMixture({ means: [[-2, 0], [2, 0]], std: 0.3 });
    const model = gmm.fieldModel('follmer');
    const xInit = priorSample([64, 2], 2);
    const exact = gmm.exactFlow(xInit.dataSync(), 0, 0.9);
    const errAt = (solver: string, n: number): number => {
      const r = sample({ solver, model, xInit, timeGrid: { steps: n, eps1: 0.1 } });
      const got = r.x.dataSync();
      r.x.dispose();
      return Math.max(...Array.from(got, (v, i) => Math.abs(v - exact[i]!)));
    };
    const e8 = errAt('rk4/classic', 8);
    const e16 = errAt('rk4/classic', 16);
    expect(e16).toBeLessThan(e8 / 4);
    expect(e16).toBeLessThan(1e-3);
    expect(e8).toBeLessThan(errAt('heun', 16) / 2); // both 32 NFE (measured ratio ≈ 3.6)
    xInit.dispose();
  });

  it('rk4Step leaves its input alone and frees its intermediates', () => {
    const model = new GaussianMixture({ means: [[1, 1]], std: 0.5 }).fieldModel('follmer');
    const x = priorSample([8, 2], 3);
    const before = tf.memory().numTensors;
    const y = rk4Step(x, 0, 0.2, model);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(x.isDisposed).toBe(false);
    expect(y.shape).toEqual([8, 2]);
    tf.dispose([x, y]);
  });

  it('registerRk4() is idempotent and does not warn', () => {
    const warn = console.warn;
    const warnings: unknown[] = [];
    console.warn = (...a: unknown[]) => warnings.push(a);
    try {
      const a = registerRk4();
      const b = registerRk4();
      expect(a).toEqual(b);
      expect(solvers.list().filter((n) => n === 'rk4/classic')).toHaveLength(1);
      solvers.unregister('rk4/classic');
      expect(solvers.has('rk4/classic')).toBe(false);
      registerRk4();
      expect(solvers.get('rk4/classic')).toBe(rk4);
    } finally {
      console.warn = warn;
    }
    expect(warnings).toEqual([]);
  });
});
