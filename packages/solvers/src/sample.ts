import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, TensorContainer } from '@tensorflow/tfjs-core';
import {
  assertNonEmptyBatch,
  assertTensor,
  assertTimeGrid,
  isTensor,
  NonFiniteError,
  PluginContractError,
  solvers,
  tausLike,
  timeGrid as makeTimeGrid,
  timesLike,
  TypeMismatchError,
  type FieldModel,
  type SolverPlugin,
  type TimeGridOptions,
} from '@charlearn/core';

/** What `onStep` receives after each solver step. */
export interface StepInfo {
  /** Step index, 0-based. */
  readonly index: number;
  /** Number of steps in the grid. */
  readonly steps: number;
  /** Start time of the step. */
  readonly t: number;
  /** End time of the step. */
  readonly s: number;
  /** The point at time `s`, `[batch, ...dims]`; owned by the driver (clone it to keep it). */
  readonly x: Tensor;
  /** Model evaluations so far. */
  readonly nfe: number;
}

/** Options of {@link sample}. */
export interface SampleOptions {
  /** A registered solver name (`'euler'`, `'heun'`, `'exp-integrator'`, a plugin's) or a plugin object. */
  solver: string | SolverPlugin;
  /** The model: denoiser, velocity, interpolant. */
  model: FieldModel;
  /** Starting points `[batch, ...dims]` at `timeGrid[0]` (not disposed). */
  xInit: Tensor;
  /** Explicit times (monotone, in [0, 1]) or options for `timeGrid()` from `@charlearn/core`. */
  timeGrid: readonly number[] | TimeGridOptions;
  /** Called after every step. */
  onStep?: (info: StepInfo) => void;
  /** Also return the points at every grid time (`steps + 1` tensors, the first a copy of `xInit`). */
  returnIntermediates?: boolean;
  /** Finish with one denoising step `D(x, t_last)` (1 more NFE): the usual end at `1 − eps1`. */
  denoiseLast?: boolean;
  /** Check every step's result for NaN/Inf and throw {@link NonFiniteError} naming the step (costs a sync per step). */
  checkFinite?: boolean;
}

/** What {@link sample} returns. */
export interface SampleResult {
  /** The end points `[batch, ...dims]`. */
  readonly x: Tensor;
  /** Model evaluations used (counted, not computed from the solver's claim). */
  readonly nfe: number;
  /** The time grid used. */
  readonly timeGrid: readonly number[];
  /** Points at each grid time, when requested. */
  readonly intermediates?: readonly Tensor[];
  /** The solver's name. */
  readonly solver: string;
}

/** Wraps a model so that every `denoise`/`velocity` call on a batch counts one NFE. */
export function countingModel(model: FieldModel): { model: FieldModel; count: () => number } {
  let nfe = 0;
  return {
    model: {
      interpolant: model.interpolant,
      denoise: (x, t, tau) => {
        nfe++;
        return model.denoise(x, t, tau);
      },
      velocity: (x, t, tau) => {
        nfe++;
        return model.velocity(x, t, tau);
      },
    },
    count: () => nfe,
  };
}

function assertFieldModel(model: unknown): asserts model is FieldModel {
  const m = model as Partial<FieldModel> | null;
  if (typeof m !== 'object' || m === null || typeof m.denoise !== 'function' || typeof m.velocity !== 'function' || typeof m.interpolant?.at !== 'function') {
    throw new TypeMismatchError('model must be a FieldModel { interpolant, denoise(x, t), velocity(x, t) }', 'model');
  }
}

function tensorsIn(container: unknown, out: Set<Tensor> = new Set()): Set<Tensor> {
  if (isTensor(container)) out.add(container);
  else if (Array.isArray(container)) container.forEach((c) => tensorsIn(c, out));
  else if (container && typeof container === 'object') Object.values(container).forEach((c) => tensorsIn(c, out));
  return out;
}

function assertFinite(x: Tensor, step: number, solver: string): void {
  const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(x))).dataSync()[0]);
  if (bad) throw new NonFiniteError(`solver '${solver}' produced NaN/Inf at step ${step}`, 'x', step);
}

/**
 * Solves the probability-flow ODE `dx/dt = v(x, t)` along `timeGrid` with a
 * solver plugin, starting from `xInit` (e.g. prior noise at t = 0). Counts
 * NFE, manages tensor lifetimes (no leaks, `xInit` is left alone), and checks
 * inputs before any tensor math.
 *
 * @example
 * ```ts
 * const gmm = new GaussianMixture({ means: [[-2, 0], [2, 0]], std: 0.3 });
 * const { x, nfe } = sample({
 *   solver: 'heun',
 *   model: gmm.fieldModel('follmer'),
 *   xInit: priorSample([1000, 2], 0),
 *   timeGrid: { steps: 20, eps1: 1e-3 },
 *   denoiseLast: true,
 * }); // nfe === 41
 * ```
 */
export function sample(options: SampleOptions): SampleResult {
  if (typeof options !== 'object' || options === null) {
    throw new TypeMismatchError('sample() takes an options object { solver, model, xInit, timeGrid }', 'options');
  }
  const plugin = solvers.resolve(options.solver, 'solver');
  assertFieldModel(options.model);
  assertTensor('xInit', options.xInit, undefined, { minRank: 1 });
  assertNonEmptyBatch('xInit', options.xInit);
  if (options.xInit.dtype !== 'float32') {
    throw new TypeMismatchError(`xInit must be float32, got ${options.xInit.dtype}`, 'xInit');
  }
  const grid = Array.isArray(options.timeGrid) ? [...options.timeGrid] : makeTimeGrid(options.timeGrid as TimeGridOptions);
  assertTimeGrid('timeGrid', grid);
  if (options.onStep !== undefined && typeof options.onStep !== 'function') {
    throw new TypeMismatchError('onStep must be a function', 'onStep');
  }

  const { model, count } = countingModel(options.model);
  const steps = grid.length - 1;
  const intermediates: Tensor[] | undefined = options.returnIntermediates ? [tf.clone(options.xInit)] : undefined;
  let x = options.xInit;
  let state: unknown = plugin.initialState ? plugin.initialState() : undefined;
  try {
    for (let i = 0; i < steps; i++) {
      const t = grid[i]!;
      const s = grid[i + 1]!;
      const prevX = x;
      const prevState = state;
      const result = tf.tidy(() => {
        const r = plugin.step(prevX, t, s, model, prevState);
        if (!r || !isTensor(r.x)) {
          throw new PluginContractError(`solver '${plugin.name}'.step must return { x: Tensor, state }`, 'solver');
        }
        return { x: r.x, state: r.state as TensorContainer };
      });
      x = result.x;
      state = result.state;
      const keep = tensorsIn(state);
      keep.add(x);
      if (intermediates) intermediates.forEach((k) => keep.add(k));
      keep.add(options.xInit);
      for (const old of tensorsIn(prevState)) if (!keep.has(old)) old.dispose();
      if (prevX !== options.xInit && !keep.has(prevX)) prevX.dispose();
      if (options.checkFinite) assertFinite(x, i, plugin.name);
      if (intermediates) intermediates.push(x === options.xInit ? tf.clone(x) : x);
      options.onStep?.({ index: i, steps, t, s, x, nfe: count() });
    }
    if (options.denoiseLast) {
      const last = grid[steps]!;
      const denoised = tf.tidy(() => model.denoise(x, timesLike(x, last), tausLike(x, last)));
      if (x !== options.xInit && !intermediates?.includes(x)) x.dispose();
      x = denoised;
      if (options.checkFinite) assertFinite(x, steps, plugin.name);
    }
  } finally {
    for (const t of tensorsIn(state)) if (t !== x && !t.isDisposed) t.dispose();
  }
  const out = x === options.xInit ? tf.clone(x) : x;
  return {
    x: out,
    nfe: count(),
    timeGrid: grid,
    solver: plugin.name,
    ...(intermediates ? { intermediates } : {}),
  };
}
