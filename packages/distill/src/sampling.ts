import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { assertNumber, assertTensor, solvers, tausLike, timeGrid, timesLike, TypeMismatchError, typeLabel, type FieldModel, type SolverPlugin } from '@charlearn/core';
import { sample } from '@charlearn/solvers';
import type { FlowMap } from './denoisers';

/** Where the generator's time grid starts and stops (the public code's eval ε). */
export interface GeneratorTimes {
  /** Start time of the one-step jump, near the noise end (default 1e-3). */
  eps0?: number;
  /** The few-step grid stops at `1 − eps1` before its last jump to t = 1 (default 1e-3). */
  eps1?: number;
}

/**
 * Samples with `steps` network evaluations of the flow map: the uniform grid
 * of `steps` points from `eps0` to `1 − eps1`, then a last jump to t = 1
 * (for `steps = 1`: the single jump `g(eps0, 1, z)`). `z: [batch, ...dims]`.
 *
 * @example
 * ```ts
 * const g = characteristicMap(student, follmer);
 * const x = sampleFlowMap(g, z, 1);  // one step: one network evaluation
 * const x4 = sampleFlowMap(g, z, 4); // four
 * ```
 */
export function sampleFlowMap(g: FlowMap, z: Tensor, steps: number, times: GeneratorTimes = {}): Tensor {
  assertTensor('z', z, undefined, { minRank: 1 });
  assertNumber('steps', steps, { integer: true, min: 1 });
  if (typeof times !== 'object' || times === null) throw new TypeMismatchError(`times must be an object { eps0?, eps1? }, got ${typeLabel(times)}`, 'times');
  const { eps0 = 1e-3, eps1 = 1e-3 } = times;
  assertNumber('eps0', eps0, { min: 0, lessThan: 0.5 });
  assertNumber('eps1', eps1, { greaterThan: 0, lessThan: 0.5 });
  const grid = steps === 1 ? [eps0, 1] : [...timeGrid({ steps: steps - 1, eps0, eps1 }), 1];
  const batch = z.shape[0]!;
  let x = z;
  for (let i = 0; i + 1 < grid.length; i++) {
    const [t, s] = [grid[i]!, grid[i + 1]!];
    const next = tf.tidy(() => g(x, timesLike(x, t), timesLike(x, s), tausLike(x, t), tausLike(x, s)));
    if (x !== z) x.dispose();
    x = next;
  }
  return x;
}

/** What {@link sampleTeacher} returns. */
export interface TeacherSample {
  readonly x: Tensor;
  /** Network evaluations actually used (≤ the budget). */
  readonly nfe: number;
  /** Solver steps taken before the final denoise. */
  readonly steps: number;
}

/**
 * Samples the teacher's probability-flow ODE within an NFE budget, the
 * protocol of the benchmarks: the exponential integrators step straight to
 * t = 1 (their last step is a denoise: `x_1 = D(x_t, t)`), `nfe` steps on a
 * Karras grid (ρ = 7) from `eps0`; other solvers take
 * `k = ⌊(nfe − 1)/nfePerStep⌋` steps to `1 − eps1` and finish with one denoise
 * (k = 0: a single denoise at `eps0`). `z: [batch, ...dims]` at t = `eps0`.
 *
 * @example
 * ```ts
 * const teacherField = fieldModelFromDenoiser(networkDenoiser(teacherNet, follmer), follmer);
 * const { x, nfe } = sampleTeacher(teacherField, z, 'heun', 20); // 9 Heun steps + 1 denoise = 19 NFE
 * ```
 */
export function sampleTeacher(
  model: FieldModel,
  z: Tensor,
  solver: string | SolverPlugin,
  nfe: number,
  options: { eps0?: number; eps1?: number; spacing?: 'uniform' | 'karras'; rho?: number } = {},
): TeacherSample {
  const plugin = solvers.resolve(solver, 'solver');
  assertNumber('nfe', nfe, { integer: true, min: 1 });
  const { eps0 = 0, eps1 = 1e-3, spacing = 'karras', rho = 7 } = options;
  const exponential = plugin.name === 'exp-integrator' || plugin.name.startsWith('exp-integrator-edm');
  if (exponential) {
    const r = sample({ solver: plugin, model, xInit: z, timeGrid: timeGrid({ steps: nfe, eps0, eps1: 0, spacing, rho }) });
    return { x: r.x, nfe: r.nfe, steps: nfe };
  }
  const steps = Math.floor((nfe - 1) / plugin.nfePerStep);
  if (steps === 0) {
    const x = tf.tidy(() => model.denoise(z, timesLike(z, eps0), tausLike(z, eps0)));
    return { x, nfe: 1, steps: 0 };
  }
  const r = sample({ solver: plugin, model, xInit: z, timeGrid: timeGrid({ steps, eps0, eps1, spacing, rho }), denoiseLast: true });
  return { x: r.x, nfe: r.nfe, steps };
}
