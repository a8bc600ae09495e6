import type { Tensor } from '@tensorflow/tfjs-core';
import { ShapeError, TypeMismatchError, ValueRangeError } from './errors';

/** Range constraints for {@link assertNumber}. */
export interface NumberConstraints {
  /** Inclusive lower bound. */
  min?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** Exclusive lower bound. */
  greaterThan?: number;
  /** Exclusive upper bound. */
  lessThan?: number;
  /** Require an integer. */
  integer?: boolean;
}

function describe(c: NumberConstraints): string {
  const parts: string[] = [];
  if (c.integer) parts.push('an integer');
  else parts.push('a finite number');
  if (c.min !== undefined && c.max !== undefined) {
    parts.push(`in [${c.min}, ${c.max}]`);
    return parts.join(' ');
  }
  if (c.min !== undefined) parts.push(`>= ${c.min}`);
  if (c.greaterThan !== undefined) parts.push(`> ${c.greaterThan}`);
  if (c.max !== undefined) parts.push(`<= ${c.max}`);
  if (c.lessThan !== undefined) parts.push(`< ${c.lessThan}`);
  return parts.join(' ');
}

/**
 * Checks that `value` is a finite number satisfying `constraints`, else throws
 * a {@link TypeMismatchError} or {@link ValueRangeError} naming `parameter`.
 *
 * @example
 * ```ts
 * assertNumber('steps', steps, { integer: true, min: 1 });
 * ```
 */
export function assertNumber(parameter: string, value: unknown, constraints: NumberConstraints = {}): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeMismatchError(`${parameter} must be ${describe(constraints)}, got ${typeLabel(value)}`, parameter);
  }
  const bad =
    !Number.isFinite(value) ||
    (constraints.integer && !Number.isInteger(value)) ||
    (constraints.min !== undefined && value < constraints.min) ||
    (constraints.max !== undefined && value > constraints.max) ||
    (constraints.greaterThan !== undefined && !(value > constraints.greaterThan)) ||
    (constraints.lessThan !== undefined && !(value < constraints.lessThan));
  if (bad) throw new ValueRangeError(`${parameter} must be ${describe(constraints)}, got ${value}`, parameter);
}

/** A short, human description of a value's type for error messages. */
export function typeLabel(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (isTensor(value)) return `a tensor of shape [${value.shape.join(', ')}]`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string '${value.length > 40 ? value.slice(0, 40) + '...' : value}'`;
  return `${typeof value} ${String(value)}`;
}

/** True when `value` looks like a tfjs tensor (duck-typed so that two tfjs copies agree). */
export function isTensor(value: unknown): value is Tensor {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { shape?: unknown }).shape) &&
    typeof (value as { dtype?: unknown }).dtype === 'string' &&
    typeof (value as { dataSync?: unknown }).dataSync === 'function'
  );
}

/**
 * Checks that `value` is a tensor whose shape matches `expected`, where `null`
 * entries match any size and a trailing `'...'` matches any further dims.
 * Throws a {@link ShapeError} naming `parameter` and the expected shape.
 *
 * @example
 * ```ts
 * assertTensor('x', x, [null, 2]);        // [batch, 2]
 * assertTensor('t', t, [x.shape[0]]);     // [batch]
 * assertTensor('x', x, [null, '...']);    // [batch, ...dims]
 * ```
 */
export function assertTensor(
  parameter: string,
  value: unknown,
  expected?: ReadonlyArray<number | null | '...'>,
  options: { dtype?: 'float32' | 'int32'; minRank?: number } = {},
): asserts value is Tensor {
  const want = expected ? `[${expected.map((d) => (d === null ? 'n' : d)).join(', ')}]` : '';
  if (!isTensor(value)) {
    throw new ShapeError(`${parameter} must be a tensor${want ? ` of shape ${want}` : ''}, got ${typeLabel(value)}`, parameter);
  }
  if ((value as { isDisposed?: boolean }).isDisposed) {
    throw new ShapeError(`${parameter} is a disposed tensor`, parameter);
  }
  if (options.dtype && value.dtype !== options.dtype) {
    throw new ShapeError(`${parameter} must have dtype ${options.dtype}, got ${value.dtype}`, parameter);
  }
  if (options.minRank !== undefined && value.rank < options.minRank) {
    throw new ShapeError(`${parameter} must have rank >= ${options.minRank}, got shape [${value.shape.join(', ')}]`, parameter);
  }
  if (!expected) return;
  const open = expected[expected.length - 1] === '...';
  const fixed = open ? expected.slice(0, -1) : expected;
  const okRank = open ? value.rank >= fixed.length : value.rank === fixed.length;
  const okDims = okRank && fixed.every((d, i) => d === null || d === value.shape[i]);
  if (!okDims) {
    throw new ShapeError(`${parameter} must have shape ${want}, got [${value.shape.join(', ')}]`, parameter);
  }
}

/**
 * Checks a tensor's batch dimension is non-empty. Charlearn works on
 * `[batch, ...dims]` tensors with `batch >= 1`.
 */
export function assertNonEmptyBatch(parameter: string, x: Tensor): void {
  if (x.rank < 1 || x.shape[0] === 0) {
    throw new ShapeError(`${parameter} must be [batch, ...dims] with batch >= 1, got [${x.shape.join(', ')}]`, parameter);
  }
}
