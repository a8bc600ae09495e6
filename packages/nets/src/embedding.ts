import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';

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
 * Sinusoidal embedding `[sin(c·f_k), cos(c·f_k)]` of `c: [batch]` with
 * `freqs: [1, half]` (a cached tensor of {@link sinusoidalFrequencies}):
 * returns `[batch, 2·half]`, sines first.
 *
 * @example
 * ```ts
 * const emb = sinusoidalEmbedding(cNoise, freqs); // [batch, 64]
 * ```
 */
export function sinusoidalEmbedding(c: Tensor1D, freqs: Tensor2D): Tensor2D {
  return tf.tidy(() => {
    const arg = tf.mul(tf.reshape(c, [c.shape[0], 1]), freqs);
    return tf.concat([tf.sin(arg), tf.cos(arg)], 1) as Tensor2D;
  });
}
