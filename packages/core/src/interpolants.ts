import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D } from '@tensorflow/tfjs-core';
import { distanceToData } from './data-distance';
import { PluginContractError } from './errors';
import { createRegistry, requireMember, type Registry } from './registry';
import { assertNumber, assertTensor } from './validate';

/** The four coefficients of an affine path at some times. */
export interface PathCoefficients<T> {
  /** α(t): weight of the data sample x1. */
  readonly alpha: T;
  /** σ(t): weight of the prior sample z. */
  readonly sigma: T;
  /** α'(t). */
  readonly dAlpha: T;
  /** σ'(t). */
  readonly dSigma: T;
}

/**
 * An affine path `x_t = α(t)·x1 + σ(t)·z`, `t ∈ [0, 1]`, t = 0 noise, t = 1 data.
 * An interpolant is a plugin: register your own with {@link interpolants}.
 *
 * @example
 * ```ts
 * const { alpha, sigma } = follmer.at(0.5);           // numbers
 * const c = follmer.coefficients(tf.tensor1d([0.1, 0.9])); // each [2]
 * const near = timeBatch([0.5, 1 - 1e-6]);
 * const c2 = follmer.coefficients(near.t, near.tau);   // σ from τ: float32-precise at the data end
 * ```
 *
 * Writing one: `at` works in float64 (compute what vanishes at t = 1 from
 * `τ = 1 − t`, as the built-ins do); `coefficients(t, tau)` should take σ, and
 * whatever divides by it, from `tau` when it is given (see
 * {@link distanceToData}), because a float32 `t` near 1 has lost most digits
 * of `1 − t`. An interpolant that ignores `tau` still works, with float32-`t`
 * precision near the data end.
 */
export interface Interpolant {
  /** Registry name, e.g. `'follmer'`. */
  readonly name: string;
  /** Coefficients at a scalar time (numbers, float64). */
  at(t: number): PathCoefficients<number>;
  /**
   * Coefficients at a batch of times `t: [batch]`; each result is `[batch]`.
   * `tau: [batch]` (optional): the same times' distances to the data end,
   * `1 − t` computed before rounding to float32 (e.g. {@link tausLike}).
   */
  coefficients(t: Tensor1D, tau?: Tensor1D): PathCoefficients<Tensor1D>;
}

/**
 * Föllmer path (the paper's default): α = t, σ = √(1 − t²), so α² + σ² = 1.
 * Its velocity is finite at the noise end: `v(x, 0) = E[x1]`.
 */
export const follmer: Interpolant = {
  name: 'follmer',
  at(t) {
    assertTime('t', t);
    const tau = 1 - t;
    // 1 − t² = τ(2 − τ): no cancellation near the data end
    const sigma = Math.sqrt(tau * (2 - tau));
    return { alpha: t, sigma, dAlpha: 1, dSigma: -t / sigma };
  },
  coefficients(t, tau) {
    assertTensor('t', t, [null], { dtype: 'float32' });
    return tf.tidy(() => {
      const d = distanceToData(t, tau);
      const sigma = tf.sqrt(tf.relu(tf.mul(d, tf.sub(2, d)))) as Tensor1D;
      return { alpha: tf.clone(t), sigma, dAlpha: tf.onesLike(t), dSigma: tf.div(tf.neg(t), sigma) as Tensor1D };
    });
  },
};

/** Linear path (rectified flow / CondOT): α = t, σ = 1 − t. */
export const linear: Interpolant = {
  name: 'linear',
  at(t) {
    assertTime('t', t);
    return { alpha: t, sigma: 1 - t, dAlpha: 1, dSigma: -1 };
  },
  coefficients(t, tau) {
    assertTensor('t', t, [null], { dtype: 'float32' });
    return tf.tidy(() => ({
      alpha: tf.clone(t),
      sigma: tf.clone(distanceToData(t, tau)),
      dAlpha: tf.onesLike(t),
      dSigma: tf.neg(tf.onesLike(t)) as Tensor1D,
    }));
  },
};

/** Trigonometric variance-preserving path: α = sin(πt/2), σ = cos(πt/2). */
export const cosine: Interpolant = {
  name: 'cosine',
  at(t) {
    assertTime('t', t);
    const a = (Math.PI / 2) * t;
    // cos(πt/2) = sin(πτ/2): no cancellation near the data end
    const sigma = Math.sin((Math.PI / 2) * (1 - t));
    return { alpha: Math.sin(a), sigma, dAlpha: (Math.PI / 2) * sigma, dSigma: (-Math.PI / 2) * Math.sin(a) };
  },
  coefficients(t, tau) {
    assertTensor('t', t, [null], { dtype: 'float32' });
    return tf.tidy(() => {
      const s = tf.sin(tf.mul(t, Math.PI / 2)) as Tensor1D;
      const c = tf.sin(tf.mul(distanceToData(t, tau), Math.PI / 2)) as Tensor1D;
      return { alpha: s, sigma: c, dAlpha: tf.mul(c, Math.PI / 2) as Tensor1D, dSigma: tf.mul(s, -Math.PI / 2) as Tensor1D };
    });
  },
};

function validateInterpolant(p: unknown, parameter: string): asserts p is Interpolant {
  requireMember(p, 'name', 'string', parameter);
  requireMember(p, 'at', 'function', parameter);
  requireMember(p, 'coefficients', 'function', parameter);
  const c = (p as Interpolant).at(0.5);
  for (const k of ['alpha', 'sigma', 'dAlpha', 'dSigma'] as const) {
    if (typeof c?.[k] !== 'number' || !Number.isFinite(c[k])) {
      throw new PluginContractError(`${parameter}.at(0.5).${k} must be a finite number`, parameter);
    }
  }
}

/**
 * The shared interpolant registry. `follmer`, `linear` and `cosine` are
 * registered when `@charlearn/core` loads.
 *
 * @example
 * ```ts
 * interpolants.register({ name: 'my-path', at, coefficients });
 * const path = interpolants.get('follmer');
 * ```
 */
export const interpolants: Registry<Interpolant> = createRegistry<Interpolant>('interpolant', validateInterpolant);
for (const p of [follmer, linear, cosine]) if (!interpolants.has(p.name)) interpolants.register(p);

/** Resolves an interpolant given by name or object; defaults to `follmer`. */
export function getInterpolant(interpolant: string | Interpolant | undefined = 'follmer', parameter = 'interpolant'): Interpolant {
  return interpolants.resolve(interpolant, parameter);
}

/** Validates a time in `[0, 1]`. */
export function assertTime(parameter: string, t: unknown): asserts t is number {
  assertNumber(parameter, t, { min: 0, max: 1 });
}
