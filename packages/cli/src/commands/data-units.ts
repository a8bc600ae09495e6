/**
 * The data units of an image run: how pixels map to the model's units (`data.pixelRange`) and the σ_data of the
 * EDM preconditioning (`data.sigmaData`). A network is a denoiser of data in the units it was trained in, so these
 * belong to the network: `charlearn import` takes them from the file's metadata (the repo's `convert_pt.py` writes
 * the reference code's: MNIST `ToTensor()` pixels in [0, 1] with σ_data 1, CIFAR-10 in [-1, 1] with σ_data 1), and
 * the run's later commands take them from the run's checkpoint, unless the command's config gives them.
 *
 * @example
 * ```ts
 * const config2 = await adoptDataUnits('distill', config, { pixelRange: false, sigmaData: false }, { log: console.error });
 * config2.data.pixelRange; // [0, 1] when the run's teacher was imported from a reference MNIST checkpoint
 * ```
 * @packageDocumentation
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointError, ConfigError, decodeTensors } from '@charlearn/core';
import { assertPixelRange, isImageDataName } from '@charlearn/data';
import type { TrainerCheckpoint } from '@charlearn/distill';
import type { RunConfig } from '../config';
import { resolveRunFolder } from '../run-folder';
import { readCheckpoint, runFiles } from '../runtime';
import { recordedRunConfig } from './phase-start';

/** The data units of an image run (`data.pixelRange`, `data.sigmaData`); a key left out is not recorded. */
export interface DataUnits {
  /** The model's units of pixels 0 and 1. */
  readonly pixelRange?: readonly [number, number];
  /** The EDM preconditioning's σ_data; `null`: measured on the training pixels. */
  readonly sigmaData?: number | null;
}

/** Which data-unit keys the command's config gives (config file, preset or `--set`), not left to their defaults. */
export interface DataUnitsGiven {
  readonly pixelRange: boolean;
  readonly sigmaData: boolean;
}

/** `__metadata__` keys of the data units in a safetensors file written outside charlearn (JSON text, as `charlearn.network`). */
export const FOREIGN_UNITS_KEYS = { pixelRange: 'charlearn.pixelRange', sigmaData: 'charlearn.sigmaData' } as const;

const UNIT_KEYS = ['pixelRange', 'sigmaData'] as const;

/**
 * `charlearn import` of a file whose metadata says the network was trained in other data units than the run
 * config gives explicitly: one of the two is wrong, and using either silently would feed the network data on
 * another scale.
 */
export class DataUnitsMismatchError extends ConfigError {
  constructor(message: string, parameter: string) {
    super(message, parameter);
    this.name = 'DataUnitsMismatchError';
  }
}

/**
 * The data units a tensor file's metadata records: `pixelRange` / `sigmaData` of a charlearn file (`convert_pt.py`,
 * `charlearn export`), or {@link FOREIGN_UNITS_KEYS} (JSON text) of a plain safetensors file. A value that is not
 * a range `[lo, hi]` (lo < hi) or a σ_data > 0 is a `CheckpointError` naming the file.
 *
 * @example
 * ```ts
 * fileDataUnits({ format: 'charlearn-network', pixelRange: [0, 1], sigmaData: 1 }, 'teacher.safetensors'); // { pixelRange: [0, 1], sigmaData: 1 }
 * fileDataUnits({ 'charlearn.pixelRange': '[0, 1]' }, 'plain.safetensors');                             // { pixelRange: [0, 1] }
 * ```
 */
export function fileDataUnits(meta: Readonly<Record<string, unknown>>, path: string): DataUnits {
  const read = (key: (typeof UNIT_KEYS)[number]): unknown => {
    if (meta[key] !== undefined) return meta[key];
    const text = meta[FOREIGN_UNITS_KEYS[key]];
    if (typeof text !== 'string') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CheckpointError(`__metadata__['${FOREIGN_UNITS_KEYS[key]}'] is not JSON: ${text}`, path);
    }
  };
  const range = read('pixelRange');
  const sigma = read('sigmaData');
  let pixelRange: readonly [number, number] | undefined;
  if (range !== undefined) {
    try {
      assertPixelRange(range, 'pixelRange');
    } catch {
      throw new CheckpointError(`the file's metadata pixelRange must be [lo, hi] with finite lo < hi, got ${JSON.stringify(range)}`, path);
    }
    const [lo, hi] = range as readonly [number, number];
    pixelRange = [lo, hi];
  }
  if (sigma !== undefined && sigma !== null && !(typeof sigma === 'number' && Number.isFinite(sigma) && sigma > 0)) {
    throw new CheckpointError(`the file's metadata sigmaData must be a number > 0, got ${JSON.stringify(sigma)}`, path);
  }
  return { ...(pixelRange ? { pixelRange } : {}), ...(typeof sigma === 'number' ? { sigmaData: sigma } : {}) };
}

/**
 * The data units a checkpoint's recorded run config gives (none for a checkpoint of a 2-D run or of an older version).
 *
 * @example
 * ```ts
 * recordedDataUnits(await readCheckpoint('out/ref/teacher.ckpt', 'teacher')); // { pixelRange: [0, 1], sigmaData: 1 }
 * ```
 */
export function recordedDataUnits(ckpt: TrainerCheckpoint): DataUnits {
  const data = recordedRunConfig(ckpt).data as { pixelRange?: unknown; sigmaData?: unknown } | undefined;
  if (!data) return {};
  const range = data.pixelRange;
  const validRange = Array.isArray(range) && range.length === 2 && typeof range[0] === 'number' && typeof range[1] === 'number';
  const sigma = data.sigmaData;
  return {
    ...(validRange ? { pixelRange: [range[0] as number, range[1] as number] as const } : {}),
    ...(sigma === null || (typeof sigma === 'number' && sigma > 0) ? { sigmaData: sigma } : {}),
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** `[0, 1]` / `null` as a message shows them. */
const show = (key: (typeof UNIT_KEYS)[number], value: unknown): string => (key === 'sigmaData' && value === null ? 'null (measured)' : JSON.stringify(value));

/** The checkpoint a command's data units come from: the one it uses. */
function checkpointFor(command: string): readonly (typeof runFiles)[keyof typeof runFiles][] {
  if (command === 'distill' || command === 'import') return [runFiles.teacher];
  if (command === 'eval' || command === 'sample' || command === 'export') return [runFiles.generator, runFiles.teacher];
  return [];
}

async function unitsOfRunCheckpoint(config: RunConfig, command: string): Promise<{ units: DataUnits; source: string } | undefined> {
  if (!config.name && !(config as { runDir?: string | null }).runDir) return undefined; // a new run: nothing recorded
  const { dir } = resolveRunFolder(config);
  for (const file of checkpointFor(command)) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    try {
      return { units: recordedDataUnits(await readCheckpoint(path)), source: path };
    } catch {
      return undefined; // a damaged checkpoint: the command reports it when it loads it
    }
  }
  return undefined;
}

function unitsOfImportFile(file: string | undefined): { units: DataUnits; source: string } | undefined {
  if (!file) return undefined;
  const path = resolve(file);
  let meta: Record<string, unknown>;
  try {
    meta = decodeTensors(new Uint8Array(readFileSync(path)), { onNote: () => {} }).meta;
  } catch {
    return undefined; // a missing or bad file: the import reports it, naming the file
  }
  return { units: fileDataUnits(meta, path), source: `${path}'s metadata` };
}

/** Options of {@link adoptDataUnits}. */
export interface AdoptDataUnitsOptions {
  /** `charlearn import`: the file to import (its metadata is the first source). */
  readonly file?: string;
  readonly log: (message: string) => void;
}

/**
 * The run config with the data units the command's network was trained in, for image runs (other runs are
 * returned as they are): a key the config gives is kept; otherwise it is taken from, in order, the imported
 * file's metadata (`import`), then the run's checkpoint the command uses (`distill` and `import`: `teacher.ckpt`;
 * `eval`, `sample`, `export`: `generator.ckpt`, else `teacher.ckpt`), else the default stays. `train` and `demo`
 * define the run and take nothing. Each adopted non-default value is logged. An import whose file records other
 * units than the config gives explicitly is a {@link DataUnitsMismatchError}; a given key that differs from a
 * checkpoint is left to the commands' config checks, which refuse it.
 *
 * @example
 * ```ts
 * const config2 = await adoptDataUnits('import', config, { pixelRange: false, sigmaData: false }, { file: 'teacher.safetensors', log: console.error });
 * // log: "data.pixelRange [0,1], data.sigmaData 1 from /abs/teacher.safetensors's metadata ..."
 * ```
 */
export async function adoptDataUnits(command: string, config: RunConfig, given: DataUnitsGiven, options: AdoptDataUnitsOptions): Promise<RunConfig> {
  // a data.file may hold images (known once read): its units are adopted as an image set's; a points file refuses them then
  if (config.data.file === null && !isImageDataName(config.data.target)) return config;
  const fromFile = command === 'import' ? unitsOfImportFile(options.file) : undefined;
  const fromRun = await unitsOfRunCheckpoint(config, command);
  const data: Record<string, unknown> = { ...config.data };
  const adopted: string[] = [];
  for (const key of UNIT_KEYS) {
    const fileValue = fromFile?.units[key];
    if (given[key]) {
      if (fileValue !== undefined && !same(fileValue, data[key])) {
        throw new DataUnitsMismatchError(
          `data.${key}: ${fromFile!.source} says the network was trained with ${key} ${show(key, fileValue)}, the run config gives ${show(key, data[key])}: ` +
            `remove data.${key} from the config (the file's value is then used), or fix the file's metadata (convert_pt.py --pixel-range / --sigma-data)`,
          `data.${key}`,
        );
      }
      continue;
    }
    const source = fileValue !== undefined ? fromFile : fromRun?.units[key] !== undefined ? fromRun : undefined;
    const value = source?.units[key];
    if (value === undefined || same(value, data[key])) continue;
    data[key] = value;
    adopted.push(`data.${key} ${show(key, value)} from ${source!.source}`);
  }
  if (adopted.length) options.log(`data units: ${adopted.join('; ')} (the units the network was trained in; the config does not set them)`);
  return adopted.length ? { ...config, data: data as RunConfig['data'] } : config;
}
