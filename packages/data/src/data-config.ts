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
 * parseConfig(dataConfigSchema, { target: 'gmm' }, 'data'); // { target: 'gmm', file: null, holdout: 0.1, dir: null, limit: null, flip: false }
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
});

/** {@link dataConfigSchema}'s settings. */
export type DataConfig = v.InferOutput<typeof dataConfigSchema>;
