import * as tf from '@tensorflow/tfjs-core';
import { timesLike, type FieldModel, type SolverPlugin, type SolverStepResult } from '@charlearn/core';
import type { Tensor } from '@tensorflow/tfjs-core';

/**
 * One explicit Euler step `x_s = x_t + (s − t)·v(x_t, t)`.
 * Order 1, 1 NFE. `x: [batch, ...dims]`.
 *
 * @example
 * ```ts
 * const x1 = eulerStep(x0, 0, 0.1, model);
 * ```
 */
export function eulerStep(x: Tensor, t: number, s: number, model: FieldModel): Tensor {
  return tf.tidy(() => tf.add(x, tf.mul(model.velocity(x, timesLike(x, t)), s - t)));
}

/**
 * One Heun step (explicit trapezoidal rule): `k1 = v(x_t, t)`,
 * `k2 = v(x_t + (s − t)·k1, s)`, `x_s = x_t + (s − t)·(k1 + k2)/2`.
 * Order 2, 2 NFE. `x: [batch, ...dims]`.
 *
 * @example
 * ```ts
 * const x1 = heunStep(x0, 0, 0.1, model);
 * ```
 */
export function heunStep(x: Tensor, t: number, s: number, model: FieldModel): Tensor {
  return tf.tidy(() => {
    const h = s - t;
    const k1 = model.velocity(x, timesLike(x, t));
    const k2 = model.velocity(tf.add(x, tf.mul(k1, h)), timesLike(x, s));
    return tf.add(x, tf.mul(tf.add(k1, k2), h / 2));
  });
}

/**
 * One exponential-integrator step (DDIM/DEIS type; the linear part exact,
 * the denoiser frozen at `t`):
 * `x_s = (σ_s/σ_t)·x_t + (α_s − α_t·σ_s/σ_t)·D(x_t, t)`.
 * Order 1, 1 NFE; exact whenever `D` is constant along the characteristic
 * (e.g. point-mass data). Needs `σ_t > 0`. `x: [batch, ...dims]`.
 *
 * @example
 * ```ts
 * const x1 = expIntegratorStep(x0, 0, 0.5, model);
 * ```
 */
export function expIntegratorStep(x: Tensor, t: number, s: number, model: FieldModel): Tensor {
  const ct = model.interpolant.at(t);
  const cs = model.interpolant.at(s);
  const ratio = cs.sigma / ct.sigma;
  return tf.tidy(() => tf.add(tf.mul(x, ratio), tf.mul(model.denoise(x, timesLike(x, t)), cs.alpha - ct.alpha * ratio)));
}

function oneStep(
  name: string,
  order: number,
  nfePerStep: number,
  description: string,
  fn: (x: Tensor, t: number, s: number, model: FieldModel) => Tensor,
): SolverPlugin<undefined> {
  return {
    name,
    order,
    nfePerStep,
    description,
    step: (x, t, s, model): SolverStepResult<undefined> => ({ x: fn(x, t, s, model), state: undefined }),
  };
}

/** The Euler solver plugin (`'euler'`, order 1, 1 NFE/step). */
export const euler: SolverPlugin<undefined> = oneStep('euler', 1, 1, 'explicit Euler on the velocity', eulerStep);

/** The Heun solver plugin (`'heun'`, order 2, 2 NFE/step). */
export const heun: SolverPlugin<undefined> = oneStep('heun', 2, 2, 'Heun (explicit trapezoid) on the velocity', heunStep);

/** The exponential-integrator solver plugin (`'exp-integrator'`, order 1, 1 NFE/step). */
export const expIntegrator: SolverPlugin<undefined> = oneStep(
  'exp-integrator',
  1,
  1,
  'exponential integrator (DDIM/DEIS): linear part exact, denoiser frozen',
  expIntegratorStep,
);
