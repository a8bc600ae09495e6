/**
 * `@charlearn/data/node`: the user's own data from a file (Node only: it reads files). CSV (header optional), JSON
 * (an array of rows) or `.npy` (float32 / float64, `[N, d]`), as a normalised {@link ArrayDataset} whose
 * `normalisation` maps samples back to the file's units.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { DataFileError } from '@charlearn/core';
import { datasetFromArray, type ArrayDataset } from './from-array';
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
 * Image arrays (`[N, H, W, C]`) are refused here.
 *
 * @example
 * ```ts
 * const ds = await loadPointsFile('ring.csv'); // ds.dim 2, ds.normalisation.mean ≈ [10, -5]
 * ```
 */
export async function loadPointsFile(path: string): Promise<ArrayDataset> {
  const { values, shape } = await readPointsFile(path);
  if (shape.length !== 2) throw new DataFileError(`${path}: shape [${shape.join(', ')}] is an image array; data.file trains on points [N, d] (image arrays are not supported yet)`, path);
  return datasetFromArray(values, shape[1]!, { name: basename(path) });
}
