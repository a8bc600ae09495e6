import { join } from 'node:path';
import { firstExisting } from './data-file';
import { loadIdxImages } from './idx-images';
import { resolveImageOptions, type ImageDirOptions } from './image-options';
import { FASHION_MNIST_CLASS_NAMES, type ImageSet } from './image-set';

/** Where Debian's `dataset-fashion-mnist` package puts the IDX files. */
export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * Fashion-MNIST (Xiao et al. 2017): 60,000 train / 10,000 test greyscale
 * 28×28 images of 10 clothing classes, from the original IDX files in `dir`
 * (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`,
 * `t10k-*` for the test split; gzipped or plain). Default `dir`:
 * {@link FASHION_MNIST_DEFAULT_DIR} (`apt-get install dataset-fashion-mnist`).
 * Bad options → {@link @charlearn/core!ConfigError}/{@link @charlearn/core!ValueRangeError}; a missing,
 * corrupt or inconsistent file → {@link @charlearn/core!DataFileError} naming the path.
 *
 * @example
 * ```ts
 * import { loadFashionMnist } from '@charlearn/data/images';
 * const test = await loadFashionMnist({ split: 'test' }); // count 10000, shape [28, 28, 1]
 * const few = await loadFashionMnist({ limit: 512 });      // the first 512 training images
 * ```
 */
export async function loadFashionMnist(options: ImageDirOptions = {}): Promise<ImageSet> {
  const { split } = resolveImageOptions(options);
  const dir = options.dir ?? FASHION_MNIST_DEFAULT_DIR;
  const prefix = split === 'train' ? 'train' : 't10k';
  const hint = 'Debian: apt-get install dataset-fashion-mnist, or pass options.dir';
  const find = (base: string, what: string): Promise<string> =>
    firstExisting([join(dir, `${base}.gz`), join(dir, base)], `the Fashion-MNIST ${split} ${what} (IDX)`, hint);
  const [images, labels] = await Promise.all([find(`${prefix}-images-idx3-ubyte`, 'images'), find(`${prefix}-labels-idx1-ubyte`, 'labels')]);
  return loadIdxImages({ images, labels, name: 'fashion-mnist', split, classNames: FASHION_MNIST_CLASS_NAMES, limit: options.limit });
}
