import { ValueRangeError } from './errors';

/** A JSON scalar. */
export type JsonPrimitive = null | boolean | number | string;

/** Any value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type JsonValue = JsonPrimitive | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * A JSON object: checkpoint metadata, network specs.
 *
 * @example
 * ```ts
 * const meta: JsonObject = { step: 1200, spec: net.config, losses: [0.9, 0.4] };
 * ```
 */
export type JsonObject = { readonly [key: string]: JsonValue };

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Checks that `value` is a JSON object whose every leaf round-trips through
 * JSON exactly: plain objects, arrays, strings, booleans, `null` and finite
 * numbers. `NaN`, `±Infinity`, `undefined`, functions, class instances and
 * cycles are rejected with a {@link ValueRangeError} naming the offending path
 * (`JSON.stringify` would silently turn `NaN` into `null` or drop the key).
 *
 * @example
 * ```ts
 * assertJsonObject('meta', { step: 3, rng: [1, 2, 3, 4, null] }); // ok
 * assertJsonObject('meta', { loss: NaN });  // ValueRangeError: meta.loss ...
 * ```
 */
export function assertJsonObject(parameter: string, value: unknown): asserts value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !isPlainObject(value)) {
    throw new ValueRangeError(`${parameter} must be a plain JSON object`, parameter);
  }
  checkJson(parameter, value, new Set());
}

function checkJson(path: string, value: unknown, seen: Set<object>): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new ValueRangeError(`${path} must be a finite number to be stored as JSON, got ${value} (store null instead)`, path);
    }
    return;
  }
  if (typeof value !== 'object') {
    throw new ValueRangeError(`${path} must be JSON (null, boolean, number, string, array or plain object), got ${typeof value}`, path);
  }
  if (seen.has(value)) throw new ValueRangeError(`${path} is a circular reference; JSON cannot store it`, path);
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkJson(`${path}[${i}]`, value[i], seen);
  } else {
    if (!isPlainObject(value)) {
      throw new ValueRangeError(`${path} must be a plain object or array, got an instance of ${value.constructor?.name ?? 'a class'}`, path);
    }
    for (const [k, v] of Object.entries(value)) checkJson(`${path}.${k}`, v, seen);
  }
  seen.delete(value);
}
