/**
 * `data`: what a run trains on, as a config schema (the one place its defaults live): a built-in 2-D target, an
 * image data set, or the user's own points from a file (`file`, read by `@charlearn/data/node`).
 */
import * as v from 'valibot';
import { configSection, integerSchema, numberSchema, setting } from '@charlearn/core';
import { TARGET_NAMES } from './targets';

/** The image data sets a run can train on (`data.target`; trained with an image network, evaluated by the feature-net FD). */
export const IMAGE_DATA_NAMES = Object.freeze(['mnist', 'fashion-mnist'] as const);

/** An image data set's name. */
export type ImageDataName = (typeof IMAGE_DATA_NAMES)[number];

/**
 * Whether `target` names an image data set ({@link IMAGE_DATA_NAMES}) rather than a 2-D target.
 *
 * @example
 * ```ts
 * isImageDataName('mnist');      // true
 * isImageDataName('swiss-roll'); // false
 * ```
 */
export function isImageDataName(target: string): target is ImageDataName {
  return (IMAGE_DATA_NAMES as readonly string[]).includes(target);
}

/**
 * The `data` section of a run config.
 *
 * @example
 * ```ts
 * parseConfig(dataConfigSchema, { target: 'gmm' }, 'data');
 * // { target: 'gmm', file: null, holdout: 0.1, dir: null, limit: null, flip: false, pixelRange: [-1, 1], sigmaData: null }
 * ```
 */
export const dataConfigSchema = configSection({
  target: setting(v.picklist([...TARGET_NAMES, ...IMAGE_DATA_NAMES]), 'swiss-roll', 'target: a 2-D distribution, or an image data set (mnist | fashion-mnist); ignored with data.file'),
  file: setting(
    v.nullable(v.pipe(v.string(), v.minLength(1))),
    null,
    "the user's own data: points from .csv (header optional), .json (array of rows) or .npy [N, d]; images from .npy [N, H, W, C] (float32/float64/uint8); relative to the config file",
  ),
  holdout: setting(numberSchema({ min: 0, lt: 1 }), 0.1, "data.file: the fraction of the file's rows held out of training (seeded by `seed`, recorded in the checkpoint) for eval's W2; 0: train on every row"),
  dir: setting(v.nullable(v.pipe(v.string(), v.minLength(1))), null, "images: folder of the data set's files (fashion-mnist IDX); null: /usr/share/datasets/fashion-mnist"),
  limit: setting(v.nullable(integerSchema({ min: 1 })), null, 'images: train on the first `limit` training images; null: all'),
  flip: setting(v.boolean(), false, 'images: flip training draws left-right with probability 1/2'),
  pixelRange: setting(
    v.pipe(v.array(numberSchema()), v.length(2, 'expected [lo, hi]'), v.check((r) => r[0]! < r[1]!, 'expected [lo, hi] with lo < hi')),
    [-1, 1],
    "images: the model's units of pixels 0 and 1 ([-1, 1]; [0, 1] for a teacher trained on ToTensor pixels, e.g. the reference code's MNIST)",
  ),
  sigmaData: setting(
    v.nullable(numberSchema({ gt: 0 })),
    null,
    "images: the EDM preconditioning's data std σ_d; null: measured on the training pixels (1 for the reference code's networks)",
  ),
});

/** The default of `data.pixelRange`: pixel `p ∈ [0, 1]` is served as `2p − 1`. */
export const DEFAULT_PIXEL_RANGE: readonly [number, number] = Object.freeze([-1, 1] as [number, number]);

/** {@link dataConfigSchema}'s settings. */
export type DataConfig = v.InferOutput<typeof dataConfigSchema>;
