/**
 * `@charlearn/data/node`: the user's own data from a file (Node only: it reads files). Points from CSV (header
 * optional), JSON (an array of rows) or `.npy` `[N, d]`, as a normalised {@link ArrayDataset} whose
 * `normalisation` maps samples back to the file's units; images from `.npy` `[N, H, W, C]` (float32 / float64 /
 * uint8) as an {@link ImageDataset} by the pixel-range rule of `image-array.ts`; a seeded held-out split of the rows.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { DataFileError } from '@charlearn/core';
import { datasetFromArray, type ArrayDataset } from './from-array';
import { holdoutRows, selectRows } from './holdout';
import { assertImageArrayShape, imageSetFromArray, type PixelRange } from './image-array';
import { imageDataset, type ImageDataset, type ImageDatasetOptions } from './image-dataset';
import { parseNpy, parsePointsCsv, parsePointsJson, type ParsedPoints } from './points-file';

export * from './points-file';

/**
 * Reads and parses a data file by its extension (`.csv`, `.json`, `.npy`).
 *
 * @throws DataFileError for a missing file, another extension, or a parse problem (row / column / header named)
 * @example
 * ```ts
 * const { values, shape } = await readPointsFile('ring.csv'); // shape [N, 2]
 * ```
 */
export async function readPointsFile(path: string): Promise<ParsedPoints> {
  const ext = extname(path).toLowerCase();
  if (ext !== '.csv' && ext !== '.json' && ext !== '.npy') {
    throw new DataFileError(`${path}: unsupported data file extension '${ext || '(none)'}'; use .csv, .json or .npy`, path);
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new DataFileError(`${path}: cannot read the data file (${e instanceof Error ? e.message : String(e)})`, path);
  }
  if (ext === '.npy') return parseNpy(bytes, path);
  const text = new TextDecoder().decode(bytes);
  return ext === '.csv' ? parsePointsCsv(text, path) : parsePointsJson(text, path);
}

/**
 * A data file's points as a dataset, normalised per coordinate (mean 0, std 1; `normalisation` undoes it).
 * Image arrays (`[N, H, W, C]`) are refused here ({@link loadDataFile} takes both).
 *
 * @example
 * ```ts
 * const ds = await loadPointsFile('ring.csv'); // ds.dim 2, ds.normalisation.mean ≈ [10, -5]
 * ```
 */
export async function loadPointsFile(path: string): Promise<ArrayDataset> {
  const { values, shape } = await readPointsFile(path);
  if (shape.length !== 2) throw new DataFileError(`${path}: shape [${shape.join(', ')}] is an image array; data.file trains on points [N, d] (loadDataFile reads image arrays)`, path);
  return datasetFromArray(values, shape[1]!, { name: basename(path) });
}

/** Options of {@link loadDataFile}. */
export interface LoadDataFileOptions {
  /** The fraction of rows held out of training, in [0, 1) (default 0). */
  readonly holdout?: number;
  /** Seeds the held-out split (default 0). */
  readonly seed?: number;
  /** Images: the pixel range to use (e.g. the one a checkpoint recorded) instead of the rule's. */
  readonly pixelRange?: PixelRange;
  /**
   * Images: the model's units of the pixels and their σ_data, passed to {@link imageDataset} (`range`, default
   * `[-1, 1]`; `sigmaData`, default measured): the file's values map to pixels in [0, 1] by `pixelRange`, and the
   * pixels to the model's units by these, as for the built-in image sets (`data.pixelRange`, `data.sigmaData`).
   */
  readonly modelUnits?: Pick<ImageDatasetOptions, 'range' | 'sigmaData'>;
}

/** A data file's points: the training rows as a dataset (normalisation fitted to them) and the held-out rows. */
export interface PointsDataFile {
  readonly kind: 'points';
  readonly dataset: ArrayDataset;
  /** The held-out rows, normalised with the training rows' normalisation, flat row-major `[rows · d]`. */
  readonly heldOut: Float32Array;
  /** The 0-based rows of the file held out of training (ascending). */
  readonly heldOutRows: readonly number[];
}

/** A data file's images: the training rows as a dataset (pixels by the pixel-range rule) and the held-out rows. */
export interface ImagesDataFile {
  readonly kind: 'images';
  readonly dataset: ImageDataset;
  /** `pixel = (value − low) / (high − low)`; sampled pixels map back with it. */
  readonly pixelRange: PixelRange;
  readonly heldOutRows: readonly number[];
}

/**
 * A data file as training data: points (`[N, d]`, normalised to the training rows) or images (`[N, H, W, C]`, by
 * the pixel-range rule: uint8 `[0, 255]`, floats in `[0, 1]` or `[-1, 1]` as they are, else `[min, max]`), with
 * `holdout` of the rows (seeded) held out of training.
 *
 * @throws DataFileError for a file it cannot read or parse, a bad image shape, constant images, or a split that leaves no training row
 * @example
 * ```ts
 * const file = await loadDataFile('ring.csv', { holdout: 0.1, seed: 0 });
 * file.kind === 'points' && file.heldOutRows.length; // 200 of 2,000
 * ```
 */
export async function loadDataFile(path: string, options: LoadDataFileOptions = {}): Promise<PointsDataFile | ImagesDataFile> {
  const { values, shape, dtype } = await readPointsFile(path);
  if (shape.length === 4) assertImageArrayShape(shape, path);
  const n = shape[0]!;
  const width = values.length / n;
  let split;
  try {
    split = holdoutRows(n, options.holdout ?? 0, options.seed ?? 0);
  } catch (e) {
    throw new DataFileError(`${path}: ${(e as Error).message}`, path);
  }
  const train = split.heldOut.length ? selectRows(values, width, split.train) : values;
  if (shape.length === 4) {
    const { set, pixelRange } = imageSetFromArray(train, [split.train.length, ...shape.slice(1)], { dtype, name: basename(path), source: path, ...(options.pixelRange ? { pixelRange: options.pixelRange } : {}) });
    return { kind: 'images', dataset: imageDataset(set, options.modelUnits ?? {}), pixelRange, heldOutRows: split.heldOut };
  }
  const dataset = datasetFromArray(train, width, { name: basename(path) });
  const held = selectRows(values, width, split.heldOut);
  const { mean, std } = dataset.normalisation;
  const heldOut = Float32Array.from(held, (x, k) => (x - mean[k % width]!) / std[k % width]!);
  return { kind: 'points', dataset, heldOut, heldOutRows: split.heldOut };
}
