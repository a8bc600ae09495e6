import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { getInterpolant, type Interpolant } from './interpolants';
import { denoiserFromVelocity, velocityFromDenoiser } from './parameterisation';

/**
 * A denoiser `D(x, t) ≈ E[x1 | x_t = x]`.
 * `x: [batch, ...dims]`, `t: [batch]` (t = 0 noise, t = 1 data) → `[batch, ...dims]`.
 * `tau: [batch]`, optional: the same times' distances to the data end `1 − t`,
 * computed before rounding (see {@link tausLike}); callers that have the times
 * on the host pass it, implementations hand it on to the path's coefficients
 * (a float32 `t` near 1 has lost most digits of `1 − t`).
 */
export type Denoiser = (x: Tensor, t: Tensor1D, tau?: Tensor1D) => Tensor;

/**
 * A velocity field `v(x, t)` of the probability-flow ODE `dx/dt = v(x, t)`.
 * `x: [batch, ...dims]`, `t: [batch]`, optional `tau: [batch]` as for
 * {@link Denoiser} → `[batch, ...dims]`.
 */
export type VelocityField = (x: Tensor, t: Tensor1D, tau?: Tensor1D) => Tensor;

/**
 * What a solver needs from a model: its denoiser, its velocity and the path
 * coefficients, so that exponential integrators and plain Euler/Heun steps
 * share one driver. One call of `denoise` or `velocity` on a batch is one NFE.
 * Solvers pass the step's times as `t` and `tau` (`timesLike(x, t)`,
 * `tausLike(x, t)`), so that the model's coefficients keep their precision
 * near the data end.
 *
 * @example
 * ```ts
 * const model = fieldModelFromDenoiser(edmDenoiser((xIn, cNoise) => net.apply(xIn, cNoise), follmer), follmer);
 * const v = model.velocity(x, timesLike(x, 0.5), tausLike(x, 0.5));
 * ```
 */
export interface FieldModel {
  /** The path the model was trained on. */
  readonly interpolant: Interpolant;
  /** `D(x, t)`; `x: [batch, ...dims]`, `t: [batch]`, `tau: [batch]` = `1 − t` before rounding (optional). */
  denoise(x: Tensor, t: Tensor1D, tau?: Tensor1D): Tensor;
  /** `v(x, t)`; `x: [batch, ...dims]`, `t: [batch]`, `tau: [batch]` = `1 − t` before rounding (optional). */
  velocity(x: Tensor, t: Tensor1D, tau?: Tensor1D): Tensor;
}

/**
 * A {@link FieldModel} from a denoiser; the velocity is derived
 * (`v = α'·D + σ'·(x − α·D)/σ`).
 */
export function fieldModelFromDenoiser(denoiser: Denoiser, interpolant: string | Interpolant = 'follmer'): FieldModel {
  const path = getInterpolant(interpolant);
  return {
    interpolant: path,
    denoise: denoiser,
    velocity: (x, t, tau) => {
      const d = denoiser(x, t, tau);
      const v = velocityFromDenoiser(x, d, t, path, tau);
      d.dispose();
      return v;
    },
  };
}

/**
 * A {@link FieldModel} from a velocity field; the denoiser is derived
 * (`D = (σ·v − σ'·x)/(α'·σ − σ'·α)`).
 */
export function fieldModelFromVelocity(velocity: VelocityField, interpolant: string | Interpolant = 'follmer'): FieldModel {
  const path = getInterpolant(interpolant);
  return {
    interpolant: path,
    velocity,
    denoise: (x, t, tau) => {
      const v = velocity(x, t, tau);
      const d = denoiserFromVelocity(x, v, t, path, tau);
      v.dispose();
      return d;
    },
  };
}
