import * as tf from '@tensorflow/tfjs-core';
import type { Variable } from '@tensorflow/tfjs-core';
import { CheckpointError, assertNamedArrays, shapeSize, type NamedArrays } from '@charlearn/core';

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export { shapeSize, assertNamedArrays };

/**
 * Checks that `weights` has exactly the names and shapes of `expected`
 * (a network's variables). Throws a {@link CheckpointError} naming the
 * first missing, unexpected or mis-shaped entry.
 *
 * @example
 * ```ts
 * checkWeightsMatch({ 'out/w': [256, 2] }, weights); // CheckpointError if not
 * ```
 */
export function checkWeightsMatch(expected: Record<string, readonly number[]>, weights: unknown): asserts weights is NamedArrays {
  if (typeof weights !== 'object' || weights === null || Array.isArray(weights)) {
    throw new CheckpointError('weights must be an object mapping variable names to { shape, values }', undefined, 'weights');
  }
  const given = weights as Record<string, { shape?: unknown; values?: unknown } | undefined>;
  const missing = Object.keys(expected).filter((k) => !(k in given));
  if (missing.length) {
    throw new CheckpointError(`weights are missing ${missing.map((k) => `'${k}'`).join(', ')} (expected ${Object.keys(expected).length} arrays)`, undefined, 'weights');
  }
  const extra = Object.keys(given).filter((k) => !(k in expected));
  if (extra.length) {
    throw new CheckpointError(
      `weights have unexpected ${extra.map((k) => `'${k}'`).join(', ')}; this network has ${Object.keys(expected).map((k) => `'${k}'`).join(', ')}`,
      undefined,
      'weights',
    );
  }
  for (const [name, shape] of Object.entries(expected)) {
    const entry = given[name];
    const s = entry?.shape;
    if (!Array.isArray(s) || s.length !== shape.length || s.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(`weights: '${name}' has shape ${Array.isArray(s) ? fmt(s) : String(s)}, expected ${fmt(shape)}`, undefined, 'weights');
    }
    if (!(entry?.values instanceof Float32Array) || entry.values.length !== shapeSize(shape)) {
      throw new CheckpointError(`weights: '${name}' must have a Float32Array of ${shapeSize(shape)} values`, undefined, 'weights');
    }
    const bad = entry.values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new CheckpointError(`weights: '${name}' has a non-finite value ${entry.values[bad]} at index ${bad}`, undefined, 'weights');
  }
}

/**
 * Copies the values of named variables into a fresh {@link NamedArrays}.
 *
 * @example
 * ```ts
 * const arrays = readVariables(net.namedVariables()); // { 'in/w': { shape, values }, ... }
 * ```
 */
export function readVariables(vars: Record<string, Variable>): NamedArrays {
  const out: NamedArrays = {};
  for (const [name, v] of Object.entries(vars)) {
    out[name] = { shape: [...v.shape], values: new Float32Array(v.dataSync()) };
  }
  return out;
}

/**
 * Overwrites each variable with the array of the same name (every name of
 * `vars` must be in `weights`, shapes already checked, e.g. by
 * {@link checkWeightsMatch}).
 *
 * @example
 * ```ts
 * const w = net.getWeights();                  // e.g. read from a file instead
 * assignVariables(net.namedVariables(), w);
 * ```
 */
export function assignVariables(vars: Record<string, Variable>, weights: NamedArrays): void {
  tf.tidy(() => {
    for (const [name, v] of Object.entries(vars)) {
      const { shape, values } = weights[name]!;
      v.assign(tf.tensor(values, shape, 'float32'));
    }
  });
}

/**
 * Creates trainable variables (tfjs-assigned unique names) from arrays.
 *
 * @example
 * ```ts
 * const vars = makeVariables({ w: { shape: [2, 2], values: new Float32Array(4) } });
 * ```
 */
export function makeVariables(arrays: NamedArrays): Record<string, Variable> {
  const out: Record<string, Variable> = {};
  for (const [name, { shape, values }] of Object.entries(arrays)) {
    const t = tf.tensor(values, shape, 'float32');
    out[name] = tf.variable(t, true);
    t.dispose();
  }
  return out;
}
