import { assertNumber, ConfigError, TypeMismatchError, typeLabel } from '@charlearn/core';
import type { ImageSplit } from './image-set';

/** Options shared by every image loader. */
export interface ImageLoadOptions {
  /** `'train'` (default) or `'test'`. */
  split?: ImageSplit;
  /** Keep at most the first `limit` images of the split (an integer >= 1; default all). */
  limit?: number;
}

/** Options of loaders that read a folder of files. */
export interface ImageDirOptions extends ImageLoadOptions {
  /** The folder holding the data set's files. */
  dir?: string;
}

/** Validated {@link ImageLoadOptions}: `limit` is `Infinity` when absent. */
export interface ResolvedImageOptions {
  split: ImageSplit;
  limit: number;
}

/**
 * Validates loader options before any file is touched: `options` an object,
 * `split` `'train' | 'test'` (else {@link ConfigError}), `limit` an integer
 * >= 1 (else {@link @charlearn/core!ValueRangeError}), `dir` a non-empty string when
 * `needDir` or present (else {@link TypeMismatchError}).
 *
 * @example
 * ```ts
 * resolveImageOptions({ split: 'test', limit: 100 }); // { split: 'test', limit: 100 }
 * resolveImageOptions({});                            // { split: 'train', limit: Infinity }
 * ```
 */
export function resolveImageOptions(options: unknown, needDir = false): ResolvedImageOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeMismatchError(`options must be an object, got ${typeLabel(options)}`, 'options');
  }
  const o = options as { split?: unknown; limit?: unknown; dir?: unknown };
  const split = o.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new ConfigError(`options.split must be 'train' or 'test', got ${typeLabel(split)}`, 'options.split');
  }
  if (o.limit !== undefined) assertNumber('options.limit', o.limit, { integer: true, min: 1 });
  if ((needDir || o.dir !== undefined) && (typeof o.dir !== 'string' || o.dir.length === 0)) {
    throw new TypeMismatchError(`options.dir must be the path of a folder (a non-empty string), got ${typeLabel(o.dir)}`, 'options.dir');
  }
  return { split, limit: o.limit ?? Infinity };
}
