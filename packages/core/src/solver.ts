import type { Tensor } from '@tensorflow/tfjs-core';
import type { FieldModel } from './field';
import { PluginContractError } from './errors';
import { createRegistry, requireMember, type Registry } from './registry';

/**
 * Version of the solver plugin contract. v2 (this one) adds
 * {@link SolverCapabilities}, the step's {@link SolverStepContext} (a seeded
 * noise source) and {@link SolverStepStats}; a v1 plugin (no `contract`
 * field) keeps working with {@link DEFAULT_SOLVER_CAPABILITIES}.
 */
export const SOLVER_CONTRACT_VERSION = 2;

/**
 * The scheme a solver belongs to: `'runge-kutta'` (steps on the velocity, Euler, Heun, RK4, Dormand–Prince),
 * `'exp-integrator'` (the linear part of the ODE solved exactly, a denoiser frozen: DDIM, DEIS, DPM-Solver++,
 * ancestral samplers), `'linear-multistep'` (Adams-type on the velocity) or `'other'`.
 * Callers that treat exponential integrators specially (the distiller's NFE protocol) read this.
 */
export type SolverFamily = 'runge-kutta' | 'exp-integrator' | 'linear-multistep' | 'other';

/** The solver families, for validation and listings. */
export const SOLVER_FAMILIES: readonly SolverFamily[] = ['runge-kutta', 'exp-integrator', 'linear-multistep', 'other'];

/** What a solver declares about itself (contract v2). */
export interface SolverCapabilities {
  /** Its scheme ({@link SolverFamily}). */
  readonly family: SolverFamily;
  /**
   * Whether `step(x, t, s)` may end at the data end `s = 1` (σ = 0) itself, finite, where e.g. `v(x, 1)` is 0/0.
   * When false, `sample()` finishes a grid that ends at 1 with the denoise `D(x, t_last)` instead.
   */
  readonly handlesDataEnd: boolean;
  /** Whether the step draws noise from {@link SolverStepContext.noise} (an SDE sampler); `sample()` then needs an `rng`. */
  readonly stochastic: boolean;
  /** Whether the step subdivides `[t, s]` itself to a tolerance (then NFE per step varies; see {@link SolverPlugin.withTolerance}). */
  readonly adaptive: boolean;
}

/** The capabilities a v1 plugin (or a v2 one that leaves some out) gets: today's behaviour of the library. */
export const DEFAULT_SOLVER_CAPABILITIES: SolverCapabilities = Object.freeze({
  family: 'other',
  handlesDataEnd: false,
  stochastic: false,
  adaptive: false,
});

/** Absolute and relative tolerance of an adaptive solver. */
export interface SolverTolerance {
  /** Absolute tolerance (> 0). */
  readonly atol: number;
  /** Relative tolerance (> 0). */
  readonly rtol: number;
}

/** What the driver hands every step besides the point and the state. */
export interface SolverStepContext {
  /**
   * Standard normals of the given shape as a float32 tensor, drawn from the caller's seeded `Rng` (so runs
   * are reproducible and resumable). Only for solvers that declare `stochastic: true`; for the others it
   * throws a `PluginContractError`.
   */
  noise(shape: readonly number[]): Tensor;
}

/** Optional figures a step reports (adaptive solvers). */
export interface SolverStepStats {
  /** End times of the sub-steps the solver accepted inside `[t, s]`, increasing, the last one `s`. */
  readonly acceptedTimes?: readonly number[];
  /** Sub-steps it rejected (error above tolerance) inside `[t, s]`. */
  readonly rejectedSteps?: number;
}

/** What a solver step returns: the new point and the solver's carried state. */
export interface SolverStepResult<State> {
  /** `x` at the step's end time, `[batch, ...dims]`, float32, the shape of the input. */
  readonly x: Tensor;
  /** State handed to the next step (e.g. a multistep method's history). */
  readonly state: State;
  /** Figures of the step (adaptive solvers: accepted sub-step times). */
  readonly stats?: SolverStepStats;
}

/**
 * An ODE (or SDE) solver for the probability flow `dx/dt = v(x, t)`, as a plugin.
 * `step` is pure: one step from time `t` to time `s` that uses only its
 * inputs (and, for a stochastic solver, the noise source in `context`); the
 * driver (`sample()` in `@charlearn/solvers`) owns the time grid, tensor
 * lifetimes and NFE counting. Pass the model both `timesLike(x, t)` and
 * `tausLike(x, t)` (its distance to the data end, computed from the host
 * number), so that its coefficients keep their precision near t = 1.
 * Tensors in `state` are owned by the driver after the step returns: it
 * disposes those the next state no longer holds. The step must not dispose
 * its inputs.
 *
 * @example
 * ```ts
 * const euler: SolverPlugin = {
 *   name: 'my/euler', order: 1, nfePerStep: 1, contract: 2,
 *   capabilities: { family: 'runge-kutta', handlesDataEnd: false, stochastic: false, adaptive: false },
 *   step: (x, t, s, model) => {
 *     const v = model.velocity(x, timesLike(x, t), tausLike(x, t)); // tau: 1 − t, precise near the data end
 *     return { x: tf.add(x, tf.mul(v, s - t)), state: undefined };
 *   },
 * };
 * ```
 */
export interface SolverPlugin<State = unknown> {
  /** `'euler' | 'heun' | 'exp-integrator'` or `'pkg/name'` for third parties. */
  readonly name: string;
  /** Convergence order (global error `O(h^order)`; the weak order for a stochastic solver); the conformance suite measures it. */
  readonly order: number;
  /** Model evaluations (NFE) per step; the conformance suite counts them (per attempted sub-step for an adaptive solver). */
  readonly nfePerStep: number;
  /** One line for listings. */
  readonly description?: string;
  /** The contract the plugin was written to: {@link SOLVER_CONTRACT_VERSION} (2) or absent / 1 for a v1 plugin. */
  readonly contract?: 1 | 2;
  /** What it is and handles; required in full with `contract: 2`, defaults ({@link DEFAULT_SOLVER_CAPABILITIES}) otherwise. */
  readonly capabilities?: Partial<SolverCapabilities>;
  /** An adaptive solver's tolerance. */
  readonly tolerance?: SolverTolerance;
  /** An adaptive solver: the same solver at another tolerance (the conformance suite sweeps it). */
  withTolerance?(tolerance: SolverTolerance): SolverPlugin<State>;
  /** When set, the name is a deprecated alias and this says what to use instead. */
  readonly deprecated?: string;
  /** The state before the first step (multistep methods); omitted for one-step methods. */
  initialState?(): State;
  /**
   * One step `t → s`: `x: [batch, ...dims]` at time t → x at time s. `context` comes from the driver
   * (`sample()` always passes it); a stochastic solver called without one throws a named error.
   */
  step(x: Tensor, t: number, s: number, model: FieldModel, state: State, context?: SolverStepContext): SolverStepResult<State>;
}

/**
 * The capabilities of a plugin with the defaults filled in ({@link DEFAULT_SOLVER_CAPABILITIES}: what the
 * library assumed of every solver before contract v2). Read this instead of testing a solver's name.
 *
 * @example
 * ```ts
 * solverCapabilities(solvers.get('exp-integrator')).family; // 'exp-integrator'
 * solverCapabilities(mySolver).handlesDataEnd; // false unless the plugin declares it
 * ```
 */
export function solverCapabilities(plugin: Pick<SolverPlugin, 'capabilities'>): SolverCapabilities {
  return { ...DEFAULT_SOLVER_CAPABILITIES, ...definedOnly(plugin.capabilities ?? {}) };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const BOOLEAN_CAPABILITIES = ['handlesDataEnd', 'stochastic', 'adaptive'] as const;

function validateCapabilities(p: SolverPlugin, parameter: string): void {
  const caps = (p as { capabilities?: unknown }).capabilities;
  const contract = (p as { contract?: unknown }).contract;
  if (contract !== undefined && contract !== 1 && contract !== 2) {
    throw new PluginContractError(`${parameter}.contract must be 1 or ${SOLVER_CONTRACT_VERSION} (this core speaks solver contract v${SOLVER_CONTRACT_VERSION}), got ${String(contract)}`, parameter);
  }
  if (caps === undefined) {
    if (contract === 2) throw new PluginContractError(`${parameter}.capabilities is required with contract: 2 ({ family, handlesDataEnd, stochastic, adaptive })`, parameter);
    return;
  }
  if (typeof caps !== 'object' || caps === null) throw new PluginContractError(`${parameter}.capabilities must be an object`, parameter);
  const c = caps as Record<string, unknown>;
  if (c.family !== undefined && !SOLVER_FAMILIES.includes(c.family as SolverFamily)) {
    throw new PluginContractError(`${parameter}.capabilities.family must be one of ${SOLVER_FAMILIES.map((f) => `'${f}'`).join(', ')}, got ${JSON.stringify(c.family)}`, parameter);
  }
  for (const k of BOOLEAN_CAPABILITIES) {
    if (c[k] !== undefined && typeof c[k] !== 'boolean') throw new PluginContractError(`${parameter}.capabilities.${k} must be a boolean, got ${typeof c[k]}`, parameter);
  }
  if (contract === 2) {
    const missing = ['family', ...BOOLEAN_CAPABILITIES].filter((k) => c[k] === undefined);
    if (missing.length) throw new PluginContractError(`${parameter}.capabilities must declare ${missing.join(', ')} with contract: 2`, parameter);
  }
  if (c.adaptive === true && typeof (p as { withTolerance?: unknown }).withTolerance !== 'function') {
    throw new PluginContractError(`${parameter} declares adaptive: true but has no withTolerance({ atol, rtol }) function`, parameter);
  }
}

function validateSolver(p: unknown, parameter: string): asserts p is SolverPlugin {
  requireMember(p, 'name', 'string', parameter);
  requireMember(p, 'order', 'number', parameter);
  requireMember(p, 'nfePerStep', 'number', parameter);
  requireMember(p, 'step', 'function', parameter);
  const s = p as SolverPlugin;
  if (!s.name) throw new PluginContractError(`${parameter}.name must be a non-empty string`, parameter);
  if (!(s.order > 0)) throw new PluginContractError(`${parameter}.order must be > 0, got ${s.order}`, parameter);
  if (!(Number.isInteger(s.nfePerStep) && s.nfePerStep >= 1)) {
    throw new PluginContractError(`${parameter}.nfePerStep must be an integer >= 1, got ${s.nfePerStep}`, parameter);
  }
  const init = (p as { initialState?: unknown }).initialState;
  if (init !== undefined && typeof init !== 'function') {
    throw new PluginContractError(`${parameter}.initialState must be a function when given`, parameter);
  }
  validateCapabilities(s, parameter);
}

/**
 * The shared solver registry (`@charlearn/solvers` registers `euler`, `heun`,
 * `exp-integrator`; plugins add theirs). A duplicate name warns and replaces.
 *
 * @example
 * ```ts
 * solvers.register(mySolver);
 * solvers.list(); // ['euler', 'heun', 'exp-integrator', 'my/rk4']
 * ```
 */
export const solvers: Registry<SolverPlugin> = createRegistry<SolverPlugin>('solver', validateSolver);

/** Registers a solver plugin in the shared registry; returns it. */
export function registerSolver<State>(plugin: SolverPlugin<State>, options?: { override?: boolean }): SolverPlugin<State> {
  solvers.register(plugin as SolverPlugin, options);
  return plugin;
}
