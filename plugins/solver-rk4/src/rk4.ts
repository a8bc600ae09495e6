import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { tausLike, timesLike, type FieldModel, type SolverPlugin, type SolverStepResult } from '@charlearn/core';

/**
 * One classic 4th-order Runge–Kutta step `t → s` on the probability-flow ODE
 * `dx/dt = v(x, t)` (t = 0 noise, t = 1 data), with `h = s − t`:
 *
 * `k1 = v(x, t)`, `k2 = v(x + h/2·k1, t + h/2)`, `k3 = v(x + h/2·k2, t + h/2)`,
 * `k4 = v(x + h·k3, s)`, `x_s = x + h/6·(k1 + 2k2 + 2k3 + k4)`.
 *
 * Order 4, 4 NFE (four `model.velocity` calls on the whole batch). Pure: uses
 * only its inputs, leaves `x` alone, and frees its intermediates (`tf.tidy`).
 *
 * @param x - points at time `t`, `[batch, ...dims]`, float32.
 * @param t - start time in `[0, 1)`.
 * @param s - end time.
 * @param model - the field; only `model.velocity` is used.
 * @returns the points at time `s`, `[batch, ...dims]`.
 *
 * @example
 * ```ts
 * const model = new GaussianMixture({ means: [[0, 0]], std: 0.5 }).fieldModel('follmer');
 * const x0 = priorSample([128, 2], 0);     // [128, 2] at t = 0
 * const x1 = rk4Step(x0, 0, 0.25, model);  // [128, 2] at t = 0.25
 * ```
 */
export function rk4Step(x: Tensor, t: number, s: number, model: FieldModel): Tensor {
  return tf.tidy(() => {
    const h = s - t;
    const mid = t + h / 2;
    const k1 = model.velocity(x, timesLike(x, t), tausLike(x, t));
    const k2 = model.velocity(tf.add(x, tf.mul(k1, h / 2)), timesLike(x, mid), tausLike(x, mid));
    const k3 = model.velocity(tf.add(x, tf.mul(k2, h / 2)), timesLike(x, mid), tausLike(x, mid));
    const k4 = model.velocity(tf.add(x, tf.mul(k3, h)), timesLike(x, s), tausLike(x, s));
    const sum = tf.addN([k1, tf.mul(k2, 2), tf.mul(k3, 2), k4]);
    return tf.add(x, tf.mul(sum, h / 6));
  });
}

/**
 * The classic Runge–Kutta solver plugin: name `'rk4/classic'`, order 4,
 * 4 NFE per step, one-step (no state). Importing `@charlearn/solver-rk4`
 * registers it, so `sample({ solver: 'rk4/classic', ... })` works.
 *
 * @example
 * ```ts
 * import { rk4 } from '@charlearn/solver-rk4';
 * const { x, nfe } = sample({ solver: rk4, model, xInit: priorSample([1000, 2], 0), timeGrid: { steps: 8 } });
 * // x: [1000, 2], nfe === 32
 * ```
 */
export const rk4: SolverPlugin<undefined> = {
  name: 'rk4/classic',
  order: 4,
  nfePerStep: 4,
  description: 'classic 4th-order Runge–Kutta on the velocity',
  contract: 2,
  // k4 = v(x, s) is 0/0 at σ_s = 0: sample() finishes a grid that ends at t = 1 with the denoise
  capabilities: { family: 'runge-kutta', handlesDataEnd: false, stochastic: false, adaptive: false },
  step: (x, t, s, model): SolverStepResult<undefined> => ({ x: rk4Step(x, t, s, model), state: undefined }),
};
