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

/**
 * Name of the fused exponential-moving-average kernel. Inputs `{ ema, x }`: the average and the current value of one
 * variable, float32, of one shape. Attribute {@link EmaUpdateAttrs}. Output, of that shape, with each product and the
 * sum rounded to float32 (the op chain `add(mul(ema, decay), mul(x, 1 − decay))`, `decay` and `1 − decay` rounded to
 * float32 as the chain's scalars are):
 *
 * ```
 * ema' = decay·ema + (1 − decay)·x
 * ```
 *
 * @example
 * ```ts
 * const fused = tf.getKernel(EMA_UPDATE_KERNEL, tf.getBackend()) !== undefined;
 * ```
 */
export const EMA_UPDATE_KERNEL = 'CharlearnEmaUpdate';

/** The attributes of {@link EMA_UPDATE_KERNEL}. */
export interface EmaUpdateAttrs {
  /** The weight of the old average, in [0, 1]. */
  readonly decay: number;
}

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

/**
 * Name of the fused dense-layer kernel `y = SiLU(x W + b)`. Inputs `{ x, w, b }`: `x [batch, in]`, `w [in, out]`,
 * `b [out]`, float32. Outputs `[y, s]`, both `[batch, out]`: the activation `y = z·σ(z)` of `z = x W + b` and
 * `s = σ(z)`, which with `y` gives the derivative `SiLU'(z) = s + y·(1 − s)` for {@link SILU_BIAS_GRAD_KERNEL}.
 * With the attribute `{ sigmoid: false }` ({@link SiluKernelAttrs}) the output is `[y]` alone (inference, where no
 * backward reads `s`). No gradient is registered for it: a caller wraps it in `tf.customGrad` (see
 * `denseActivated` in `@charlearn/nets`).
 *
 * @example
 * ```ts
 * const fused = tf.getKernel(DENSE_SILU_KERNEL, tf.getBackend()) !== undefined;
 * ```
 */
export const DENSE_SILU_KERNEL = 'CharlearnDenseSilu';

/**
 * Name of the bias + SiLU kernel `y = SiLU(z + b)` (the epilogue of {@link DENSE_SILU_KERNEL} on a pre-activation
 * computed elsewhere, e.g. a product plus per-row time features). Inputs `{ z, b }`: `z [batch, out]`, `b [out]`,
 * float32. Outputs `[y, s]`, both `[batch, out]`, as {@link DENSE_SILU_KERNEL}'s; {@link SILU_BIAS_GRAD_KERNEL} gives
 * `dz` (the gradient of `z`) and `db`; `{ sigmoid: false }` returns `[y]` alone, as for {@link DENSE_SILU_KERNEL}. No
 * gradient is registered for it (see `biasActivated` in `@charlearn/nets`).
 *
 * @example
 * ```ts
 * const fused = tf.getKernel(BIAS_SILU_KERNEL, tf.getBackend()) !== undefined;
 * ```
 */
export const BIAS_SILU_KERNEL = 'CharlearnBiasSilu';

/**
 * Attributes of {@link DENSE_SILU_KERNEL} and {@link BIAS_SILU_KERNEL}.
 *
 * @example
 * ```ts
 * const attrs: SiluKernelAttrs = { sigmoid: false };
 * const [y] = tf.engine().runKernel(DENSE_SILU_KERNEL, { x: xIn, w: tf.ones([2, 4]), b: tf.zeros([4]) }, { ...attrs }) as tf.Tensor[]; // [batch, 4]
 * ```
 */
export interface SiluKernelAttrs {
  /** Whether the kernel also returns `s = σ(z)` (default true: outputs `[y, s]`); false: `[y]` alone. */
  readonly sigmoid?: boolean;
}

/**
 * Name of the SiLU backward kernel of {@link DENSE_SILU_KERNEL} and {@link BIAS_SILU_KERNEL}. Inputs `{ dy, y, s }`: the gradient of the
 * layer's output and the forward's `y` and `s`, float32, all `[batch, out]`. Outputs `[dz, db]`: the gradient of the
 * pre-activation `dz = dy·(s + y·(1 − s))` (`[batch, out]`) and of the bias, `db = Σ_batch dz` (`[out]`).
 *
 * @example
 * ```ts
 * const dy = tf.ones([4, 3]), y = tf.ones([4, 3]), s = tf.fill([4, 3], 0.5);
 * const [dz, db] = tf.engine().runKernel(SILU_BIAS_GRAD_KERNEL, { dy, y, s }) as tf.Tensor[]; // on a backend that has it
 * ```
 */
export const SILU_BIAS_GRAD_KERNEL = 'CharlearnSiluBiasGrad';

/**
 * Name of the SiLU input-gradient kernel. Inputs `{ dy, x, s }`: the gradient of `silu(x) = x·σ(x)`, its input and
 * `s = σ(x)` (which the forward computed), float32, all of one shape. Output `dx` of that shape:
 * `dx = dy·(s·(1 + x·(1 − s)))`, each operation rounded to float32 in that order (the op chain's; see `activate` in
 * `@charlearn/nets`, which calls it in its hand-written SiLU gradient when the backend has it).
 *
 * @example
 * ```ts
 * const dy = tf.ones([4, 3]), x = tf.zeros([4, 3]), s = tf.fill([4, 3], 0.5);
 * const dx = tf.engine().runKernel(SILU_GRAD_KERNEL, { dy, x, s }) as tf.Tensor; // 0.5 everywhere, on a backend that has it
 * ```
 */
export const SILU_GRAD_KERNEL = 'CharlearnSiluGrad';

/**
 * Name of the sinusoidal time-embedding kernel. Inputs `{ c, freqs }`: times `c [batch]` and frequencies
 * `freqs [1, half]`, float32. Output `[batch, 2·half]`: `[sin(c·f_k), cos(c·f_k)]`, sines first, with `c·f_k`
 * rounded to float32 as the op chain `concat([sin(c·f), cos(c·f)], 1)` rounds it. A backend may compute each distinct
 * time once (a rollout embeds hundreds of copies of one time). No gradient is registered for it: a caller wraps it in
 * `tf.customGrad` (see `sinusoidalEmbedding` in `@charlearn/nets`).
 *
 * @example
 * ```ts
 * const fused = tf.getKernel(SINUSOIDAL_EMBEDDING_KERNEL, tf.getBackend()) !== undefined;
 * ```
 */
export const SINUSOIDAL_EMBEDDING_KERNEL = 'CharlearnSinusoidalEmbedding';

/**
 * Name of the group-normalisation kernel. Inputs `{ x, gamma, beta }`: `x [b, h, w, c]`, `gamma`, `beta` `[c]`,
 * float32; attributes {@link GroupNormAttrs}. Outputs `[y, xhat, rstd]`: `y = xhat·gamma + beta` and the normalised
 * input `xhat = (x − mean)·rstd` (both `[b, h, w, c]`), `rstd = 1/√(var + epsilon)` (`[b, groups]`), mean and
 * (biased) variance over `(h, w, c/groups)` of each sample and group. No gradient is registered: a caller wraps it in
 * `tf.customGrad` with {@link GROUP_NORM_GRAD_KERNEL} (see `groupNorm` in `@charlearn/nets`).
 *
 * @example
 * ```ts
 * const fused = tf.getKernel(GROUP_NORM_KERNEL, tf.getBackend()) !== undefined;
 * ```
 */
export const GROUP_NORM_KERNEL = 'CharlearnGroupNorm';

/**
 * Name of the backward kernel of {@link GROUP_NORM_KERNEL}. Inputs `{ dy, xhat, rstd, gamma }` (the forward's
 * outputs and `gamma`), attribute `groups`. Outputs `[dx, dgamma, dbeta]`: with `g = dy·gamma` and means over each
 * sample's group, `dx = rstd·(g − mean(g) − xhat·mean(g·xhat))`, `dgamma = Σ dy·xhat`, `dbeta = Σ dy` (sums over
 * `b, h, w`).
 *
 * @example
 * ```ts
 * const fused = tf.getKernel(GROUP_NORM_GRAD_KERNEL, tf.getBackend()) !== undefined;
 * ```
 */
export const GROUP_NORM_GRAD_KERNEL = 'CharlearnGroupNormGrad';

/** The attributes of {@link GROUP_NORM_KERNEL} (`groups` also of {@link GROUP_NORM_GRAD_KERNEL}). */
export interface GroupNormAttrs {
  /** Channel groups; divides `c`. */
  readonly groups: number;
  /** Added to the variance. */
  readonly epsilon: number;
}
