/**
 * @packageDocumentation
 * `@charlearn/data/images`: Node-only loaders for image data sets (they read
 * files with `node:fs` and gunzip with `node:zlib`, so they live in this
 * subpath and the main entry `@charlearn/data` stays browser-safe). Each
 * returns an {@link ImageSet} (NHWC float32 in [0, 1]); wrap it with
 * {@link imageDataset} to train on it.
 *
 * @example
 * ```ts
 * import { loadMnist, loadFashionMnist, loadCifar10, imageDataset } from '@charlearn/data/images';
 * const ds = imageDataset(await loadFashionMnist({ split: 'train' }));
 * const x1 = ds.sample(128, new Rng(0)); // Tensor4D [128, 28, 28, 1] in [-1, 1]
 * ```
 *
 * @module @charlearn/data/images
 */
export * from './image-set';
export * from './image-dataset';
export * from './image-options';
export { loadMnist, importMnistDigits, mnistFromDigits, mnistTestCount, MNIST_PACKAGE } from './mnist';
export { loadFashionMnist, FASHION_MNIST_DEFAULT_DIR } from './fashion-mnist';
export { loadCifar10, decodeCifar10, CIFAR10_FILES, CIFAR10_RECORD_BYTES } from './cifar10';
export { loadIdxImages, type IdxImagesSpec } from './idx-images';
export { parseIdx, bytesToUnit, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, type IdxArray } from './idx';
