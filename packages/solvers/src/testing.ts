/**
 * @packageDocumentation
 * `@charlearn/solvers/testing`: the conformance suite a solver-plugin author
 * runs on their plugin. Framework-agnostic: {@link runSolverConformance}
 * returns a report, {@link assertSolverConformance} throws a readable one.
 *
 * @example
 * ```ts
 * import { assertSolverConformance } from '@charlearn/solvers/testing';
 * it('my solver conforms', async () => {
 *   const report = await assertSolverConformance(mySolver);
 *   expect(report.measuredOrder).toBeGreaterThan(3.7);
 * });
 * ```
 *
 * @module @charlearn/solvers/testing
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import {
  CharlearnError,
  GaussianMixture,
  isTensor,
  Rng,
  solverCapabilities,
  solvers,
  type FieldModel,
  type SolverCapabilities,
  type SolverPlugin,
} from '@charlearn/core';
import { countingModel, sample, stepContext } from './sample';
import { mixtureMarginal, momentError } from './marginals';

/** Options of {@link runSolverConformance}. */
export interface ConformanceOptions {
  /**
   * Step counts for the order measurement (default `[2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128]`:
   * dense enough that a 4th-order method shows its order before float32 round-off; measured with the
   * defaults: Euler 0.99, Heun 2.02, explicit midpoint 1.94, exponential integrator 1.01, RK4 3.77).
   */
  stepCounts?: readonly number[];
  /** The measured order may fall short of the declared one by at most this (default 0.25). */
  orderTolerance?: number;
  /** Errors below this are float32 round-off and are left out of the fit (default 4e-6; round-off on this problem is ~1e-6). */
  errorFloor?: number;
  /** Number of starting points (default 64). */
  batch?: number;
  /** Seed of the starting points and of the noise (default 0). */
  seed?: number;
  /** Adaptive solvers: the tolerances swept (default `[1e-2, 1e-3, 1e-4, 1e-5]`, atol = rtol). */
  tolerances?: readonly number[];
  /** Stochastic solvers: step counts of the weak-order measurement (default `[2, 4, 8, 16]`). */
  weakStepCounts?: readonly number[];
  /** Stochastic solvers: samples per moment estimate (default 16,000; the Monte-Carlo floor is 3 standard errors). */
  weakBatch?: number;
  /** Stochastic solvers: the measured weak order may fall short of the declared one by at most this (default 0.3). */
  weakOrderTolerance?: number;
}

/** What a check is about: the part of the contract every solver has, or a declared capability. */
export type ConformanceCapability = 'contract' | 'ode' | 'purity' | 'leaks' | 'errors' | 'handlesDataEnd' | 'adaptive' | 'stochastic';

/** One named check in a {@link ConformanceReport}. */
export interface ConformanceCheck {
  readonly name: string;
  /** The capability (or part of the contract) the check tests; the report names it for every failure. */
  readonly capability: ConformanceCapability;
  readonly passed: boolean;
  readonly detail: string;
}

/** End-point error at one step count (or tolerance, for an adaptive solver). */
export interface ConvergencePoint {
  readonly steps: number;
  readonly nfe: number;
  /** Max over the batch of the Euclidean end-point error against the exact flow (moment error for a stochastic solver). */
  readonly error: number;
  /** The tolerance, for an adaptive solver's sweep. */
  readonly tolerance?: number;
}

/** What {@link runSolverConformance} found. */
export interface ConformanceReport {
  readonly solver: string;
  readonly declaredOrder: number;
  /** The capabilities the suite tested (the declaration with defaults filled in). */
  readonly capabilities: SolverCapabilities;
  /**
   * Least-squares slope of log(error) against log(steps) (negated) over the finest 4 points above the floor; NaN if
   * fewer than 3. The weak order on moments for a stochastic solver; for an adaptive one the slope of log(error) on
   * log(tolerance) (≈ 1 when the error is proportional to the tolerance).
   */
  readonly measuredOrder: number;
  readonly convergence: readonly ConvergencePoint[];
  readonly checks: readonly ConformanceCheck[];
  readonly passed: boolean;
}

/**
 * The field of the suite: a two-component Gaussian mixture in 2-D on the
 * Föllmer path. Its velocity is closed-form and nonlinear in x (a single
 * Gaussian gives a linear ODE, on which e.g. the explicit midpoint rule
 * super-converges and a solver could over-claim its order). The reference
 * end points come from {@link GaussianMixture.exactFlow} (float64 RK4,
 * 4,000 steps: ~1e-12).
 */
export const conformanceTarget = {
  mixture: { means: [[1, -0.5], [-1, 0.8]], std: 0.5, weights: [0.6, 0.4] },
  /** Integration interval of the order test. */
  t0: 0,
  t1: 0.95,
} as const;

function fitOrder(points: readonly ConvergencePoint[], floor: number): number {
  // The asymptotic regime: the finest (up to 4) step counts whose error is above the round-off floor.
  const usable = points.filter((p) => p.error > floor && Number.isFinite(p.error)).slice(-4);
  if (usable.length < 3) return Number.NaN;
  return -logSlope(usable.map((p) => p.steps), usable.map((p) => p.error));
}

function maxRowError(got: Float32Array | Float64Array, want: Float64Array, dim: number): number {
  let worst = 0;
  for (let i = 0; i < got.length / dim; i++) {
    let e = 0;
    for (let j = 0; j < dim; j++) e += (got[i * dim + j]! - want[i * dim + j]!) ** 2;
    worst = Math.max(worst, Math.sqrt(e));
  }
  return worst;
}

function check(name: string, capability: ConformanceCapability, fn: () => string): ConformanceCheck {
  try {
    return { name, capability, passed: true, detail: fn() };
  } catch (e) {
    return { name, capability, passed: false, detail: e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e) };
  }
}

/** Least-squares slope of log(y) on log(x). */
function logSlope(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  lx.forEach((x, i) => {
    num += (x - mx) * (ly[i]! - my);
    den += (x - mx) * (x - mx);
  });
  return num / den;
}

/** Tensors held anywhere in a state object. */
function tensorsOf(c: unknown, out: Tensor[] = []): Tensor[] {
  if (isTensor(c)) out.push(c);
  else if (Array.isArray(c)) c.forEach((v) => tensorsOf(v, out));
  else if (c && typeof c === 'object') Object.values(c).forEach((v) => tensorsOf(v, out));
  return out;
}

function sameValues(a: Tensor, b: Tensor): boolean {
  const da = a.dataSync();
  const db = b.dataSync();
  return da.length === db.length && da.every((v, i) => v === db[i]);
}

/** One step through the contract, with the checks the driver makes: a returned tensor of the input's shape, the input left alone. */
function stepOnce(plugin: SolverPlugin, x: Tensor, t: number, s: number, model: FieldModel, state: unknown, rng: Rng | undefined): { x: Tensor; state: unknown } {
  const r = plugin.step(x, t, s, model, state, stepContext(plugin, rng));
  const fail = (message: string): never => {
    release([...(r && isTensor(r.x) ? [r.x] : []), ...tensorsOf(r?.state)], [x, ...tensorsOf(state)]);
    throw new Error(message);
  };
  if (x.isDisposed) fail(`step ${t} → ${s} disposed its input x (a step must leave its inputs alone)`);
  if (tensorsOf(state).some((u) => u.isDisposed)) fail(`step ${t} → ${s} disposed a tensor of its input state (the driver owns it)`);
  if (!r || !isTensor(r.x) || r.x.isDisposed) fail(`step ${t} → ${s} did not return { x: Tensor, state }`);
  return { x: r.x, state: r.state };
}

/** Frees what a step sequence holds, except `keep`. */
function release(ts: readonly Tensor[], keep: readonly Tensor[] = []): void {
  for (const u of ts) if (!keep.includes(u) && !u.isDisposed) u.dispose();
}

/** Lets the event loop run between long synchronous checks (test runners keep their workers alive through it). */
function breathe(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function expectNamedError(what: string, fn: () => unknown): string {
  try {
    const r = fn() as { x?: Tensor } | undefined;
    r?.x?.dispose();
  } catch (e) {
    if (e instanceof CharlearnError) return `${what}: ${e.name} (${e.message.slice(0, 80)})`;
    throw new Error(`${what}: expected a charlearn error naming the parameter, got ${(e as Error).name}: ${(e as Error).message}`);
  }
  throw new Error(`${what}: expected an error, none was thrown`);
}

/**
 * Runs the conformance suite (v2) on a solver plugin, on the current tfjs backend (the cpu backend is fine).
 * Every solver: the contract, NFE accounting, determinism and batch independence on the first step and on later,
 * stateful steps (a step that disposes its input is a failed check), no tensor leaks (direct `step` calls and
 * through `sample()`), bad-input errors. Then per declared capability: an ODE solver's measured convergence order
 * against `order` on a closed-form nonlinear field (and not far above it); `handlesDataEnd`: finite, convergent end
 * points on grids that end at t = 1; `adaptive`: error falling with the tolerance, NFE growing; `stochastic`:
 * reproducibility under a seed, noise from the passed source, weak order on the moments of the exact marginal.
 * Each check names its capability; the suite never throws for a faulty plugin.
 */
export async function runSolverConformance(plugin: SolverPlugin, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const {
    stepCounts = [2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128],
    orderTolerance = 0.25,
    errorFloor = 4e-6,
    batch = 64,
    seed = 0,
    tolerances = [1e-2, 1e-3, 1e-4, 1e-5],
    weakStepCounts = [2, 4, 8, 16],
    weakBatch = 16_000,
    weakOrderTolerance = 0.3,
  } = options;
  await tf.ready();
  const checks: ConformanceCheck[] = [];
  const contract = check('contract', 'contract', () => {
    solvers.resolve(plugin, 'solver');
    const c = solverCapabilities(plugin);
    return `name '${plugin.name}', order ${plugin.order}, ${plugin.nfePerStep} NFE/step, contract v${plugin.contract ?? 1}, ${c.family}${c.handlesDataEnd ? ', handles t = 1' : ''}${c.stochastic ? ', stochastic' : ''}${c.adaptive ? ', adaptive' : ''}`;
  });
  checks.push(contract);
  if (!contract.passed) {
    return {
      solver: String((plugin as { name?: unknown })?.name),
      declaredOrder: Number.NaN,
      capabilities: solverCapabilities(typeof plugin === 'object' && plugin !== null ? plugin : {}),
      measuredOrder: Number.NaN,
      convergence: [],
      checks,
      passed: false,
    };
  }
  const caps = solverCapabilities(plugin);
  const rngFor = (k: number): Rng | undefined => (caps.stochastic ? new Rng((seed + 1 + k) >>> 0) : undefined);

  const g = conformanceTarget;
  const mixture = new GaussianMixture({ means: g.mixture.means.map((m) => [...m]), std: g.mixture.std, weights: [...g.mixture.weights] });
  const model = mixture.fieldModel('follmer');
  const x0 = new Rng(seed).normalArray(batch * 2);
  const exact = mixture.exactFlow(x0, g.t0, g.t1, { steps: 4000 });
  // Every use gets its own copy of the start points, so that a step that disposes its input fails one check, not all.
  const fresh = (): Tensor => tf.tensor2d(x0, [batch, 2]);
  const withStart = <T>(fn: (x: Tensor) => T): T => {
    const x = fresh();
    try {
      return fn(x);
    } finally {
      if (!x.isDisposed) x.dispose();
    }
  };
  const uniform = (steps: number, t1: number = g.t1): number[] => Array.from({ length: steps + 1 }, (_, i) => (i === steps ? t1 : g.t0 + ((t1 - g.t0) * i) / steps));
  const endError = (solver: SolverPlugin, grid: readonly number[], want: Float64Array): { error: number; nfe: number } => {
    const r = withStart((xInit) => sample({ solver, model, xInit, timeGrid: grid, rng: rngFor(0) }));
    const got = r.x.dataSync() as Float32Array;
    r.x.dispose();
    return { error: maxRowError(got, want, 2), nfe: r.nfe };
  };

  let convergence: ConvergencePoint[] = [];
  let measuredOrder = Number.NaN;
  if (caps.stochastic) {
    // Weak order on moments: the first two moments of the exact marginal p_t at t = 0.9.
    const tEnd = 0.9;
    const p = mixtureMarginal(mixture, 'follmer', tEnd);
    const z = tf.tensor2d(new Rng(seed + 7).normalArray(weakBatch * 2), [weakBatch, 2]);
    let floor = 0;
    await breathe();
    checks.push(
      check('weak order on moments', 'stochastic', () => {
        convergence = weakStepCounts.map((steps) => {
          const r = sample({ solver: plugin, model, xInit: z, timeGrid: uniform(steps, tEnd), rng: new Rng(seed + 11) });
          const m = momentError(r.x.dataSync(), 2, p);
          r.x.dispose();
          floor = Math.max(floor, 3 * m.standardError);
          return { steps, nfe: r.nfe, error: m.error };
        });
        measuredOrder = fitOrder(convergence, floor);
        const table = convergence.map((c) => `${c.steps}:${c.error.toExponential(2)}`).join(' ');
        if (Number.isNaN(measuredOrder)) throw new Error(`fewer than 3 step counts have a moment error above the Monte-Carlo floor ${floor.toExponential(2)}; errors ${table}`);
        if (measuredOrder < plugin.order - weakOrderTolerance) {
          throw new Error(`measured weak order ${measuredOrder.toFixed(2)} < declared ${plugin.order} − ${weakOrderTolerance}; moment errors ${table} (MC floor ${floor.toExponential(2)})`);
        }
        return `weak order ${measuredOrder.toFixed(2)} (declared ${plugin.order}); moment errors ${table} (MC floor ${floor.toExponential(2)}, ${weakBatch} samples, t = ${tEnd})`;
      }),
    );
    z.dispose();
    await breathe();
    checks.push(
      check('reproducible under a seed, noise from the passed source', 'stochastic', () => {
        const run = (rng: Rng): Float32Array => {
          const r = withStart((xInit) => sample({ solver: plugin, model, xInit, timeGrid: uniform(4), rng }));
          const d = r.x.dataSync() as Float32Array;
          r.x.dispose();
          return d;
        };
        const rng = new Rng(seed + 3);
        const before = rng.state().join(',');
        const a = run(rng);
        if (rng.state().join(',') === before) throw new Error('sample() with rng left the generator untouched: the noise does not come from context.noise (the passed source)');
        const b = run(new Rng(seed + 3));
        if (!a.every((v, i) => v === b[i])) throw new Error('the same seed gave different samples (noise from somewhere other than the passed source?)');
        const c = run(new Rng(seed + 4));
        if (a.every((v, i) => v === c[i])) throw new Error('different seeds gave identical samples: the noise does not come from the passed source');
        return 'same seed, same samples; another seed, other samples; the rng advanced';
      }),
    );
  } else if (caps.adaptive) {
    await breathe();
    checks.push(
      check('error falls with the tolerance', 'adaptive', () => {
        if (typeof plugin.withTolerance !== 'function') throw new Error('adaptive solvers need withTolerance({ atol, rtol })');
        convergence = tolerances.map((tol) => ({ ...endError(plugin.withTolerance!({ atol: tol, rtol: tol }), [g.t0, g.t1], exact), steps: 1, tolerance: tol }));
        const table = convergence.map((c) => `${c.tolerance}:${c.error.toExponential(2)}/${c.nfe}NFE`).join(' ');
        convergence.forEach((c, i) => {
          const prev = convergence[i - 1];
          if (prev && !(c.error < prev.error || c.error <= errorFloor)) throw new Error(`the error did not fall from tolerance ${prev.tolerance} to ${c.tolerance}: ${table}`);
          if (prev && c.nfe < prev.nfe) throw new Error(`NFE fell as the tolerance fell (${prev.tolerance} → ${c.tolerance}): ${table}`);
          if (!(c.error <= 10 * c.tolerance! + errorFloor)) throw new Error(`error ${c.error.toExponential(2)} above 10 × tolerance ${c.tolerance}: ${table}`);
        });
        const usable = convergence.filter((c) => c.error > errorFloor);
        measuredOrder = usable.length >= 2 ? logSlope(usable.map((c) => c.tolerance!), usable.map((c) => c.error)) : Number.NaN;
        return `error ∝ tolerance^${measuredOrder.toFixed(2)}; tolerance:error/NFE ${table}`;
      }),
    );
  } else {
    // Convergence order of an ODE solver.
    await breathe();
    checks.push(
      check('convergence order', 'ode', () => {
        convergence = stepCounts.map((steps) => ({ steps, ...endError(plugin, uniform(steps), exact) }));
        measuredOrder = fitOrder(convergence, errorFloor);
        const table = convergence.map((p) => `${p.steps}:${p.error.toExponential(2)}`).join(' ');
        if (Number.isNaN(measuredOrder)) {
          throw new Error(`fewer than 3 step counts have an error above the floor ${errorFloor}; errors ${table}`);
        }
        if (measuredOrder < plugin.order - orderTolerance) {
          throw new Error(`measured order ${measuredOrder.toFixed(2)} < declared ${plugin.order} − ${orderTolerance}; errors ${table}`);
        }
        return `measured ${measuredOrder.toFixed(2)} (declared ${plugin.order}); errors ${table}`;
      }),
    );
    await breathe();
    checks.push(
      check('convergence', 'ode', () => {
        if (convergence.length === 0) throw new Error('no convergence measurement (see the order check)');
        const first = convergence[0]!;
        const last = convergence[convergence.length - 1]!;
        convergence.forEach((p, i) => {
          const prev = convergence[i - 1];
          if (prev && prev.error > errorFloor && !(p.error <= prev.error * 1.05)) {
            throw new Error(`error grew from ${prev.error.toExponential(2)} (${prev.steps} steps) to ${p.error.toExponential(2)} (${p.steps} steps)`);
          }
        });
        if (!(last.error <= Math.max(first.error / 16, errorFloor))) {
          throw new Error(`error fell only from ${first.error.toExponential(2)} to ${last.error.toExponential(2)} between ${first.steps} and ${last.steps} steps`);
        }
        return `error ${first.error.toExponential(2)} at ${first.steps} steps → ${last.error.toExponential(2)} at ${last.steps}`;
      }),
    );
  }

  // The data end, when declared.
  if (caps.handlesDataEnd) {
    await breathe();
    checks.push(
      check('steps onto t = 1 itself, finite and convergent', 'handlesDataEnd', () => {
        const seen: number[] = [];
        const spy: SolverPlugin = { ...plugin, step: (x, t, s, m, st, ctx) => (seen.push(s), plugin.step(x, t, s, m, st, ctx)) };
        const want = caps.stochastic ? undefined : mixture.exactFlow(x0, g.t0, 1 - 1e-7, { steps: 4000 });
        const errors = [4, 16, 64].map((steps) => {
          const r = withStart((xInit) => sample({ solver: spy, model, xInit, timeGrid: uniform(steps, 1), rng: rngFor(1) }));
          const got = r.x.dataSync() as Float32Array;
          r.x.dispose();
          if (!got.every(Number.isFinite)) throw new Error(`NaN/Inf at t = 1 with ${steps} steps (it declares handlesDataEnd: true)`);
          return want ? maxRowError(got, want, 2) : 0;
        });
        if (!seen.includes(1)) throw new Error('the solver was never handed s = 1');
        if (want && !(errors[2]! < errors[0]! / 2)) throw new Error(`end-point error at t = 1 did not fall: ${errors.map((e) => e.toExponential(2)).join(' → ')} at 4 → 16 → 64 steps`);
        return want ? `finite; error at t = 1 ${errors.map((e) => e.toExponential(2)).join(' → ')} at 4 → 16 → 64 steps` : 'finite at t = 1 with 4, 16, 64 steps';
      }),
    );
  }

  // NFE accounting (an adaptive solver's NFE per step varies: its sweep above counts it).
  if (!caps.adaptive) {
    await breathe();
    checks.push(
      check('NFE accounting', 'contract', () => {
        const steps = 5;
        const r = withStart((xInit) => sample({ solver: plugin, model, xInit, timeGrid: { steps, eps1: 0.05 }, rng: rngFor(2) }));
        r.x.dispose();
        if (r.nfe !== steps * plugin.nfePerStep) {
          throw new Error(`sample() counted ${r.nfe} model calls for ${steps} steps; nfePerStep says ${plugin.nfePerStep} (expected ${steps * plugin.nfePerStep})`);
        }
        return `${r.nfe} NFE for ${steps} steps`;
      }),
    );
  }

  // Purity and batch independence, on the first step and on later, stateful ones.
  await breathe();
  checks.push(
    check('pure steps: deterministic and batch-independent, first and later steps', 'purity', () => {
      const grid = uniform(6, 0.6);
      const row = 3;
      const held: Tensor[] = [];
      const tolRow = caps.adaptive ? 50 * (plugin.tolerance ? plugin.tolerance.atol + plugin.tolerance.rtol : 1e-4) : 1e-5;
      try {
        let x: Tensor = fresh();
        let xr: Tensor = tf.tensor2d(x0.slice(2 * row, 2 * row + 2), [1, 2]);
        held.push(x, xr);
        let state = plugin.initialState?.();
        let stateR = plugin.initialState?.();
        for (let i = 0; i < grid.length - 1; i++) {
          const [t, s] = [grid[i]!, grid[i + 1]!];
          // the same inputs twice (a stochastic solver: the same noise twice)
          const a = stepOnce(plugin, x, t, s, model, state, rngFor(10 + i));
          held.push(a.x, ...tensorsOf(a.state));
          const b = stepOnce(plugin, x, t, s, model, state, rngFor(10 + i));
          const same = sameValues(a.x, b.x);
          release([b.x, ...tensorsOf(b.state)], [a.x, ...tensorsOf(a.state), x, ...tensorsOf(state)]);
          if (!same) throw new Error(`step ${i} (${t.toFixed(2)} → ${s.toFixed(2)}): two calls with the same inputs gave different results${i > 0 ? ' (a later, stateful step)' : ''}`);
          if (!caps.stochastic) {
            const c = stepOnce(plugin, xr, t, s, model, stateR, undefined);
            held.push(c.x, ...tensorsOf(c.state));
            const da = a.x.dataSync();
            const dc = c.x.dataSync();
            const rowErr = Math.max(Math.abs(dc[0]! - da[2 * row]!), Math.abs(dc[1]! - da[2 * row + 1]!));
            if (!(rowErr <= tolRow)) throw new Error(`step ${i}: stepping one row alone differs from stepping it in a batch by ${rowErr}${i > 0 ? ' (a later, stateful step)' : ''}`);
            xr = c.x;
            stateR = c.state as typeof stateR;
          }
          x = a.x;
          state = a.state as typeof state;
        }
        return `same inputs, same outputs; ${caps.stochastic ? 'same noise, same outputs' : 'rows independent'}; ${grid.length - 1} steps`;
      } finally {
        release(held);
      }
    }),
  );

  // Tensor leaks.
  await breathe();
  checks.push(
    check('no tensor leaks', 'leaks', () => {
      const before = tf.memory().numTensors;
      let state = plugin.initialState?.();
      let x: Tensor = fresh();
      try {
        for (let i = 0; i < 4; i++) {
          const r = stepOnce(plugin, x, 0.1 * i, 0.1 * (i + 1), model, state, rngFor(20 + i));
          release([x, ...tensorsOf(state)], [r.x, ...tensorsOf(r.state)]);
          x = r.x;
          state = r.state as typeof state;
        }
      } finally {
        release([x, ...tensorsOf(state)]);
      }
      const direct = tf.memory().numTensors - before;
      const r = withStart((xInit) => sample({ solver: plugin, model, xInit, timeGrid: { steps: 6 }, returnIntermediates: true, denoiseLast: true, rng: rngFor(30) }));
      r.x.dispose();
      r.intermediates?.forEach((t) => t.dispose());
      const viaSample = tf.memory().numTensors - before;
      if (direct !== 0) throw new Error(`direct step() calls left ${direct} tensors behind`);
      if (viaSample !== 0) throw new Error(`sample() left ${viaSample} tensors behind`);
      return 'tensor count flat across steps';
    }),
  );

  // Bad input.
  const rng = rngFor(40);
  const xInit = fresh();
  const scalar = tf.scalar(1);
  const empty = tf.zeros([0, 2]);
  await breathe();
  checks.push(
    check('bad input gives named errors', 'errors', () =>
      [
        expectNamedError('scalar xInit', () => sample({ solver: plugin, model, xInit: scalar, timeGrid: { steps: 2 }, rng })),
        expectNamedError('non-tensor xInit', () => sample({ solver: plugin, model, xInit: [1, 2] as unknown as Tensor, timeGrid: { steps: 2 }, rng })),
        expectNamedError('empty batch', () => sample({ solver: plugin, model, xInit: empty, timeGrid: { steps: 2 }, rng })),
        expectNamedError('zero steps', () => sample({ solver: plugin, model, xInit, timeGrid: { steps: 0 }, rng })),
        expectNamedError('NaN in grid', () => sample({ solver: plugin, model, xInit, timeGrid: [0, Number.NaN, 0.5], rng })),
        expectNamedError('non-monotone grid', () => sample({ solver: plugin, model, xInit, timeGrid: [0, 0.5, 0.3], rng })),
        ...(caps.stochastic ? [expectNamedError('stochastic without rng', () => sample({ solver: plugin, model, xInit, timeGrid: { steps: 2 } }))] : []),
      ].join('; '),
    ),
  );
  tf.dispose([xInit, scalar, empty]);
  return {
    solver: plugin.name,
    declaredOrder: plugin.order,
    capabilities: caps,
    measuredOrder,
    convergence,
    checks,
    passed: checks.every((c) => c.passed),
  };
}

/** Formats a {@link ConformanceReport} as text. */
export function formatConformanceReport(report: ConformanceReport): string {
  const lines = [`solver '${report.solver}': ${report.passed ? 'CONFORMS' : 'DOES NOT CONFORM'}`];
  for (const c of report.checks) lines.push(`  ${c.passed ? 'ok  ' : 'FAIL'} [${c.capability}] ${c.name}: ${c.detail}`);
  const failed = [...new Set(report.checks.filter((c) => !c.passed).map((c) => c.capability))];
  if (failed.length) lines.push(`  failing: ${failed.join(', ')}`);
  return lines.join('\n');
}

/** Runs {@link runSolverConformance} and throws an `Error` with the formatted report unless every check passed. */
export async function assertSolverConformance(plugin: SolverPlugin, options?: ConformanceOptions): Promise<ConformanceReport> {
  const report = await runSolverConformance(plugin, options);
  if (!report.passed) throw new Error(formatConformanceReport(report));
  return report;
}

export { countingModel };
export { mixtureMarginal, marginalEstimates, marginalDeviations, momentError, type MixtureMarginal, type MarginalEstimates, type MarginalDeviation, type Estimate } from './marginals';
