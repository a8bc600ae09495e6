import * as tf from '@tensorflow/tfjs-core';
import type { GradSaveFunc, Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { SINUSOIDAL_EMBEDDING_KERNEL } from '@charlearn/core';

/**
 * The `half = dim/2` frequencies of the sinusoidal time embedding,
 * `f_k = exp(−ln(maxPeriod)·k/half)`, `k = 0..half−1` (from 1 down to
 * ~1/maxPeriod), as in DDPM / EDM's positional embedding.
 *
 * @example
 * ```ts
 * sinusoidalFrequencies(64, 10000); // Float32Array(32): 1, 0.75, ..., 1.3e-4
 * ```
 */
export function sinusoidalFrequencies(dim: number, maxPeriod: number): Float32Array {
  const half = dim / 2;
  const out = new Float32Array(half);
  for (let k = 0; k < half; k++) out[k] = Math.exp((-Math.log(maxPeriod) * k) / half);
  return out;
}

/**
 * The embedding through the backend's {@link SINUSOIDAL_EMBEDDING_KERNEL}, with its gradient
 * `dc_b = Σ_k f_k (dS_bk·cos − dC_bk·sin)`, `df_k = Σ_b c_b (dS_bk·cos − dC_bk·sin)` from the saved output.
 */
const fusedEmbedding = tf.customGrad(((c: Tensor, freqs: Tensor, save: GradSaveFunc) => {
  const emb = tf.engine().runKernel(SINUSOIDAL_EMBEDDING_KERNEL, { c, freqs }) as Tensor;
  save([c, freqs, emb]);
  return {
    value: emb,
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [cs, fs, e] = saved as [Tensor, Tensor, Tensor];
      const [sin, cos] = tf.split(e, 2, 1) as [Tensor, Tensor];
      const [dSin, dCos] = tf.split(dy, 2, 1) as [Tensor, Tensor];
      const g = tf.sub(tf.mul(dSin, cos), tf.mul(dCos, sin));
      return [tf.sum(tf.mul(g, fs), 1), tf.reshape(tf.sum(tf.mul(g, tf.reshape(cs, [-1, 1])), 0), fs.shape)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (c: Tensor, freqs: Tensor) => Tensor;

/**
 * Sinusoidal embedding `[sin(c·f_k), cos(c·f_k)]` of `c: [batch]` with
 * `freqs: [1, half]` (a cached tensor of {@link sinusoidalFrequencies}):
 * returns `[batch, 2·half]`, sines first. When the backend registers
 * {@link SINUSOIDAL_EMBEDDING_KERNEL} (the wasm plugin does) it is one
 * kernel computing each distinct time once; otherwise Multiply, Sin, Cos and
 * Concat. The two agree to float32 rounding of the sine and cosine.
 *
 * @example
 * ```ts
 * const emb = sinusoidalEmbedding(cNoise, freqs); // [batch, 64]
 * ```
 */
export function sinusoidalEmbedding(c: Tensor1D, freqs: Tensor2D): Tensor2D {
  if (c.dtype === 'float32' && freqs.dtype === 'float32' && tf.getKernel(SINUSOIDAL_EMBEDDING_KERNEL, tf.getBackend()) !== undefined) {
    return fusedEmbedding(c, freqs) as Tensor2D;
  }
  return tf.tidy(() => {
    const arg = tf.mul(tf.reshape(c, [c.shape[0], 1]), freqs);
    return tf.concat([tf.sin(arg), tf.cos(arg)], 1) as Tensor2D;
  });
}
