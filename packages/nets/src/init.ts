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
