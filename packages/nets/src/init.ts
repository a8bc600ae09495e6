import type { Rng } from '@charlearn/core';

/**
 * Fan-in uniform initialisation: `U(−a, a)` with `a = √(3·gain²/fanIn)`,
 * i.e. variance `gain²/fanIn`. `gain² = 2` is He/Kaiming (ReLU-like
 * activations: relu, silu, gelu), `gain² = 1` is LeCun (tanh, linear).
 * Returns a row-major `[fanIn, fanOut]` matrix.
 *
 * @example
 * ```ts
 * const w = fanInUniform(rng, 256, 256, 2); // He-uniform, [256, 256]
 * ```
 */
export function fanInUniform(rng: Rng, fanIn: number, fanOut: number, gainSquared: number): Float32Array {
  const a = Math.sqrt((3 * gainSquared) / fanIn);
  return rng.uniformArray(fanIn * fanOut, -a, a);
}

/**
 * The squared gain of {@link fanInUniform} for an activation: 2 (He) for
 * the ReLU family (relu, silu, gelu), 1 (LeCun) for tanh.
 *
 * @example
 * ```ts
 * activationGainSquared('silu'); // 2
 * ```
 */
export function activationGainSquared(activation: string): number {
  return activation === 'tanh' ? 1 : 2;
}

/**
 * Xavier / Glorot uniform initialisation (DDPM++'s `default_init`, DiT's
 * linears): `U(−a, a)` with `a = √(6/(fanIn + fanOut))`, `n` values. For a
 * `k x k` convolution pass `fanIn = k²·cin`, `fanOut = k²·cout`.
 *
 * @example
 * ```ts
 * const w = xavierUniform(rng, 9 * 32, 9 * 64, 9 * 32 * 64); // conv3x3 32 → 64
 * ```
 */
export function xavierUniform(rng: Rng, fanIn: number, fanOut: number, n: number): Float32Array {
  const a = Math.sqrt(6 / (fanIn + fanOut));
  return rng.uniformArray(n, -a, a);
}
