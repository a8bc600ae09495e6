import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@charlearn/core';
import type { Tensor, Tensor1D, Tensor2D, Variable } from '@tensorflow/tfjs-core';
import { sinusoidalEmbedding } from './embedding';
import { xavierUniform } from './init';
import { linear, silu } from './layers';
import type { NamedArrays } from './network';

/** The prefix of the time MLP of `t` (`'temb'`) or of the second time `s` (`'temb_s'`). */
export type TimePath = 'temb' | 'temb_s';

/**
 * Variable shapes of one time MLP of the image networks: sinusoidal
 * embedding (E) → `w0 [E, T]`, `b0 [T]` → SiLU → `w1 [T, T]`, `b1 [T]`.
 *
 * @example
 * ```ts
 * timeMlpShapes('temb', 32, 128); // { 'temb/w0': [32, 128], 'temb/b0': [128], 'temb/w1': [128, 128], 'temb/b1': [128] }
 * ```
 */
export function timeMlpShapes(prefix: TimePath, embeddingDim: number, width: number): Record<string, number[]> {
  return {
    [`${prefix}/w0`]: [embeddingDim, width],
    [`${prefix}/b0`]: [width],
    [`${prefix}/w1`]: [width, width],
    [`${prefix}/b1`]: [width],
  };
}

/**
 * Initial time-MLP weights: Xavier-uniform matrices, zero biases.
 *
 * @example
 * ```ts
 * const w = initialTimeMlp(rng, 32, 128); // the 'temb/*' arrays
 * ```
 */
export function initialTimeMlp(rng: Rng, embeddingDim: number, width: number): NamedArrays {
  return {
    'temb/w0': { shape: [embeddingDim, width], values: xavierUniform(rng, embeddingDim, width, embeddingDim * width) },
    'temb/b0': { shape: [width], values: new Float32Array(width) },
    'temb/w1': { shape: [width, width], values: xavierUniform(rng, width, width, width * width) },
    'temb/b1': { shape: [width], values: new Float32Array(width) },
  };
}

/**
 * The `s` path of a two-time network from the `t` path's arrays: `w0`,
 * `b0` copied (meaningful time features from the start), `w1`, `b1` zero,
 * so `temb_s(s) = 0` and the network equals its one-time counterpart.
 *
 * @example
 * ```ts
 * const w = initialTimeMlp(new Rng(1), 32, 128); // the 'temb/*' arrays
 * const all = { ...w, ...sPathFrom(w) };
 * ```
 */
export function sPathFrom(w: NamedArrays): NamedArrays {
  const copy = (name: string) => ({ shape: [...w[name]!.shape], values: w[name]!.values.slice() });
  const zero = (name: string) => ({ shape: [...w[name]!.shape], values: new Float32Array(w[name]!.values.length) });
  return { 'temb_s/w0': copy('temb/w0'), 'temb_s/b0': copy('temb/b0'), 'temb_s/w1': zero('temb/w1'), 'temb_s/b1': zero('temb/b1') };
}

/**
 * The `s`-path variables of {@link sPathFrom}, built from live `t`-path
 * variables (no read-back to JS).
 *
 * @example
 * ```ts
 * Object.assign(vars, sPathVariables(vars));
 * ```
 */
export function sPathVariables(vars: Record<string, Variable>): Record<string, Variable> {
  return tf.tidy(() => ({
    'temb_s/w0': tf.variable(vars['temb/w0']!, true),
    'temb_s/b0': tf.variable(vars['temb/b0']!, true),
    'temb_s/w1': tf.variable(tf.zerosLike(vars['temb/w1']!), true),
    'temb_s/b1': tf.variable(tf.zerosLike(vars['temb/b1']!), true),
  }));
}

/**
 * One time MLP: `c [batch]` → sinusoidal embedding with the cached
 * `freqs [1, E/2]` → Linear → SiLU → Linear, `[batch, T]`.
 *
 * @example
 * ```ts
 * const emb = timeMlp(cNoise, freqs, vars, 'temb'); // [batch, T]
 * ```
 */
export function timeMlp(c: Tensor1D, freqs: Tensor2D, vars: Record<string, Variable>, prefix: TimePath): Tensor {
  const e = sinusoidalEmbedding(c, freqs);
  const h = silu(linear(e, vars[`${prefix}/w0`]!, vars[`${prefix}/b0`]!));
  return linear(h, vars[`${prefix}/w1`]!, vars[`${prefix}/b1`]!);
}
