import { ShapeError, TypeMismatchError, typeLabel } from '@charlearn/core';

/** Which part of a data set: its training or its test images. */
export type ImageSplit = 'train' | 'test';

/**
 * Images in memory, NHWC, float32 in [0, 1], with their class labels.
 * Browser-safe (a plain object); the loaders that fill it from files live in
 * the Node-only subpath `@charlearn/data/images`.
 *
 * @example
 * ```ts
 * import { loadMnist } from '@charlearn/data/images';
 * const set = await loadMnist({ split: 'test' });
 * set.shape;                 // [28, 28, 1]
 * set.count;                 // 2000
 * set.images.length;         // 2000 · 28 · 28 · 1, row-major [count, H, W, C]
 * set.classNames[set.labels[0]!];
 * ```
 */
export interface ImageSet {
  /** `'mnist' | 'fashion-mnist' | 'cifar10'`, or a user name. */
  readonly name: string;
  readonly split: ImageSplit;
  /** `[H, W, C]` of one image, e.g. `[28, 28, 1]` or `[32, 32, 3]`. */
  readonly shape: readonly [number, number, number];
  /** Number of images. */
  readonly count: number;
  /** `[count, H, W, C]` row-major, values in [0, 1]. */
  readonly images: Float32Array;
  /** `[count]` class ids `0 .. classNames.length − 1`. */
  readonly labels: Uint8Array;
  /** Class id → name. */
  readonly classNames: readonly string[];
}

/** Class names of MNIST: the digits `'0'` … `'9'`. */
export const MNIST_CLASS_NAMES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** Class names of Fashion-MNIST, in label order. */
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** Class names of CIFAR-10, in label order. */
export const CIFAR10_CLASS_NAMES: readonly string[] = Object.freeze([
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
]);

/**
 * Checks the structure of an {@link ImageSet} (not its pixel values): a
 * positive integer `shape` `[H, W, C]` and `count`, `images` a Float32Array of
 * `count·H·W·C` numbers, `labels` a Uint8Array of `count` ids below
 * `classNames.length`. Throws a {@link ShapeError} (or
 * {@link TypeMismatchError} for a wrong type) naming `parameter`.
 *
 * @example
 * ```ts
 * assertImageSet('set', set); // ok for every loader's result
 * ```
 */
export function assertImageSet(parameter: string, set: unknown): asserts set is ImageSet {
  if (typeof set !== 'object' || set === null) {
    throw new TypeMismatchError(`${parameter} must be an ImageSet object, got ${typeLabel(set)}`, parameter);
  }
  const s = set as Partial<Record<keyof ImageSet, unknown>>;
  const shape = s.shape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && (d as number) >= 1)) {
    throw new ShapeError(`${parameter}.shape must be [H, W, C] of positive integers, got ${JSON.stringify(shape)}`, `${parameter}.shape`);
  }
  const count = s.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new ShapeError(`${parameter}.count must be an integer >= 1, got ${String(count)}`, `${parameter}.count`);
  }
  const [h, w, c] = shape as [number, number, number];
  if (!(s.images instanceof Float32Array)) {
    throw new TypeMismatchError(`${parameter}.images must be a Float32Array, got ${typeLabel(s.images)}`, `${parameter}.images`);
  }
  if (s.images.length !== count * h * w * c) {
    throw new ShapeError(
      `${parameter}.images must hold count·H·W·C = ${count}·${h}·${w}·${c} = ${count * h * w * c} numbers, got ${s.images.length}`,
      `${parameter}.images`,
    );
  }
  if (!(s.labels instanceof Uint8Array) || s.labels.length !== count) {
    throw new ShapeError(`${parameter}.labels must be a Uint8Array of count = ${count} class ids, got ${typeLabel(s.labels)}`, `${parameter}.labels`);
  }
  if (!Array.isArray(s.classNames) || s.classNames.length < 1) {
    throw new ShapeError(`${parameter}.classNames must be a non-empty array of names, got ${typeLabel(s.classNames)}`, `${parameter}.classNames`);
  }
  const classes = s.classNames.length;
  const bad = s.labels.findIndex((l) => l >= classes);
  if (bad >= 0) {
    throw new ShapeError(`${parameter}.labels[${bad}] = ${s.labels[bad]} is not a class id in [0, ${classes - 1}]`, `${parameter}.labels`);
  }
}
