/**
 * A run's training data: a 2-D target (`data.target: swiss-roll | ...`), an image data set
 * (`data.target: mnist | fashion-mnist`), or the user's own points or images (`data.file`), resolved from the
 * config before any tensor math runs.
 */
import { ConfigError, type Dataset } from '@charlearn/core';
import { DEFAULT_PIXEL_RANGE, getTarget, type ArrayDataset, type PixelRange, type Target2D } from '@charlearn/data';
import { loadDataFile } from '@charlearn/data/node';
import { imageDataset, loadFashionMnist, loadMnist, type ImageDataset, type ImageSet, type ImageSplit } from '@charlearn/data/images';
import { isImageDataName, type ImageDataName } from '@charlearn/data';
import type { RunConfig } from './config';

/** A 2-D target: trained with an MLP, evaluated by exact W2. */
export interface PointsData {
  readonly kind: 'points';
  /** The target; it is also the trainers' dataset. */
  readonly target: Target2D;
  readonly dataset: Dataset;
}

/** An image data set: trained with a U-Net or DiT, evaluated by the feature-net FD against its test split. */
export interface ImagesData {
  readonly kind: 'images';
  /** `'mnist' | 'fashion-mnist'`. */
  readonly name: ImageDataName;
  /** The training split as a dataset (pixels mapped to `data.pixelRange`, [−1, 1] by default); `[H, W, C]` in `dataset.sampleShape`. */
  readonly dataset: ImageDataset;
  /** Loads a split of the same data (the evaluation's reference is `'test'`); `ignoreLimit`: the whole training split, whatever `data.limit` says. */
  loadSplit(split: ImageSplit, options?: { ignoreLimit?: boolean }): Promise<ImageSet>;
}

/** The user's own points from `data.file` (CSV, JSON, .npy `[N, d]`): normalised for training, any `d`. */
export interface FileData {
  readonly kind: 'file';
  /** The file (absolute). */
  readonly file: string;
  /** The training rows, normalised per coordinate; `dataset.normalisation` maps back to the file's units. */
  readonly dataset: ArrayDataset;
  /** The rows held out of training (`data.holdout`), normalised like the training rows, flat `[rows · d]`. */
  readonly heldOut: Float32Array;
  /** What was fitted to the file, recorded in the run's checkpoints (`meta.run`). */
  readonly fitted: { readonly normalisation: { readonly mean: readonly number[]; readonly std: readonly number[] }; readonly heldOutRows: readonly number[] };
}

/** The user's own images from `data.file` (.npy `[N, H, W, C]`): pixels by the pixel-range rule, trained in [−1, 1]. */
export interface ImageFileData {
  readonly kind: 'image-file';
  /** The file (absolute). */
  readonly file: string;
  /** The training rows; `dataset.toPixels` gives pixels in [0, 1], `fitted.pixelRange` the file's units. */
  readonly dataset: ImageDataset;
  /** What was fitted to the file, recorded in the run's checkpoints (`meta.run`). */
  readonly fitted: { readonly pixelRange: PixelRange; readonly heldOutRows: readonly number[] };
}

/** What {@link loadRunData} returns. */
export type RunData = PointsData | ImagesData | FileData | ImageFileData;

/**
 * Refuses (`ConfigError` naming `model.kind`) a built-in network kind that cannot train the data a file turned out
 * to hold: `mlp` on images, `unet` / `dit` on points. Plugin kinds check their own sample shape.
 *
 * @example
 * ```ts
 * assertModelFitsFile(ctx.config.model.kind, ctx.data); // throws for model.kind 'unet' when data.file held points
 * ```
 */
export function assertModelFitsFile(kind: string, data: RunData): void {
  if (data.kind === 'image-file' && kind === 'mlp') {
    throw new ConfigError(`model.kind 'mlp' trains points, but data.file '${data.file}' holds images [${data.dataset.sampleShape.join(', ')}]: set model.kind to 'unet' or 'dit'`, 'model.kind');
  }
  if (data.kind === 'file' && (kind === 'unet' || kind === 'dit')) {
    throw new ConfigError(`model.kind '${kind}' is an image network, but data.file '${data.file}' holds points [N, ${data.dataset.dim}]: set model.kind to 'mlp'`, 'model.kind');
  }
}

/**
 * Normalised points → the data's units, with a fitted `normalisation` (per-coordinate `mean`, `std`): flat
 * row-major `n·d` values.
 *
 * @example
 * ```ts
 * toDataUnits(Float32Array.of(0, 0), { mean: [10, -5], std: [2, 2] }); // Float64Array [10, -5]
 * ```
 */
export function toDataUnits(points: ArrayLike<number>, normalisation: { readonly mean: readonly number[]; readonly std: readonly number[] }): Float64Array {
  const d = normalisation.mean.length;
  const out = new Float64Array(points.length);
  for (let k = 0; k < points.length; k++) out[k] = points[k]! * normalisation.std[k % d]! + normalisation.mean[k % d]!;
  return out;
}

/**
 * Loads one split of the image data set `data.target` (`data.dir` for Fashion-MNIST's folder; `data.limit` caps
 * the training split only). A missing package or file is a `DataFileError` naming it.
 *
 * @example
 * ```ts
 * const test = await loadImageSplit({ target: 'mnist', file: null, holdout: 0.1, dir: null, limit: null, flip: false, pixelRange: [-1, 1], sigmaData: null }, 'test'); // 2,000 digits
 * ```
 */
export async function loadImageSplit(data: RunConfig['data'], split: ImageSplit): Promise<ImageSet> {
  const limit = split === 'train' && data.limit !== null ? { limit: data.limit } : {};
  switch (data.target) {
    case 'mnist':
      return loadMnist({ split, ...limit });
    case 'fashion-mnist':
      return loadFashionMnist({ split, ...limit, ...(data.dir !== null ? { dir: data.dir } : {}) });
    default:
      throw new Error(`loadImageSplit: '${data.target}' is not an image data set`);
  }
}

/** The model's units of an image run's pixels (`data.pixelRange`, `data.sigmaData`), as `imageDataset` takes them. */
function modelUnits(data: RunConfig['data']): { range: readonly [number, number]; sigmaData?: number } {
  return { range: [data.pixelRange[0]!, data.pixelRange[1]!], ...(data.sigmaData !== null ? { sigmaData: data.sigmaData } : {}) };
}

/** `data.pixelRange` / `data.sigmaData` are image settings: a `data.file` of points refuses them (the config check cannot tell before the file is read). */
function assertNoImageUnits(data: RunConfig['data']): void {
  const key = data.sigmaData !== null ? 'data.sigmaData' : data.pixelRange[0] !== DEFAULT_PIXEL_RANGE[0] || data.pixelRange[1] !== DEFAULT_PIXEL_RANGE[1] ? 'data.pixelRange' : null;
  if (key) throw new ConfigError(`${key} applies to image data; data.file '${data.file}' holds points [N, d] (remove ${key})`, key);
}

/**
 * The run's data from `config.data`: a 2-D target, an image data set's training split, or a data file's training
 * rows (`options.seed` seeds its held-out split, `data.holdout`).
 *
 * @example
 * ```ts
 * const data = await loadRunData(loadRunConfig({ data: { target: 'mnist' }, model: { kind: 'unet' } }).data);
 * data.kind === 'images' && data.dataset.sampleShape; // [28, 28, 1]
 * ```
 */
export async function loadRunData(data: RunConfig['data'], options: { readonly seed?: number } = {}): Promise<RunData> {
  if (data.file !== null) {
    const loaded = await loadDataFile(data.file, { holdout: data.holdout, seed: options.seed ?? 0, modelUnits: modelUnits(data) });
    const heldOutRows = [...loaded.heldOutRows];
    if (loaded.kind === 'points') assertNoImageUnits(data);
    if (loaded.kind === 'images') return { kind: 'image-file', file: data.file, dataset: loaded.dataset, fitted: { pixelRange: loaded.pixelRange, heldOutRows } };
    const { mean, std } = loaded.dataset.normalisation;
    return { kind: 'file', file: data.file, dataset: loaded.dataset, heldOut: loaded.heldOut, fitted: { normalisation: { mean: [...mean], std: [...std] }, heldOutRows } };
  }
  if (!isImageDataName(data.target)) {
    const target = getTarget(data.target);
    return { kind: 'points', target, dataset: target };
  }
  const name = data.target;
  const dataset = imageDataset(await loadImageSplit(data, 'train'), { flip: data.flip, ...modelUnits(data) });
  return { kind: 'images', name, dataset, loadSplit: (split, options = {}) => loadImageSplit(options.ignoreLimit ? { ...data, limit: null } : data, split) };
}
