/**
 * Fused kernels that a backend plugin may register and that the libraries use when the active backend has them
 * (falling back to plain tfjs ops otherwise), so that no library imports a backend.
 */

/**
 * Name of the fused Adam update kernel. Inputs `{ x, m, v, g }`: a variable, its first and second moments and its
 * gradient, float32, all of one shape. Attributes {@link AdamUpdateAttrs}. Outputs `[x', m', v']` of that shape:
 *
 * ```
 * ĝ = gradScale·g;  m' = β1·m + (1 − β1)·ĝ;  v' = β2·v + (1 − β2)·ĝ²;  x' = x − stepSize·m'/(√v' + epsilon)
 * ```
 *
 * (`stepSize` and `epsilon` carry Adam's bias corrections, see `Adam` in `@charlearn/distill`.)
 *
 * @example
 * ```ts
 * const fused = tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend()) !== undefined;
 * ```
 */
export const ADAM_UPDATE_KERNEL = 'CharlearnAdamUpdate';

/** The attributes of {@link ADAM_UPDATE_KERNEL}. */
export interface AdamUpdateAttrs {
  readonly beta1: number;
  readonly beta2: number;
  /** `lr·√(1 − β2^k)/(1 − β1^k)` at step k. */
  readonly stepSize: number;
  /** `ε·√(1 − β2^k)`. */
  readonly epsilon: number;
  /** Factor on the gradient (global-norm clipping); 1 for none. */
  readonly gradScale: number;
}
