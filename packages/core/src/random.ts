import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { assertNumber, typeLabel } from './validate';
import { TypeMismatchError, ValueRangeError } from './errors';

/** The most numbers one {@link Rng} array or tensor call draws (2^28: 1 GiB of float32). */
export const MAX_RANDOM_ELEMENTS = 2 ** 28;

const FLOAT32_MAX = 3.4028234663852886e38;

/** `lo`, `hi` finite with a finite, non-negative width `hi − lo`; `ValueRangeError` naming them otherwise. */
function assertUniformRange(lo: number, hi: number): void {
  assertNumber('lo', lo, { min: -FLOAT32_MAX, max: FLOAT32_MAX });
  assertNumber('hi', hi, { min: -FLOAT32_MAX, max: FLOAT32_MAX });
  if (!(hi >= lo && hi - lo <= FLOAT32_MAX)) throw new ValueRangeError(`hi must be >= lo with a width hi - lo <= ${FLOAT32_MAX} (float32), got lo=${lo}, hi=${hi}`, 'hi');
}

function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * A small, fast, seeded random generator (xoshiro128**), identical on every
 * platform and backend. Its state can be saved and restored, so a resumed
 * training run draws the same numbers as an uninterrupted one.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * const z = rng.normalTensor([512, 2]);   // prior samples [512, 2]
 * const saved = rng.state();              // ... later: Rng.fromState(saved)
 * ```
 */
export class Rng {
  private s: Uint32Array;
  private spare: number | null = null;

  /** `seed`: any integer in `[0, 2^32)`. */
  constructor(seed: number) {
    assertNumber('seed', seed, { integer: true, min: 0, max: 0xffffffff });
    const sm = splitmix32(seed);
    this.s = new Uint32Array([sm(), sm(), sm(), sm()]);
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** Restores a generator saved with {@link Rng.state}. */
  static fromState(state: readonly number[]): Rng {
    const spare: unknown = Array.isArray(state) ? state[4] : undefined;
    if (
      !Array.isArray(state) ||
      state.length !== 5 ||
      !state.slice(0, 4).every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff) ||
      // all-zero words are a fixed point of xoshiro128** (zeros forever; normal() would loop)
      state.slice(0, 4).every((v) => v === 0) ||
      !(spare === null || (typeof spare === 'number' && (Number.isNaN(spare) || Number.isFinite(spare))))
    ) {
      throw new ValueRangeError('rng state must be an array of 4 uint32 values (not all zero) and a spare normal (finite number or NaN)', 'state');
    }
    const r = new Rng(0);
    r.s = new Uint32Array(state.slice(0, 4));
    r.spare = Number.isNaN(state[4]) || state[4] === null ? null : (state[4] as number);
    return r;
  }

  /** The generator's state: 4 uint32 words and the cached normal (NaN when none). */
  state(): number[] {
    return [...this.s, this.spare ?? Number.NaN];
  }

  /** The next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in `[0, 1)` with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer uniform in `[0, n)`. */
  int(n: number): number {
    assertNumber('n', n, { integer: true, min: 1 });
    return Math.floor(this.uniform() * n);
  }

  /** `n` standard normals. */
  normalArray(n: number): Float32Array {
    assertNumber('n', n, { integer: true, min: 0, max: MAX_RANDOM_ELEMENTS });
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }

  /** `n` uniforms in `[lo, hi)`. */
  uniformArray(n: number, lo = 0, hi = 1): Float32Array {
    assertNumber('n', n, { integer: true, min: 0, max: MAX_RANDOM_ELEMENTS });
    assertUniformRange(lo, hi);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  /** A float32 tensor of standard normals with the given shape. */
  normalTensor(shape: readonly number[]): Tensor {
    const n = checkShape(shape);
    return tf.tensor(this.normalArray(n), [...shape], 'float32');
  }

  /** A float32 tensor of uniforms in `[lo, hi)` with the given shape. */
  uniformTensor(shape: readonly number[], lo = 0, hi = 1): Tensor {
    const n = checkShape(shape);
    assertUniformRange(lo, hi);
    return tf.tensor(this.uniformArray(n, lo, hi), [...shape], 'float32');
  }

  /** An independent generator derived from this one (advances this one). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function checkShape(shape: readonly number[]): number {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new ValueRangeError(`shape must be a non-empty array of positive integers, got ${JSON.stringify(shape)}`, 'shape');
  }
  let n = 1;
  shape.forEach((d, i) => {
    assertNumber(`shape[${i}]`, d, { integer: true, min: 1 });
    n *= d;
  });
  if (n > MAX_RANDOM_ELEMENTS) throw new ValueRangeError(`shape [${shape.join(', ')}] has ${n} elements; at most ${MAX_RANDOM_ELEMENTS} per call`, 'shape');
  return n;
}

/**
 * Seeded samples from the standard normal prior `N(0, I)`, shape `[batch, ...dims]`.
 *
 * @example
 * ```ts
 * const z = priorSample([1000, 2], 0); // the same numbers on every backend
 * ```
 */
export function priorSample(shape: readonly number[], seed: number | Rng): Tensor {
  if (typeof seed !== 'number' && !(seed instanceof Rng)) {
    throw new TypeMismatchError(`seed must be an integer seed or an Rng, got ${typeLabel(seed)}`, 'seed');
  }
  const rng = typeof seed === 'number' ? new Rng(seed) : seed;
  return rng.normalTensor(shape);
}
