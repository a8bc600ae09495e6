import type { Tensor } from '@tensorflow/tfjs-core';
import type { FieldModel } from './field';
import { PluginContractError } from './errors';
import { createRegistry, requireMember, type Registry } from './registry';

/** What a solver step returns: the new point and the solver's carried state. */
export interface SolverStepResult<State> {
  /** `x` at the step's end time, `[batch, ...dims]`. */
  readonly x: Tensor;
  /** State handed to the next step (e.g. a multistep method's history). */
  readonly state: State;
}

/**
 * An ODE solver for the probability-flow ODE `dx/dt = v(x, t)`, as a plugin.
 * `step` is pure: one step from time `t` to time `s` that uses only its
 * inputs; the driver (`sample()` in `@charlearn/solvers`) owns the time grid,
 * tensor lifetimes and NFE counting. Pass the model both `timesLike(x, t)` and
 * `tausLike(x, t)` (its distance to the data end, computed from the host
 * number), so that its coefficients keep their precision near t = 1.
 * Tensors in `state` are owned by the
 * driver after the step returns: it disposes those the next state no longer holds.
 *
 * @example
 * ```ts
 * const euler: SolverPlugin = {
 *   name: 'my/euler', order: 1, nfePerStep: 1,
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
  /** Convergence order (global error `O(h^order)`); the conformance suite measures it. */
  readonly order: number;
  /** Model evaluations (NFE) per step; the conformance suite counts them. */
  readonly nfePerStep: number;
  /** One line for listings. */
  readonly description?: string;
  /** The state before the first step (multistep methods); omitted for one-step methods. */
  initialState?(): State;
  /** One step `t → s`: `x: [batch, ...dims]` at time t → x at time s. */
  step(x: Tensor, t: number, s: number, model: FieldModel, state: State): SolverStepResult<State>;
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
