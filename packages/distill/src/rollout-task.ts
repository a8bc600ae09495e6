import type { Tensor } from '@tensorflow/tfjs-core';
import { ConfigError, fieldModelFromDenoiser, getInterpolant, solvers, type FieldModel, type Interpolant, type SolverPlugin } from '@charlearn/core';
import type { Network, NetworkSpec } from '@charlearn/nets';
import { sample } from '@charlearn/solvers';
import { networkDenoiser } from './denoisers';

/**
 * What a rollout worker solves, as plain JSON (it crosses to a worker thread): the frozen teacher `network` (a
 * `createNetwork` spec; its weights travel beside it) as the field of the interpolant registered as `interpolant`
 * with data scale `sigmaData`, integrated by the solver registered as `solver` over the grid intervals of `grid`.
 *
 * @example
 * ```ts
 * const task = distiller.rolloutTask();
 * // { kind: 'teacher-rollout', network: { kind: 'mlp', ... }, interpolant: 'follmer', sigmaData: 1, solver: 'heun', grid: [0.001, ..., 1] }
 * ```
 */
export interface RolloutTask {
  readonly kind: 'teacher-rollout';
  readonly network: NetworkSpec;
  readonly interpolant: string;
  readonly sigmaData: number;
  readonly solver: string;
  /** The distillation grid, `t = 1` last. */
  readonly grid: readonly number[];
}

/**
 * The teacher network as the probability-flow field of `interpolant`: its EDM denoiser (`networkDenoiser`) turned
 * into the velocity the solvers integrate. The one construction of the distiller's `teacherField`, so that a rollout
 * worker's teacher is the same function as the trainer's.
 *
 * @example
 * ```ts
 * const field = teacherFieldModel(teacherNet, follmer, 1); // field.velocity(x [b, 2], t [b]) → [b, 2]
 * ```
 */
export function teacherFieldModel(net: Network, interpolant: Interpolant, sigmaData: number): FieldModel {
  return fieldModelFromDenoiser(networkDenoiser(net, interpolant, sigmaData), interpolant);
}

/**
 * `n` solver steps of `field` from `grid[i]`: `x [batch, ...dims]` at `grid[i]` → the state at `grid[i + n]` and the
 * network evaluations spent (`sample` over `grid.slice(i, i + n + 1)`; an interval into t = 1 as `sample` decides
 * from the solver's capabilities). The one rollout of the distiller and of a rollout worker.
 *
 * @example
 * ```ts
 * const field = teacherFieldModel(teacherNet, follmer, 1);
 * const grid = [1e-3, 0.5, 1];
 * const { x: next, nfe } = solveGridIntervals(solvers.resolve('heun'), field, grid, x0, 0, 1); // grid[0] → grid[1]: x0 [b, 2] → [b, 2], nfe 2
 * ```
 */
export function solveGridIntervals(solver: SolverPlugin, field: FieldModel, grid: readonly number[], x: Tensor, i: number, n: number): { x: Tensor; nfe: number } {
  const r = sample({ solver, model: field, xInit: x, timeGrid: grid.slice(i, i + n + 1) });
  return { x: r.x, nfe: r.nfe };
}

/**
 * A {@link RolloutTask}'s one-interval solve on `net` (built on the current thread: the teacher with the task's
 * weights): `(x, i) → x at grid[i + 1]`. Throws a `ConfigError` for another kind, or an interpolant or solver that is
 * not registered on this thread (a worker must import the plugins that register them).
 */
export function rolloutTaskSolve(task: RolloutTask, net: Network): (x: Tensor, i: number) => Tensor {
  if (task.kind !== 'teacher-rollout') {
    throw new ConfigError(`unknown rollout task kind '${String((task as { kind: unknown }).kind)}' (known: teacher-rollout)`, 'task.kind');
  }
  const field = teacherFieldModel(net, getInterpolant(task.interpolant, 'task.interpolant'), task.sigmaData);
  const solver = solvers.resolve(task.solver, 'task.solver');
  return (x, i) => solveGridIntervals(solver, field, task.grid, x, i, 1).x;
}
