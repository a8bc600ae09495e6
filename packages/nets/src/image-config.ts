import { ConfigError, ValueRangeError, assertNumber, closestMatch } from '@charlearn/core';
import { resolveTimeConditioning, type TimeConditioningSpec } from './time-config';

/** The config keys shared by the image networks (U-Net, DiT), with their resolved values. */
export interface ImageCommonSpec extends TimeConditioningSpec {
  /** One image, `[H, W, C]` (NHWC without the batch). */
  readonly sampleShape: readonly [number, number, number];
}

/**
 * Checks that `config` is a plain object whose keys are all in `keys` and
 * whose `kind` (if present) is `kind`; throws a `ConfigError` naming the
 * unknown key or `kind`.
 *
 * @example
 * ```ts
 * checkConfigKeys({ kind: 'unet', chanels: 8 }, 'unet', ['kind', 'channels'], 'U-Net'); // ConfigError: 'chanels'
 * ```
 */
export function checkConfigKeys(config: unknown, kind: string, keys: readonly string[], label: string): asserts config is Record<string, unknown> {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ConfigError(`the ${label} config must be an object { sampleShape, ... }`, 'config');
  }
  for (const key of Object.keys(config)) {
    if (keys.includes(key)) continue;
    const known = keys.filter((k) => k !== 'kind');
    const near = closestMatch(key, known);
    throw new ConfigError(`unknown ${label} config key '${key}'${near ? `; did you mean '${near}'?` : ''} (known keys: ${known.join(', ')})`, key);
  }
  const k = (config as { kind?: unknown }).kind;
  if (k !== undefined && k !== kind) throw new ConfigError(`kind must be '${kind}' for a ${label} config, got ${JSON.stringify(k)}`, 'kind');
}

/**
 * Validates `sampleShape` as `[H, W, C]` of positive integers.
 *
 * @example
 * ```ts
 * resolveSampleShape([28, 28, 1]); // [28, 28, 1]
 * resolveSampleShape([28, 28]);    // ValueRangeError naming 'sampleShape'
 * ```
 */
export function resolveSampleShape(value: unknown): readonly [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3) {
    throw new ValueRangeError(`sampleShape must be [height, width, channels], e.g. [28, 28, 1], got ${JSON.stringify(value)}`, 'sampleShape');
  }
  value.forEach((d, i) => assertNumber(`sampleShape[${i}]`, d, { integer: true, min: 1 }));
  return Object.freeze([value[0], value[1], value[2]] as [number, number, number]);
}

/**
 * Validates and defaults the keys every image network shares:
 * `sampleShape` (required), `timeEmbeddingDim` (even, default
 * `defaultEmbedding`), `maxPeriod` (default 10000), `twoTime` (default
 * false), `seed` (integer in `[0, 2^32)`, default 0).
 *
 * @example
 * ```ts
 * resolveImageCommon({ sampleShape: [8, 8, 1] }, 64).maxPeriod; // 10000
 * ```
 */
export function resolveImageCommon(c: Record<string, unknown>, defaultEmbedding: number): ImageCommonSpec {
  const sampleShape = resolveSampleShape(c.sampleShape);
  return { sampleShape, ...resolveTimeConditioning(c, defaultEmbedding) };
}

/**
 * Validates a positive integer config value, defaulting `undefined`.
 *
 * @example
 * ```ts
 * positiveInt({ depth: 4 }, 'depth', 6); // 4
 * ```
 */
export function positiveInt(c: Record<string, unknown>, key: string, fallback?: number): number {
  const v = c[key] ?? fallback;
  assertNumber(key, v, { integer: true, min: 1 });
  return v;
}
