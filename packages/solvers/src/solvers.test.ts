import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  GaussianMixture,
  NonFiniteError,
  PluginContractError,
  Rng,
  TypeMismatchError,
  solverCapabilities,
  UnknownPluginError,
  ValueRangeError,
  fieldModelFromVelocity,
  registerSolver,
  solvers,
  timesLike,
  type SolverPlugin,
} from '@charlearn/core';
import { euler, expIntegrator, expIntegratorEdm, expIntegratorStep, heun, sample } from './index';
import { runSolverConformance } from './testing';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const gmm = new GaussianMixture({ means: [[-1.5, 0.5], [1, -1], [0.5, 1.5]], std: 0.3, weights: [1, 2, 1] });

describe('built-in solvers pass their own conformance suite', () => {
  it.each([
    [euler, 0.9, 1.2],
    [heun, 1.85, 2.25],
    [expIntegrator, 0.85, 1.2],
    [expIntegratorEdm, 0.85, 1.3],
  ] as const)('%# %o', async (plugin, lo, hi) => {
    const report = await runSolverConformance(plugin);
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    expect(report.measuredOrder).toBeGreaterThan(lo);
    expect(report.measuredOrder).toBeLessThan(hi);
  });
});

describe('the conformance suite can fail', () => {
  const lyingOrder: SolverPlugin = { ...euler, name: 'bad/lying-order', order: 2 };
  const lyingNfe: SolverPlugin = { ...heun, name: 'bad/lying-nfe', nfePerStep: 1 };
  const leaky: SolverPlugin = {
    name: 'bad/leaky',
    order: 1,
    nfePerStep: 1,
    step: (x, t, s, model) => {
      const v = model.velocity(x, timesLike(x, t)); // never disposed, nor the times tensor
      return { x: tf.add(x, tf.mul(v, s - t)), state: undefined };
    },
  };
  // Explicit midpoint claiming order 3: on a linear ODE (single-Gaussian data) it super-converges to order 3,
  // so the suite's field must be nonlinear to catch this claim.
  const midpointClaimingThree: SolverPlugin = {
    name: 'bad/midpoint-order-3',
    order: 3,
    nfePerStep: 2,
    step: (x, t, s, model) => ({
      x: tf.tidy(() => {
        const h = s - t;
        const k1 = model.velocity(x, timesLike(x, t));
        return tf.add(x, tf.mul(model.velocity(tf.add(x, tf.mul(k1, h / 2)), timesLike(x, t + h / 2)), h));
      }),
      state: undefined,
    }),
  };
  it.each([
    [lyingOrder, 'convergence order'],
    [midpointClaimingThree, 'convergence order'],
    [lyingNfe, 'NFE accounting'],
    [leaky, 'no tensor leaks'],
  ] as const)('%s', async (plugin, failing) => {
    const report = await runSolverConformance(plugin);
    expect(report.passed).toBe(false);
    expect(report.checks.find((c) => c.name === failing)?.passed).toBe(false);
  });
});

describe('exponential integrator', () => {
  it.each(['follmer', 'linear', 'cosine'])('is exact for point-mass data on %s in one step and in ten', (path) => {
    const point = new GaussianMixture({ means: [[0.7, -1.3]], std: 0 });
    const model = point.fieldModel(path);
    const z = new Rng(1).normalTensor([32, 2]);
    const t1 = 1 - 1e-3;
    const exact = point.exactFlow(z.dataSync(), 0, t1, { interpolant: path });
    for (const steps of [1, 10]) {
      const r = sample({ solver: 'exp-integrator', model, xInit: z, timeGrid: { steps, eps1: 1e-3 } });
      const got = r.x.dataSync();
      const err = Math.max(...Array.from(got, (v, i) => Math.abs(v - exact[i]!)));
      expect(err).toBeLessThan(2e-6);
      r.x.dispose();
    }
    z.dispose();
  });

  it.each(['follmer', 'linear', 'cosine'])('the EDM-preconditioned one is exact for a normalised single Gaussian N(0, I) on %s', (path) => {
    const gauss = new GaussianMixture({ means: [[0, 0]], std: 1 });
    const model = gauss.fieldModel(path);
    const z = new Rng(7).normalTensor([32, 2]);
    const t1 = 1 - 1e-3;
    const exact = gauss.exactFlow(z.dataSync(), 0, t1, { interpolant: path });
    for (const steps of [1, 10]) {
      const r = sample({ solver: 'exp-integrator-edm', model, xInit: z, timeGrid: { steps, eps1: 1e-3 } });
      const err = Math.max(...Array.from(r.x.dataSync(), (v, i) => Math.abs(v - exact[i]!)));
      expect(err).toBeLessThan(5e-6);
      r.x.dispose();
    }
    // ...while the frozen-denoiser form is not exact there (it is only for point masses).
    const r = sample({ solver: 'exp-integrator', model, xInit: z, timeGrid: { steps: 1, eps1: 1e-3 } });
    const err = Math.max(...Array.from(r.x.dataSync(), (v, i) => Math.abs(v - exact[i]!)));
    expect(err).toBeGreaterThan(0.1);
    r.x.dispose();
    z.dispose();
  });

  it('matches its formula for a single step', () => {
    const model = gmm.fieldModel('follmer');
    const x = new Rng(2).normalTensor([4, 2]);
    const [t, s] = [0.2, 0.6];
    const got = expIntegratorStep(x, t, s, model).dataSync();
    const d = model.denoise(x, timesLike(x, t)).dataSync();
    const st = Math.sqrt(1 - t * t);
    const ss = Math.sqrt(1 - s * s);
    const want = Array.from(x.dataSync(), (v, i) => (ss / st) * v + (s - (t * ss) / st) * d[i]!);
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
  });
});

describe('follmer noise end', () => {
  it('v(x, 0) is the data mean, finite', () => {
    const model = gmm.fieldModel('follmer');
    const x = new Rng(3).normalTensor([5, 2]);
    const v = model.velocity(x, timesLike(x, 0)).arraySync() as number[][];
    const mean = [0, 1].map((j) => gmm.means.reduce((acc, m, k) => acc + gmm.weights[k]! * m[j]!, 0));
    for (const row of v) row.forEach((vj, j) => expect(vj).toBeCloseTo(mean[j]!, 5));
  });
});

describe('sample()', () => {
  const model = gmm.fieldModel('follmer');
  afterEach(() => vi.restoreAllMocks());

  it('counts NFE, calls onStep once a step with increasing times, leaves xInit alone', () => {
    const xInit = new Rng(4).normalTensor([16, 2]);
    const seen: number[] = [];
    const before = tf.memory().numTensors;
    const r = sample({ solver: 'heun', model, xInit, timeGrid: { steps: 7 }, onStep: (i) => seen.push(i.s), denoiseLast: true });
    expect(r.nfe).toBe(7 * 2 + 1);
    expect(seen).toHaveLength(7);
    expect(seen.every((s, i) => i === 0 || s > seen[i - 1]!)).toBe(true);
    expect(xInit.isDisposed).toBe(false);
    r.x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('returns intermediates at every grid time, first equal to xInit', () => {
    const xInit = new Rng(5).normalTensor([8, 2]);
    const r = sample({ solver: euler, model, xInit, timeGrid: [0, 0.3, 0.6, 0.9], returnIntermediates: true });
    expect(r.intermediates).toHaveLength(4);
    expect(Array.from(r.intermediates![0]!.dataSync())).toEqual(Array.from(xInit.dataSync()));
    expect(Array.from(r.intermediates![3]!.dataSync())).toEqual(Array.from(r.x.dataSync()));
    r.intermediates!.forEach((t) => t.dispose());
  });

  it('unknown solver names list the registered ones', () => {
    const xInit = tf.zeros([2, 2]);
    const call = () => sample({ solver: 'rk45', model, xInit, timeGrid: { steps: 2 } });
    expect(call).toThrow(UnknownPluginError);
    expect(call).toThrow(/unknown solver 'rk45'.*'euler'.*'heun'.*'exp-integrator'.*'exp-integrator-edm'/);
  });

  it('zero or negative steps are ValueRangeErrors naming steps', () => {
    const xInit = tf.zeros([2, 2]);
    for (const steps of [0, -3]) {
      try {
        sample({ solver: 'euler', model, xInit, timeGrid: { steps } });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ValueRangeError);
        expect((e as ValueRangeError).parameter).toBe('steps');
      }
    }
  });

  it('checkFinite stops at the step that produced NaN', () => {
    const nanAfterHalf = fieldModelFromVelocity((x, t) => tf.tidy(() => tf.div(tf.onesLike(x), tf.reshape(tf.sub(0.5, t), [-1, 1]))), 'follmer');
    const xInit = tf.zeros([3, 2]);
    try {
      sample({ solver: 'euler', model: nanAfterHalf, xInit, timeGrid: [0, 0.25, 0.5, 0.75], checkFinite: true });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NonFiniteError);
      expect((e as NonFiniteError).step).toBe(2);
    }
  });

  it('runs a stateful (multistep) plugin and frees its history', () => {
    const ab2 = { ...statefulAb2(), name: 'test/ab2' };
    registerSolver(ab2);
    const before = tf.memory().numTensors;
    const xInit = new Rng(6).normalTensor([8, 2]);
    const r = sample({ solver: 'test/ab2', model, xInit, timeGrid: { steps: 10 } });
    r.x.dispose();
    xInit.dispose();
    expect(tf.memory().numTensors).toBe(before);
    solvers.unregister('test/ab2');
  });

  it('the registry warns on a duplicate name', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    registerSolver({ ...euler, name: 'test/dup' });
    registerSolver({ ...heun, name: 'test/dup' });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("solver named 'test/dup' is already registered"));
    solvers.unregister('test/dup');
  });

  it('leaks nothing on any thrown path: checkFinite, a step that throws mid-loop, an onStep that throws', () => {
    const nanAfterHalf = fieldModelFromVelocity((x, t) => tf.tidy(() => tf.div(tf.onesLike(x), tf.reshape(tf.sub(0.5, t), [-1, 1]))), 'follmer');
    const xInit = new Rng(8).normalTensor([6, 2]);
    let calls = 0;
    const throwsAtThird: SolverPlugin = {
      ...heun,
      name: 'test/throws-at-3',
      step: (x, t, s, m) => {
        if (++calls === 3) throw new Error('boom in step');
        return heun.step(x, t, s, m, undefined);
      },
    };
    const before = tf.memory().numTensors;
    for (const returnIntermediates of [false, true]) {
      calls = 0;
      expect(() => sample({ solver: 'euler', model: nanAfterHalf, xInit, timeGrid: [0, 0.25, 0.5, 0.75], checkFinite: true, returnIntermediates })).toThrow(NonFiniteError);
      expect(() => sample({ solver: throwsAtThird, model, xInit, timeGrid: { steps: 5 }, returnIntermediates })).toThrow('boom in step');
      const onStep = (i: { index: number }) => {
        if (i.index === 2) throw new Error('boom in onStep');
      };
      expect(() => sample({ solver: 'heun', model, xInit, timeGrid: { steps: 5 }, returnIntermediates, onStep })).toThrow('boom in onStep');
      // a stateful solver: its history is freed too
      const ab = statefulAb2();
      expect(() => sample({ solver: ab, model, xInit, timeGrid: { steps: 5 }, returnIntermediates, onStep })).toThrow('boom in onStep');
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(xInit.isDisposed).toBe(false);
    xInit.dispose();
  });

  it("checks each step's output: shape, dtype, a disposed input, a non-tensor, with named errors and no leaks", () => {
    const xInit = new Rng(9).normalTensor([4, 2]);
    const bad = (name: string, step: SolverPlugin['step']): SolverPlugin => ({ name, order: 1, nfePerStep: 1, step });
    const cases: [SolverPlugin, RegExp][] = [
      [bad('test/wrong-shape', (x) => ({ x: tf.reshape(tf.clone(x), [-1]), state: undefined })), /shape \[8\].*\[4, 2\]/],
      [bad('test/wrong-dtype', (x) => ({ x: tf.cast(x, 'int32'), state: undefined })), /dtype int32/],
      [bad('test/no-tensor', () => ({ x: [1, 2] as unknown as tf.Tensor, state: undefined })), /must return \{ x: Tensor, state \}/],
      [bad('test/disposes-input', (x, t, s) => {
        const y = tf.add(x, s - t);
        if (t > 0) x.dispose(); // the second step disposes the first step's output it was handed
        return { x: y, state: undefined };
      }), /disposed its input/],
    ];
    const before = tf.memory().numTensors;
    for (const [plugin, message] of cases) {
      try {
        sample({ solver: plugin, model, xInit, timeGrid: { steps: 3 } });
        expect.unreachable(plugin.name);
      } catch (e) {
        expect(e, plugin.name).toBeInstanceOf(PluginContractError);
        expect((e as Error).message).toMatch(plugin.name);
        expect((e as Error).message).toMatch(message);
      }
      expect(tf.memory().numTensors, plugin.name).toBe(before);
    }
    xInit.dispose();
  });

  it('finishes a grid that ends at t = 1: the solver itself when it declares handlesDataEnd, else the denoise', () => {
    const xInit = new Rng(10).normalTensor([16, 2]);
    const grid = timeGridTo1(4);
    // Heun declares the data end: its last step is the exponential-integrator step there (1 NFE, the denoise).
    expect(solverCapabilities(heun).handlesDataEnd).toBe(true);
    const h = sample({ solver: 'heun', model, xInit, timeGrid: grid });
    expect(h.nfe).toBe(3 * 2 + 1);
    // A v1 plugin (no declaration) is never handed s = 1: the driver finishes with D(x, t_last−1).
    const seen: number[] = [];
    const infos: boolean[] = [];
    const v1: SolverPlugin = { name: 'test/v1-heun', order: 2, nfePerStep: 2, step: (x, t, s, m) => (seen.push(s), heun.step(x, t, s, m, undefined)) };
    const r = sample({ solver: v1, model, xInit, timeGrid: grid, returnIntermediates: true, onStep: (i) => infos.push(i.viaDenoise) });
    expect(seen).toEqual(grid.slice(1, -1));
    expect(infos).toEqual([false, false, false, true]);
    expect(r.nfe).toBe(3 * 2 + 1);
    const d = model.denoise(r.intermediates![3]!, timesLike(r.intermediates![3]!, grid[3]!));
    expect(Array.from(r.x.dataSync())).toEqual(Array.from(d.dataSync()));
    expect(Array.from(h.x.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([h.x, d, ...r.intermediates!, xInit]);
  });

  it('noise: a stochastic solver needs an rng; a solver that draws noise must declare stochastic', () => {
    const xInit = tf.zeros([2, 2]);
    const noisy = (stochastic: boolean): SolverPlugin => ({
      name: `test/noisy-${stochastic}`,
      order: 1,
      nfePerStep: 1,
      contract: 2,
      capabilities: { family: 'runge-kutta', handlesDataEnd: false, stochastic, adaptive: false },
      step: (x, t, s, m, _st, ctx) => ({ x: tf.add(euler.step(x, t, s, m, undefined).x, ctx!.noise(x.shape)), state: undefined }),
    });
    expect(() => sample({ solver: noisy(true), model, xInit, timeGrid: { steps: 2 } })).toThrow(TypeMismatchError);
    expect(() => sample({ solver: noisy(true), model, xInit, timeGrid: { steps: 2 } })).toThrow(/rng/);
    expect(() => sample({ solver: noisy(true), model, xInit, timeGrid: { steps: 2 }, rng: { seed: 1 } as unknown as Rng })).toThrow(/rng must be an Rng/);
    const before = tf.memory().numTensors;
    expect(() => sample({ solver: noisy(false), model, xInit, timeGrid: { steps: 2 }, rng: new Rng(0) })).toThrow(/does not declare capabilities.stochastic/);
    expect(tf.memory().numTensors).toBe(before);
    const a = sample({ solver: noisy(true), model, xInit, timeGrid: { steps: 2 }, rng: new Rng(5) });
    const b = sample({ solver: noisy(true), model, xInit, timeGrid: { steps: 2 }, rng: new Rng(5) });
    expect(Array.from(a.x.dataSync())).toEqual(Array.from(b.x.dataSync()));
    tf.dispose([a.x, b.x, xInit]);
  });

  it('validates contract v2 declarations with named errors', () => {
    const base = { name: 'test/v2', order: 1, nfePerStep: 1, step: euler.step };
    expect(() => registerSolver({ ...base, contract: 2 })).toThrow(/capabilities is required with contract: 2/);
    expect(() => registerSolver({ ...base, contract: 2, capabilities: { family: 'runge-kutta' } })).toThrow(/must declare handlesDataEnd, stochastic, adaptive/);
    expect(() => registerSolver({ ...base, capabilities: { family: 'rk' as 'runge-kutta' } })).toThrow(PluginContractError);
    expect(() => registerSolver({ ...base, capabilities: { adaptive: true } })).toThrow(/withTolerance/);
    expect(() => registerSolver({ ...base, contract: 3 as 2 })).toThrow(/contract must be 1 or 2/);
    expect(solvers.has('test/v2')).toBe(false);
  });
});

/** Two-step Adams–Bashforth on the velocity (first step Euler): a stateful (multistep) plugin that holds a tensor. */
function statefulAb2(): SolverPlugin<{ prevV: tf.Tensor | null; prevH: number }> {
  return {
    name: 'test/ab2-inline',
    order: 2,
    nfePerStep: 1,
    initialState: () => ({ prevV: null, prevH: 0 }),
    step: (x, t, s, m, state) => {
      const h = s - t;
      const v = m.velocity(x, timesLike(x, t));
      const next = state.prevV
        ? tf.tidy(() => tf.add(x, tf.mul(tf.sub(tf.mul(v, 1 + h / (2 * state.prevH)), tf.mul(state.prevV!, h / (2 * state.prevH))), h)))
        : tf.tidy(() => tf.add(x, tf.mul(v, h)));
      return { x: next, state: { prevV: v, prevH: h } };
    },
  };
}

/** A uniform grid of `steps` intervals from 0 that ends exactly at the data end t = 1. */
function timeGridTo1(steps: number): number[] {
  return Array.from({ length: steps + 1 }, (_, i) => i / steps);
}
