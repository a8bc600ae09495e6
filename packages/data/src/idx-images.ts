import { DataFileError, TypeMismatchError, typeLabel } from '@charlearn/core';
import { readDataFile } from './data-file';
import { resolveImageOptions } from './image-options';
import { assertLabels, bytesToUnit, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdx } from './idx';
import type { ImageSet, ImageSplit } from './image-set';

/** What {@link loadIdxImages} needs. */
export interface IdxImagesSpec {
  /** Path of the IDX images file `[n, H, W]` (gzipped or not). */
  images: string;
  /** Path of the IDX labels file `[n]` (gzipped or not). */
  labels: string;
  name: string;
  split: ImageSplit;
  classNames: readonly string[];
  /** Keep the first `limit` images (default all). */
  limit?: number;
}

/**
 * Loads a pair of IDX files (images magic `0x00000803`, labels `0x00000801`;
 * gzipped or plain) as an {@link ImageSet} with `C = 1`: the format of MNIST,
 * Fashion-MNIST, KMNIST and EMNIST. Any file problem, an image/label count
 * mismatch or a label outside `classNames` → {@link DataFileError} naming
 * the path.
 *
 * @example
 * ```ts
 * const set = await loadIdxImages({
 *   images: 'mnist/t10k-images-idx3-ubyte.gz', labels: 'mnist/t10k-labels-idx1-ubyte.gz',
 *   name: 'mnist-full', split: 'test', classNames: MNIST_CLASS_NAMES,
 * });
 * set.shape; // [28, 28, 1]
 * ```
 */
export async function loadIdxImages(spec: IdxImagesSpec): Promise<ImageSet> {
  const { split, limit } = resolveImageOptions({ split: spec.split, limit: spec.limit });
  for (const key of ['images', 'labels', 'name'] as const) {
    if (typeof spec[key] !== 'string' || spec[key].length === 0) {
      throw new TypeMismatchError(`spec.${key} must be a non-empty string, got ${typeLabel(spec[key])}`, `spec.${key}`);
    }
  }
  const [imageBytes, labelBytes] = await Promise.all([
    readDataFile(spec.images, 'an IDX images file (magic 0x00000803)'),
    readDataFile(spec.labels, 'an IDX labels file (magic 0x00000801)'),
  ]);
  const img = parseIdx(imageBytes, spec.images, IDX_IMAGES_MAGIC);
  const lab = parseIdx(labelBytes, spec.labels, IDX_LABELS_MAGIC);
  const [n, h, w] = img.dims as [number, number, number];
  if (lab.dims[0] !== n) {
    throw new DataFileError(`${spec.labels}: ${lab.dims[0]} labels, expected ${n}, the image count of ${spec.images}`, spec.labels);
  }
  if (n < 1 || h < 1 || w < 1) throw new DataFileError(`${spec.images}: empty IDX images [${img.dims.join(', ')}]`, spec.images);
  const count = Math.min(n, limit);
  const labels = lab.data.slice(0, count);
  assertLabels(labels, spec.classNames.length, spec.labels);
  return Object.freeze({
    name: spec.name,
    split,
    shape: Object.freeze([h, w, 1] as const),
    count,
    images: bytesToUnit(img.data.subarray(0, count * h * w)),
    labels,
    classNames: spec.classNames,
  });
}
