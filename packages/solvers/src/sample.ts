import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, TensorContainer } from '@tensorflow/tfjs-core';
import {
  assertNonEmptyBatch,
  assertTensor,
  assertTimeGrid,
  isTensor,
  NonFiniteError,
  PluginContractError,
  solverCapabilities,
  solvers,
  tausLike,
  timeGrid as makeTimeGrid,
  timesLike,
  TypeMismatchError,
  typeLabel,
  type FieldModel,
  type Rng,
  type SolverPlugin,
  type SolverStepContext,
  type SolverStepStats,
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
  /**
   * True when this step was the driver's denoise `D(x, t)` into the data end (the grid ends at σ = 0 and the
   * solver does not declare `handlesDataEnd`), not a solver step.
   */
  readonly viaDenoise: boolean;
  /** An adaptive solver's accepted sub-step end times inside `[t, s]` (the last is `s`). */
  readonly acceptedTimes?: readonly number[];
  /** An adaptive solver's rejected sub-steps inside `[t, s]`. */
  readonly rejectedSteps?: number;
}

/** Options of {@link sample}. */
export interface SampleOptions {
  /** A registered solver name (`'euler'`, `'heun'`, `'exp-integrator'`, a plugin's) or a plugin object. */
  solver: string | SolverPlugin;
  /** The model: denoiser, velocity, interpolant. */
  model: FieldModel;
  /** Starting points `[batch, ...dims]` at `timeGrid[0]` (not disposed). */
  xInit: Tensor;
  /**
   * Explicit times (monotone, in [0, 1]) or options for `timeGrid()` from `@charlearn/core`. A grid that ends at
   * the data end (σ = 0, t = 1) is stepped onto by a solver that declares `handlesDataEnd`; for the others its
   * last interval is the denoise `D(x, t_last−1)` (1 NFE).
   */
  timeGrid: readonly number[] | TimeGridOptions;
  /** Called after every step. */
  onStep?: (info: StepInfo) => void;
  /** Also return the points at every grid time (`steps + 1` tensors, the first a copy of `xInit`). */
  returnIntermediates?: boolean;
  /** Finish with one denoising step `D(x, t_last)` (1 more NFE): the usual end at `1 − eps1`. */
  denoiseLast?: boolean;
  /** Check every step's result for NaN/Inf and throw {@link NonFiniteError} naming the step (costs a sync per step). */
  checkFinite?: boolean;
  /**
   * The seeded source of a stochastic solver's noise (required when the solver declares `stochastic`). It is
   * advanced by the draws, so a run split into two `sample()` calls on consecutive grids with the same `Rng`
   * (or one restored with `Rng.fromState`) draws the same numbers as one call.
   */
  rng?: Rng;
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
  /** Sub-steps an adaptive solver accepted over the whole grid (0 for fixed-step solvers). */
  readonly acceptedSteps: number;
  /** Sub-steps an adaptive solver rejected over the whole grid. */
  readonly rejectedSteps: number;
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
 * The step context `sample()` hands a solver: for a stochastic one, standard normals from `rng`; for the
 * others a noise source that throws (a solver that draws noise must declare `stochastic: true`).
 */
export function stepContext(plugin: SolverPlugin, rng: Rng | undefined): SolverStepContext {
  const stochastic = solverCapabilities(plugin).stochastic;
  return {
    noise: (shape) => {
      if (!stochastic) {
        throw new PluginContractError(`solver '${plugin.name}' drew noise but does not declare capabilities.stochastic: true`, 'solver');
      }
      if (!rng) throw new TypeMismatchError(`solver '${plugin.name}' is stochastic: pass rng: new Rng(seed) to sample()`, 'rng');
      return rng.normalTensor(shape);
    },
  };
}

const warnedDeprecated = new Set<string>();

function warnIfDeprecated(plugin: SolverPlugin): void {
  if (typeof plugin.deprecated === 'string' && !warnedDeprecated.has(plugin.name)) {
    warnedDeprecated.add(plugin.name);
    console.warn(`[charlearn] solver '${plugin.name}' is deprecated: ${plugin.deprecated}`);
  }
}

function checkStepResult(r: unknown, input: Tensor, plugin: SolverPlugin, index: number): asserts r is { x: Tensor; state: unknown } {
  const what = `solver '${plugin.name}'.step (step ${index})`;
  const res = r as { x?: unknown } | null | undefined;
  if (typeof res !== 'object' || res === null || !isTensor(res.x)) {
    throw new PluginContractError(`${what} must return { x: Tensor, state }, got ${typeLabel(r)}`, 'solver');
  }
  const x = res.x;
  if (x.isDisposed) throw new PluginContractError(`${what} returned a disposed tensor`, 'solver');
  if (input.isDisposed) throw new PluginContractError(`${what} disposed its input x; steps must leave their inputs alone`, 'solver');
  if (x.dtype !== 'float32') throw new PluginContractError(`${what} returned x of dtype ${x.dtype}; it must be float32 like its input`, 'solver');
  if (x.shape.length !== input.shape.length || x.shape.some((d, i) => d !== input.shape[i])) {
    throw new PluginContractError(`${what} returned x of shape [${x.shape.join(', ')}]; it must keep the input's shape [${input.shape.join(', ')}]`, 'solver');
  }
}

/**
 * Solves the probability-flow ODE `dx/dt = v(x, t)` (or, with a stochastic
 * solver, an SDE with the same marginals) along `timeGrid` with a solver
 * plugin, starting from `xInit` (e.g. prior noise at t = 0). Counts NFE,
 * manages tensor lifetimes (no leaks, on error paths too; `xInit` is left
 * alone), checks inputs before any tensor math and every step's output
 * (shape and dtype of `xInit`). A grid that ends at the data end is finished
 * by the solver itself when it declares `handlesDataEnd`, else by the denoise.
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
  const caps = solverCapabilities(plugin);
  warnIfDeprecated(plugin);
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
  // duck-typed: an Rng from another copy of @charlearn/core (ESM and CJS) is as good
  if (options.rng !== undefined && typeof (options.rng as Partial<Rng> | null)?.normalTensor !== 'function') {
    throw new TypeMismatchError(`rng must be an Rng from @charlearn/core, got ${typeLabel(options.rng)}`, 'rng');
  }
  if (caps.stochastic && !options.rng) {
    throw new TypeMismatchError(`solver '${plugin.name}' is stochastic: pass rng: new Rng(seed) to sample() (its noise source)`, 'rng');
  }

  const { model, count } = countingModel(options.model);
  const context = stepContext(plugin, options.rng);
  const steps = grid.length - 1;
  // The data end (σ = 0) for a solver that cannot step onto it: the last interval is the denoise.
  const denoiseInto = !caps.handlesDataEnd && steps >= 1 && grid[steps - 1]! < grid[steps]! && model.interpolant.at(grid[steps]!).sigma === 0;
  const xInit = options.xInit;
  const intermediates: Tensor[] = [];
  let x = xInit;
  let state: unknown = undefined;
  let accepted = 0;
  let rejected = 0;
  let done = false;
  /** Disposes `t` unless the caller owns it or the run still holds it. */
  const release = (t: Tensor, keep: Set<Tensor>): void => {
    if (t !== xInit && !keep.has(t) && !t.isDisposed) t.dispose();
  };
  try {
    if (options.returnIntermediates) intermediates.push(tf.clone(xInit));
    state = plugin.initialState ? plugin.initialState() : undefined;
    for (let i = 0; i < steps; i++) {
      const t = grid[i]!;
      const s = grid[i + 1]!;
      const prevX = x;
      const prevState = state;
      const viaDenoise = denoiseInto && i === steps - 1;
      let stats: SolverStepStats | undefined;
      const result = tf.tidy(() => {
        if (viaDenoise) return { x: model.denoise(prevX, timesLike(prevX, t), tausLike(prevX, t)), state: prevState as TensorContainer };
        const r = plugin.step(prevX, t, s, model, prevState, context);
        checkStepResult(r, prevX, plugin, i);
        stats = (r as { stats?: SolverStepStats }).stats;
        return { x: r.x, state: r.state as TensorContainer };
      });
      x = result.x;
      state = result.state;
      const keep = tensorsIn(state);
      keep.add(x);
      intermediates.forEach((k) => keep.add(k));
      for (const old of tensorsIn(prevState)) release(old, keep);
      release(prevX, keep);
      if (x === xInit) x = tf.clone(x); // a step that returns its input: the run owns its points
      if (options.checkFinite) assertFinite(x, i, plugin.name);
      if (options.returnIntermediates) intermediates.push(x);
      accepted += stats?.acceptedTimes?.length ?? 0;
      rejected += stats?.rejectedSteps ?? 0;
      options.onStep?.({
        index: i,
        steps,
        t,
        s,
        x,
        nfe: count(),
        viaDenoise,
        ...(stats?.acceptedTimes ? { acceptedTimes: stats.acceptedTimes } : {}),
        ...(stats?.rejectedSteps !== undefined ? { rejectedSteps: stats.rejectedSteps } : {}),
      });
    }
    if (options.denoiseLast) {
      const last = grid[steps]!;
      const prevX = x;
      x = tf.tidy(() => model.denoise(prevX, timesLike(prevX, last), tausLike(prevX, last)));
      release(prevX, new Set(intermediates));
      if (options.checkFinite) assertFinite(x, steps, plugin.name);
    }
    if (x === xInit) x = tf.clone(x);
    done = true;
  } finally {
    const keep = new Set<Tensor>(done ? [x, ...intermediates] : []);
    for (const t of tensorsIn(state)) release(t, keep);
    if (!done) {
      release(x, keep);
      intermediates.forEach((t) => release(t, keep));
    }
  }
  return {
    x,
    nfe: count(),
    timeGrid: grid,
    solver: plugin.name,
    acceptedSteps: accepted,
    rejectedSteps: rejected,
    ...(options.returnIntermediates ? { intermediates } : {}),
  };
}
