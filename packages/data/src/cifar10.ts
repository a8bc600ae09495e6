import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFileError } from '@charlearn/core';
import { readDataFile } from './data-file';
import { assertLabels, BYTE_TO_UNIT } from './idx';
import { resolveImageOptions, type ImageDirOptions } from './image-options';
import { CIFAR10_CLASS_NAMES, type ImageSet } from './image-set';

/** Bytes of one CIFAR-10 binary record: 1 label byte + 3·32·32 pixel bytes (R, G, B planes). */
export const CIFAR10_RECORD_BYTES = 1 + 3 * 32 * 32;

/** The files of each split of the CIFAR-10 binary version, in order. */
export const CIFAR10_FILES: Readonly<Record<'train' | 'test', readonly string[]>> = Object.freeze({
  train: Object.freeze(['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin']),
  test: Object.freeze(['test_batch.bin']),
});

/**
 * Decodes CIFAR-10 binary records (`label, R[32·32], G[32·32], B[32·32]`)
 * into NHWC float32 pixels in [0, 1], keeping at most `max` records. A length
 * that is not a whole number of records (truncated) or a label above 9 →
 * {@link DataFileError} naming `path`.
 *
 * @example
 * ```ts
 * const { images, labels } = decodeCifar10(bytes, 'test_batch.bin'); // images: [n, 32, 32, 3]
 * ```
 */
export function decodeCifar10(bytes: Uint8Array, path: string, max = Infinity): { images: Float32Array; labels: Uint8Array } {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new DataFileError(
      `${path}: truncated or not CIFAR-10 binary: ${bytes.length} bytes, expected a positive multiple of ${CIFAR10_RECORD_BYTES} (1 label + 3072 pixel bytes a record)`,
      path,
    );
  }
  const n = Math.min(max, bytes.length / CIFAR10_RECORD_BYTES);
  const plane = 32 * 32;
  const images = new Float32Array(n * 3 * plane);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const rec = i * CIFAR10_RECORD_BYTES;
    labels[i] = bytes[rec]!;
    const out = i * 3 * plane;
    for (let c = 0; c < 3; c++) {
      const src = rec + 1 + c * plane;
      for (let p = 0; p < plane; p++) images[out + 3 * p + c] = BYTE_TO_UNIT[bytes[src + p]!]!;
    }
  }
  assertLabels(labels, 10, path);
  return { images, labels };
}

/** `dir`, or `dir/cifar-10-batches-bin` when that is where the files are (the official tarball's layout). */
async function batchesDir(dir: string, first: string): Promise<string> {
  for (const d of [dir, join(dir, 'cifar-10-batches-bin')]) {
    try {
      await access(join(d, first));
      return d;
    } catch {
      // try the next one
    }
  }
  const path = join(dir, first);
  throw new DataFileError(
    `${path}: no such file (nor ${join(dir, 'cifar-10-batches-bin', first)}); expected the CIFAR-10 binary version (cifar-10-binary.tar.gz, extracted)`,
    path,
  );
}

/**
 * CIFAR-10 (Krizhevsky 2009), binary version: 50,000 train images from
 * `data_batch_1.bin … data_batch_5.bin`, 10,000 test images from
 * `test_batch.bin`, 32×32 RGB, converted from the files' CHW planes to NHWC.
 * `dir` holds the `.bin` files (or their `cifar-10-batches-bin` folder).
 * Bad options → {@link @charlearn/core!ConfigError}/{@link @charlearn/core!ValueRangeError}/{@link @charlearn/core!TypeMismatchError};
 * a missing or truncated file, or a label above 9 → {@link DataFileError}.
 * With `limit`, later batch files are not read.
 *
 * @example
 * ```ts
 * import { loadCifar10 } from '@charlearn/data/images';
 * const set = await loadCifar10({ dir: 'data/cifar-10-batches-bin', split: 'test' });
 * set.shape; // [32, 32, 3]
 * ```
 */
export async function loadCifar10(options: ImageDirOptions & { dir: string }): Promise<ImageSet> {
  const { split, limit } = resolveImageOptions(options, true);
  const files = CIFAR10_FILES[split];
  const dir = await batchesDir(options.dir, files[0]!);
  const parts: { images: Float32Array; labels: Uint8Array }[] = [];
  let count = 0;
  for (const file of files) {
    if (count >= limit) break;
    const path = join(dir, file);
    const bytes = await readDataFile(path, `a CIFAR-10 binary batch (records of ${CIFAR10_RECORD_BYTES} bytes)`);
    const part = decodeCifar10(bytes, path, limit - count);
    parts.push(part);
    count += part.labels.length;
  }
  const images = new Float32Array(count * 3072);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * 3072);
    labels.set(p.labels, at);
    at += p.labels.length;
  }
  return Object.freeze({
    name: 'cifar10',
    split,
    shape: Object.freeze([32, 32, 3] as const),
    count,
    images,
    labels,
    classNames: CIFAR10_CLASS_NAMES,
  });
}
