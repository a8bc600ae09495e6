/**
 * Fuzz harness: runs a public function on generated (mostly bad) input and
 * checks the outcome is either a named charlearn error whose message names its
 * `parameter`, or a finite result; never a raw tfjs error, a TypeError from
 * deep inside, a silent NaN/Inf, or leaked tensors. Counts the cases tried and
 * the named error classes hit.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { CharlearnError, isTensor } from '@charlearn/core';

/** Totals across the suite. */
export const totals = { targets: 0, cases: 0, succeeded: 0, errors: new Map<string, number>() };

/** Seed of every property (override with `FUZZ_SEED`), so CI runs are reproducible. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20240611);

/** Options of {@link expectNamedOrFinite}. */
export interface OutcomeOptions {
  /** Error classes allowed without a `parameter` (errors about a whole file, e.g. `CheckpointError`). */
  noParameter?: readonly string[];
  /**
   * A non-finite result is accepted (NaN in, NaN out): set when an input tensor
   * holds NaN/Inf/3e38. Tensor values are not scanned at function entry (that
   * would cost a device sync in every hot loop); the trainers and `sample()`
   * turn a non-finite loss or state into a `NonFiniteError`.
   */
  allowNonFinite?: boolean;
}

/** Non-finite numbers anywhere in a result (tensors, typed arrays, arrays, plain objects); a path to the first, or undefined. */
export function findNonFinite(value: unknown, path = 'result', depth = 0): string | undefined {
  if (depth > 6) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} = ${value}`;
  if (isTensor(value)) {
    if (value.dtype === 'string' || value.dtype === 'bool') return undefined;
    const d = value.dataSync();
    const i = d.findIndex((v) => !Number.isFinite(v));
    return i >= 0 ? `${path}[${i}] = ${d[i]} (tensor [${value.shape.join(', ')}])` : undefined;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const a = value as unknown as ArrayLike<number | bigint>;
    for (let i = 0; i < a.length; i++) if (typeof a[i] === 'number' && !Number.isFinite(a[i])) return `${path}[${i}] = ${a[i]}`;
    return undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const f = findNonFinite(value[i], `${path}[${i}]`, depth + 1);
      if (f) return f;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) {
      const f = findNonFinite(v, `${path}.${k}`, depth + 1);
      if (f) return f;
    }
  }
  return undefined;
}

function collectTensors(value: unknown, out: Tensor[], depth = 0): void {
  if (depth > 6) return;
  if (isTensor(value)) out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, out, depth + 1);
  else if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out, depth + 1);
  }
}

/** A short, safe rendering of the generated input for failure messages. */
export function show(value: unknown): string {
  try {
    return fc.stringify(value).slice(0, 400);
  } catch {
    return String(value);
  }
}

function judgeError(label: string, e: unknown, options: OutcomeOptions): void {
  if (!(e instanceof CharlearnError)) {
    const err = e as Error;
    throw new Error(`${label}: threw a raw ${err?.constructor?.name ?? typeof e} instead of a named charlearn error: ${err?.message ?? String(e)}\n${(err?.stack ?? '').split('\n').slice(1, 5).join('\n')}`);
  }
  const cls = e.constructor.name;
  if (e.name !== cls) throw new Error(`${label}: ${cls} has name '${e.name}'`);
  if (e.parameter === undefined || e.parameter === '') {
    if (!options.noParameter?.includes(cls)) throw new Error(`${label}: ${cls} names no parameter: ${e.message}`);
  } else if (!e.message.includes(e.parameter)) {
    throw new Error(`${label}: ${cls} message does not name its parameter '${e.parameter}': ${e.message}`);
  }
  totals.errors.set(cls, (totals.errors.get(cls) ?? 0) + 1);
}

/**
 * Runs `fn` once and checks its outcome (see the module doc). Tensors the
 * result holds are disposed; `fn` must dispose the tensors it creates as input
 * (use {@link withTensors}).
 */
export function expectNamedOrFinite(label: string, fn: () => unknown, options: OutcomeOptions = {}): void {
  totals.cases++;
  const before = tf.memory().numTensors;
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    judgeError(label, e, options);
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) throw new Error(`${label}: ${leaked} tensors leaked on the error path (${(e as Error).message})`);
    return;
  }
  const nonFinite = findNonFinite(result);
  const held: Tensor[] = [];
  collectTensors(result, held);
  tf.dispose(held);
  if (nonFinite && !options.allowNonFinite) throw new Error(`${label}: succeeded with a non-finite result: ${nonFinite}`);
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`${label}: ${leaked} tensors leaked on success`);
  totals.succeeded++;
}

/** Async {@link expectNamedOrFinite}. */
export async function expectNamedOrFiniteAsync(label: string, fn: () => Promise<unknown>, options: OutcomeOptions = {}): Promise<void> {
  totals.cases++;
  let result: unknown;
  try {
    result = await fn();
  } catch (e) {
    judgeError(label, e, options);
    return;
  }
  const nonFinite = findNonFinite(result);
  if (nonFinite) throw new Error(`${label}: succeeded with a non-finite result: ${nonFinite}`);
  totals.succeeded++;
}

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

/** Numbers that break things: NaN, ±Inf, negative, zero, fractional, huge, and arbitrary doubles. */
export const badNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -1, 0, -0, 0.5, 1.5, 1e9, -1e9, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 31),
  fc.double(),
  fc.integer({ min: -3, max: 3 }),
);

/** Values of the wrong type (and bad numbers). */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  badNumber,
  fc.constantFrom(null, undefined, true, '', 'x', '2', [], [NaN], [[1, 2]], {}, { length: 2 }, () => 1, new Float32Array(0)),
  fc.string({ maxLength: 6 }),
  fc.array(fc.oneof(fc.integer({ min: -2, max: 4 }), fc.constant(NaN)), { maxLength: 4 }),
);

/** Mostly `valid`, sometimes junk. */
export function maybeBad<T>(valid: fc.Arbitrary<T>, weight = 3): fc.Arbitrary<T | unknown> {
  return fc.oneof({ weight, arbitrary: valid }, { weight: 1, arbitrary: junk });
}

/** A description of a tensor to build inside the property (tensors are made and disposed per case). */
export interface TensorSpec {
  readonly shape: number[];
  readonly fill: 'normal' | 'zero' | 'nan' | 'inf' | 'huge' | 'unit';
  readonly dtype: 'float32' | 'int32';
  readonly disposed: boolean;
}

/** Tensor specs around `shape` (`null`: any size 0–3 there), with wrong ranks, empty dims, NaN/Inf fills, int32, disposed. */
export function tensorSpec(shape: readonly (number | null)[], options: { badFill?: boolean } = {}): fc.Arbitrary<TensorSpec> {
  const dim = (d: number | null): fc.Arbitrary<number> => (d === null ? fc.integer({ min: 1, max: 3 }) : fc.constant(d));
  const good = fc.tuple(...shape.map(dim)) as fc.Arbitrary<number[]>;
  const anyShape = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 });
  const fills = options.badFill === false ? fc.constantFrom('normal' as const, 'unit' as const) : fc.constantFrom('normal' as const, 'unit' as const, 'zero' as const, 'nan' as const, 'inf' as const, 'huge' as const);
  return fc.record({
    shape: fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: anyShape }),
    fill: fc.oneof({ weight: 4, arbitrary: fc.constant('unit' as const) }, { weight: 2, arbitrary: fills }),
    dtype: fc.oneof({ weight: 9, arbitrary: fc.constant('float32' as const) }, { weight: 1, arbitrary: fc.constant('int32' as const) }),
    disposed: fc.oneof({ weight: 19, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  });
}

function fillValue(fill: TensorSpec['fill'], i: number): number {
  switch (fill) {
    case 'zero':
      return 0;
    case 'nan':
      return i === 0 ? NaN : 0.5;
    case 'inf':
      return i === 0 ? Infinity : 0.5;
    case 'huge':
      return 3e38;
    case 'unit':
      return ((i * 7919) % 97) / 97;
    default:
      return Math.sin(i * 12.9898) * 1.3;
  }
}

/** Builds the tensor a spec describes. */
export function makeTensor(spec: TensorSpec): Tensor {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, (_, i) => fillValue(spec.fill, i));
  const t = tf.tensor(spec.dtype === 'int32' ? values.map((v) => (Number.isFinite(v) ? Math.round(v * 3) : 0)) : values, spec.shape, spec.dtype);
  if (spec.disposed) t.dispose();
  return t;
}

/** Replaces every TensorSpec inside `args` (one level of arrays / plain objects deep) by a tensor, runs `fn`, disposes them. */
export function withTensors<A, R>(args: A, fn: (materialised: A) => R): R {
  const made: Tensor[] = [];
  const mat = (v: unknown, depth: number): unknown => {
    if (isSpec(v)) {
      const t = makeTensor(v);
      made.push(t);
      return t;
    }
    if (depth > 2) return v;
    if (Array.isArray(v)) return v.map((x) => mat(x, depth + 1));
    if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mat(x, depth + 1)]));
    }
    return v;
  };
  try {
    return fn(mat(args, 0) as A);
  } finally {
    tf.dispose(made.filter((t) => !t.isDisposed));
  }
}

/** Whether `args` holds a tensor spec filled with NaN, Inf or 3e38 (see `allowNonFinite`). */
export function hasNonFiniteTensor(args: unknown, depth = 0): boolean {
  if (isSpec(args)) return args.fill === 'nan' || args.fill === 'inf' || args.fill === 'huge';
  if (depth > 2 || typeof args !== 'object' || args === null) return false;
  return Object.values(args).some((v) => hasNonFiniteTensor(v, depth + 1));
}

function isSpec(v: unknown): v is TensorSpec {
  return typeof v === 'object' && v !== null && 'shape' in v && 'fill' in v && 'dtype' in v && 'disposed' in v && Object.keys(v).length === 4;
}

/** One line for the suite's output and docs/reliability.md. */
export function summary(): string {
  const classes = [...totals.errors.entries()].sort((a, b) => b[1] - a[1]);
  return `fuzz: ${totals.targets} targets, ${totals.cases} cases (${totals.succeeded} finite results, ${totals.cases - totals.succeeded} named errors); ${classes.length} distinct named error classes: ${classes.map(([c, n]) => `${c} ${n}`).join(', ')}`;
}
