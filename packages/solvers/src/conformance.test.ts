/**
 * Conformance kit v2: a third-party stochastic solver written from the README alone passes; solvers with a
 * wrong declaration, noise from elsewhere, impure later steps or a disposed input fail, each with a report that
 * names the failing check and its capability (and the kit never throws).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, timesLike, type SolverPlugin } from '@charlearn/core';
import { dopri5, heun, solvers } from './index';
import { formatConformanceReport, runSolverConformance, type ConformanceReport } from './testing';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Written from packages/solvers/README.md only: Euler–Maruyama on dx = [v + η(αD − x)] dt + σ√(2η) dW, with the
 * velocity and the denoiser called separately (2 NFE), noise from context.noise, onto t = 1 by the denoise.
 */
const eta = 0.5;
const thirdParty: SolverPlugin = {
  name: 'acme/langevin-euler',
  order: 1,
  nfePerStep: 2,
  contract: 2,
  capabilities: { family: 'runge-kutta', handlesDataEnd: true, stochastic: true, adaptive: false },
  step: (x, t, s, model, _state, context) => {
    const at = model.interpolant.at(t);
    const as = model.interpolant.at(s);
    const x1 = tf.tidy(() => {
      const d = model.denoise(x, timesLike(x, t));
      const v = model.velocity(x, timesLike(x, t));
      if (as.sigma === 0) return tf.mul(d, as.alpha);
      const drift = tf.add(v, tf.mul(tf.sub(tf.mul(d, at.alpha), x), eta));
      return tf.add(tf.add(x, tf.mul(drift, s - t)), tf.mul(context!.noise(x.shape), at.sigma * Math.sqrt(2 * eta * (s - t))));
    });
    return { x: x1, state: undefined };
  },
};

function failing(report: ConformanceReport): { name: string; capability: string }[] {
  return report.checks.filter((c) => !c.passed).map((c) => ({ name: c.name, capability: c.capability }));
}

describe('conformance kit v2', () => {
  it('a third-party stochastic solver written from the README passes, with its weak order measured', async () => {
    const report = await runSolverConformance(thirdParty);
    expect(failing(report), formatConformanceReport(report)).toEqual([]);
    expect(report.measuredOrder).toBeGreaterThan(0.7);
    expect(report.checks.map((c) => c.capability)).toEqual(expect.arrayContaining(['stochastic', 'handlesDataEnd', 'purity', 'leaks']));
  });

  it.each(['dopri5', 'ancestral', 'euler-maruyama'])('the built-in %s passes', async (name) => {
    const report = await runSolverConformance(solvers.get(name));
    expect(failing(report), formatConformanceReport(report)).toEqual([]);
  });

  // the failing solvers need no fine measurement: coarse step counts and few samples
  const quick = { weakBatch: 2000, stepCounts: [4, 8, 16, 32] };
  const noisy = (name: string, noise: (shape: readonly number[], ctx: Parameters<SolverPlugin['step']>[5]) => tf.Tensor, stochastic = true): SolverPlugin => ({
    ...thirdParty,
    name,
    capabilities: { ...thirdParty.capabilities, stochastic },
    step: (x, t, s, m, st, ctx) => thirdParty.step(x, t, s, m, st, { noise: (shape) => noise(shape, ctx) }),
  });
  const ownRng = () => new Rng(0);

  it.each([
    ['noise from tf.randomNormal, not the passed source', noisy('bad/tf-random', (shape) => tf.randomNormal([...shape])), 'stochastic', /noise does not come from context.noise|the same seed gave different samples/],
    ['noise from its own Rng', noisy('bad/own-rng', (shape) => ownRng().normalTensor(shape)), 'stochastic', /left the generator untouched|different seeds gave identical samples/],
    ['draws noise but declares stochastic: false', noisy('bad/undeclared-noise', (shape, ctx) => ctx!.noise(shape), false), 'ode', /does not declare capabilities.stochastic/],
  ] as const)('%s: fails, naming the check', async (_label, plugin, capability, message) => {
    const report = await runSolverConformance(plugin, quick);
    expect(report.passed).toBe(false);
    const bad = report.checks.filter((c) => !c.passed);
    expect(bad.map((c) => c.capability)).toContain(capability);
    expect(bad.map((c) => c.detail).join('\n')).toMatch(message);
    expect(formatConformanceReport(report)).toMatch(new RegExp(`FAIL \\[${capability}\\]`));
  });

  it('a solver that claims handlesDataEnd but is 0/0 at t = 1 fails [handlesDataEnd]', async () => {
    const rawHeun: SolverPlugin = {
      ...heun,
      name: 'bad/heun-claims-t1',
      step: (x, t, s, m) => ({
        x: tf.tidy(() => {
          const k1 = m.velocity(x, timesLike(x, t));
          const k2 = m.velocity(tf.add(x, tf.mul(k1, s - t)), timesLike(x, s));
          return tf.add(x, tf.mul(tf.add(k1, k2), (s - t) / 2));
        }),
        state: undefined,
      }),
    };
    const report = await runSolverConformance(rawHeun, quick);
    expect(failing(report)).toEqual([{ name: 'steps onto t = 1 itself, finite and convergent', capability: 'handlesDataEnd' }]);
    expect(report.checks.find((c) => !c.passed)!.detail).toMatch(/NaN\/Inf at t = 1/);
  });

  it('a multistep solver that adds noise after its first step fails purity on a later step', async () => {
    type S = { calls: number };
    const sneaky: SolverPlugin<S> = {
      name: 'bad/noisy-later',
      order: 1,
      nfePerStep: 1,
      initialState: () => ({ calls: 0 }),
      step: (x, t, s, m, state) => {
        const y = tf.tidy(() => tf.add(x, tf.mul(m.velocity(x, timesLike(x, t)), s - t)));
        if (state.calls === 0) return { x: y, state: { calls: 1 } };
        const out = tf.tidy(() => tf.add(y, tf.randomNormal(y.shape, 0, 1e-3)));
        y.dispose();
        return { x: out, state: { calls: state.calls + 1 } };
      },
    };
    const report = await runSolverConformance(sneaky as SolverPlugin, quick);
    const purity = report.checks.find((c) => c.capability === 'purity')!;
    expect(purity.passed).toBe(false);
    expect(purity.detail).toMatch(/step 1 .*same inputs gave different results \(a later, stateful step\)/);
  });

  it('a step that disposes its input is a failed check, not a crash', async () => {
    const disposer: SolverPlugin = {
      name: 'bad/disposes-input',
      order: 1,
      nfePerStep: 1,
      step: (x, t, s, m) => {
        const y = tf.tidy(() => tf.add(x, tf.mul(m.velocity(x, timesLike(x, t)), s - t)));
        x.dispose();
        return { x: y, state: undefined };
      },
    };
    const before = tf.memory().numTensors;
    const report = await runSolverConformance(disposer, quick);
    expect(report.passed).toBe(false);
    const details = report.checks.filter((c) => !c.passed).map((c) => `${c.capability}: ${c.detail}`).join('\n');
    expect(details).toMatch(/purity: .*disposed its input/);
    expect(details).toMatch(/disposed its input/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an adaptive solver whose error does not fall with the tolerance fails [adaptive]', async () => {
    const fixed = dopri5({ atol: 1e-2, rtol: 1e-2 });
    const ignoresTolerance: SolverPlugin = { ...fixed, name: 'bad/ignores-tolerance', withTolerance: () => fixed };
    const report = await runSolverConformance(ignoresTolerance);
    expect(failing(report)).toEqual([{ name: 'error falls with the tolerance', capability: 'adaptive' }]);
  });
});
