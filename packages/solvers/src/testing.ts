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
  solvers,
  type FieldModel,
  type SolverPlugin,
} from '@charlearn/core';
import { countingModel, sample } from './sample';

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
  /** Seed of the starting points (default 0). */
  seed?: number;
}

/** One named check in a {@link ConformanceReport}. */
export interface ConformanceCheck {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

/** End-point error at one step count. */
export interface ConvergencePoint {
  readonly steps: number;
  readonly nfe: number;
  /** Max over the batch of the Euclidean end-point error against the exact flow. */
  readonly error: number;
}

/** What {@link runSolverConformance} found. */
export interface ConformanceReport {
  readonly solver: string;
  readonly declaredOrder: number;
  /** Least-squares slope of log(error) against log(steps) (negated) over the finest 4 points above the floor; NaN if fewer than 3. */
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
  const xs = usable.map((p) => Math.log(p.steps));
  const ys = usable.map((p) => Math.log(p.error));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * (ys[i]! - my);
    den += (x - mx) * (x - mx);
  });
  return -num / den;
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

function check(name: string, fn: () => string): ConformanceCheck {
  try {
    return { name, passed: true, detail: fn() };
  } catch (e) {
    return { name, passed: false, detail: (e as Error).message };
  }
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
 * Runs the conformance suite on a solver plugin, on the current tfjs backend
 * (the cpu backend is fine): contract shape, measured convergence order on a
 * closed-form nonlinear field against the declared `order` (and not far above it), NFE accounting (counted calls
 * equal `nfePerStep` per step), determinism, batch independence, no tensor
 * leaks (direct `step` calls and through `sample()`), and bad-input errors.
 */
export async function runSolverConformance(plugin: SolverPlugin, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const { stepCounts = [2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128], orderTolerance = 0.25, errorFloor = 4e-6, batch = 64, seed = 0 } = options;
  await tf.ready();
  const checks: ConformanceCheck[] = [];
  const contract = check('contract', () => {
    solvers.resolve(plugin, 'solver');
    return `name '${plugin.name}', order ${plugin.order}, ${plugin.nfePerStep} NFE/step`;
  });
  checks.push(contract);
  if (!contract.passed) {
    return { solver: String((plugin as { name?: unknown })?.name), declaredOrder: Number.NaN, measuredOrder: Number.NaN, convergence: [], checks, passed: false };
  }

  const g = conformanceTarget;
  const mixture = new GaussianMixture({ means: g.mixture.means.map((m) => [...m]), std: g.mixture.std, weights: [...g.mixture.weights] });
  const model = mixture.fieldModel('follmer');
  const x0 = new Rng(seed).normalArray(batch * 2);
  const exact = mixture.exactFlow(x0, g.t0, g.t1, { steps: 4000 });
  const xInit = tf.tensor2d(x0, [batch, 2]);

  // Convergence order.
  const convergence: ConvergencePoint[] = [];
  for (const steps of stepCounts) {
    const grid = Array.from({ length: steps + 1 }, (_, i) => g.t0 + ((g.t1 - g.t0) * i) / steps);
    const r = sample({ solver: plugin, model, xInit, timeGrid: grid });
    const got = (await r.x.data()) as Float32Array;
    r.x.dispose();
    convergence.push({ steps, nfe: r.nfe, error: maxRowError(got, exact, 2) });
  }
  const measuredOrder = fitOrder(convergence, errorFloor);
  const table = convergence.map((p) => `${p.steps}:${p.error.toExponential(2)}`).join(' ');
  checks.push(
    check('convergence order', () => {
      if (Number.isNaN(measuredOrder)) {
        throw new Error(`fewer than 3 step counts have an error above the floor ${errorFloor}; errors ${table}`);
      }
      if (measuredOrder < plugin.order - orderTolerance) {
        throw new Error(`measured order ${measuredOrder.toFixed(2)} < declared ${plugin.order} − ${orderTolerance}; errors ${table}`);
      }
      return `measured ${measuredOrder.toFixed(2)} (declared ${plugin.order}); errors ${table}`;
    }),
  );
  checks.push(
    check('convergence', () => {
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

  // NFE accounting.
  checks.push(
    check('NFE accounting', () => {
      const steps = 5;
      const r = sample({ solver: plugin, model, xInit, timeGrid: { steps, eps1: 0.05 } });
      r.x.dispose();
      if (r.nfe !== steps * plugin.nfePerStep) {
        throw new Error(`sample() counted ${r.nfe} model calls for ${steps} steps; nfePerStep says ${plugin.nfePerStep} (expected ${steps * plugin.nfePerStep})`);
      }
      return `${r.nfe} NFE for ${steps} steps`;
    }),
  );

  // Determinism and batch independence of the pure step.
  checks.push(
    check('pure step: deterministic and batch-independent', () => {
      const state = plugin.initialState?.();
      const a = plugin.step(xInit, 0.1, 0.3, model, state);
      const b = plugin.step(xInit, 0.1, 0.3, model, state);
      const row = tf.slice(xInit, [3, 0], [1, 2]);
      const c = plugin.step(row, 0.1, 0.3, model, plugin.initialState?.());
      const da = a.x.dataSync();
      const db = b.x.dataSync();
      const dc = c.x.dataSync();
      const same = da.every((v, i) => v === db[i]);
      const rowErr = Math.max(Math.abs(dc[0]! - da[6]!), Math.abs(dc[1]! - da[7]!));
      tf.dispose([a as unknown as tf.TensorContainer, b as unknown as tf.TensorContainer, c as unknown as tf.TensorContainer, row]);
      if (!same) throw new Error('two calls with the same inputs gave different results');
      if (rowErr > 1e-5) throw new Error(`stepping one row alone differs from stepping it in a batch by ${rowErr}`);
      return 'same inputs, same outputs; rows independent';
    }),
  );

  // Tensor leaks.
  checks.push(
    check('no tensor leaks', () => {
      const before = tf.memory().numTensors;
      let state = plugin.initialState?.();
      let x: Tensor = tf.clone(xInit);
      for (let i = 0; i < 4; i++) {
        const r = plugin.step(x, 0.1 * i, 0.1 * (i + 1), model, state);
        const keep = new Set<Tensor>([r.x]);
        const collect = (c: unknown): void => {
          if (isTensor(c)) keep.add(c);
          else if (c && typeof c === 'object') Object.values(c).forEach(collect);
        };
        collect(r.state);
        const old: Tensor[] = [];
        const collectOld = (c: unknown): void => {
          if (isTensor(c)) old.push(c);
          else if (c && typeof c === 'object') Object.values(c).forEach(collectOld);
        };
        collectOld(state);
        old.push(x);
        old.filter((t) => !keep.has(t) && !t.isDisposed).forEach((t) => t.dispose());
        x = r.x;
        state = r.state;
      }
      x.dispose();
      tf.dispose(state as tf.TensorContainer);
      const direct = tf.memory().numTensors - before;
      const r = sample({ solver: plugin, model, xInit, timeGrid: { steps: 6 }, returnIntermediates: true, denoiseLast: true });
      r.x.dispose();
      r.intermediates?.forEach((t) => t.dispose());
      const viaSample = tf.memory().numTensors - before;
      if (direct !== 0) throw new Error(`direct step() calls left ${direct} tensors behind`);
      if (viaSample !== 0) throw new Error(`sample() left ${viaSample} tensors behind`);
      return 'tensor count flat across steps';
    }),
  );

  // Bad input.
  checks.push(
    check('bad input gives named errors', () =>
      [
        expectNamedError('scalar xInit', () => sample({ solver: plugin, model, xInit: tf.scalar(1), timeGrid: { steps: 2 } })),
        expectNamedError('non-tensor xInit', () => sample({ solver: plugin, model, xInit: [1, 2] as unknown as Tensor, timeGrid: { steps: 2 } })),
        expectNamedError('empty batch', () => sample({ solver: plugin, model, xInit: tf.zeros([0, 2]), timeGrid: { steps: 2 } })),
        expectNamedError('zero steps', () => sample({ solver: plugin, model, xInit, timeGrid: { steps: 0 } })),
        expectNamedError('NaN in grid', () => sample({ solver: plugin, model, xInit, timeGrid: [0, Number.NaN, 0.5] })),
        expectNamedError('non-monotone grid', () => sample({ solver: plugin, model, xInit, timeGrid: [0, 0.5, 0.3] })),
      ].join('; '),
    ),
  );
  xInit.dispose();
  return {
    solver: plugin.name,
    declaredOrder: plugin.order,
    measuredOrder,
    convergence,
    checks,
    passed: checks.every((c) => c.passed),
  };
}

/** Formats a {@link ConformanceReport} as text. */
export function formatConformanceReport(report: ConformanceReport): string {
  const lines = [`solver '${report.solver}': ${report.passed ? 'CONFORMS' : 'DOES NOT CONFORM'}`];
  for (const c of report.checks) lines.push(`  ${c.passed ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  return lines.join('\n');
}

/** Runs {@link runSolverConformance} and throws an `Error` with the formatted report unless every check passed. */
export async function assertSolverConformance(plugin: SolverPlugin, options?: ConformanceOptions): Promise<ConformanceReport> {
  const report = await runSolverConformance(plugin, options);
  if (!report.passed) throw new Error(formatConformanceReport(report));
  return report;
}

export { countingModel };
