import { assertNumber, TypeMismatchError, type Rng } from '@charlearn/core';

/**
 * Checks that `rng` is a seeded generator from `@charlearn/core` (duck-typed,
 * so that two copies of core agree), else throws a {@link TypeMismatchError}.
 *
 * @example
 * ```ts
 * assertRng('rng', new Rng(0)); // ok
 * ```
 */
export function assertRng(parameter: string, rng: unknown): asserts rng is Rng {
  const r = rng as { uniform?: unknown; normal?: unknown } | null;
  if (typeof r !== 'object' || r === null || typeof r.uniform !== 'function' || typeof r.normal !== 'function') {
    throw new TypeMismatchError(`${parameter} must be an Rng from @charlearn/core (e.g. new Rng(0))`, parameter);
  }
}

/**
 * Checks a sample count: an integer `>= 1`.
 *
 * @example
 * ```ts
 * assertCount('batch', 512); // ok; 0, 1.5 or NaN throw ValueRangeError
 * ```
 */
export function assertCount(parameter: string, n: unknown): asserts n is number {
  assertNumber(parameter, n, { integer: true, min: 1, max: 2 ** 27 });
}
