import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CharlearnError, CheckpointError, decodeTensors, encodeTensors, getInterpolant, type Dataset, type Interpolant, type JsonObject } from '@charlearn/core';
import '@charlearn/backend-wasm';
import type { Target2D } from '@charlearn/data';
import type { TrainerCheckpoint } from '@charlearn/distill';
import { keepPreviousCopy, readFileChecked, writeFileAtomic } from './atomic';
import type { RunConfig } from './config';
import { selectBackend } from './backends';
import { nodeFs, type FsLayer } from './fs-layer';
import { resolveRunFolder, takeRunFolder } from './run-folder';
import type { StopRequest } from './signals';
import { loadRunData, type RunData } from './run-data';

/** Everything a command needs about its run. */
export interface RunContext {
  readonly config: RunConfig;
  /** Resolved run name. */
  readonly name: string;
  /** `outDir/name`, created. */
  readonly dir: string;
  /** The training data: a 2-D target or an image data set. */
  readonly data: RunData;
  /** What the trainers draw from (`data.target` or `data.dataset`). */
  readonly dataset: Dataset;
  readonly interpolant: Interpolant;
  /** The tfjs backend in use. */
  readonly backend: string;
  /** Writes a line to stderr. */
  log(message: string): void;
  /** The file-system layer the run's writers use (default `node:fs/promises`). */
  readonly fs: FsLayer;
  /** `--force`: a phase may start over a folder holding its checkpoint. */
  readonly force: boolean;
  /** Set while SIGINT/SIGTERM handlers are installed (the `charlearn` command). */
  readonly stop?: StopRequest;
  /** Releases the run folder's lock (idempotent). */
  release(): void;
}

/** Options of {@link openRun}. */
export interface OpenRunOptions {
  /** Recorded in the run folder's lock (default `'charlearn'`). */
  command?: string;
  fs?: FsLayer;
  force?: boolean;
  stop?: StopRequest;
}

/** Paths of a run's files. */
export const runFiles = {
  config: 'config.json',
  teacher: 'teacher.ckpt',
  generator: 'generator.ckpt',
  metrics: 'metrics.json',
  samples: 'samples.png',
  losses: 'losses.png',
  history: 'history.json',
} as const;

/**
 * Opens a run: resolves its name and folder (`name` one folder name, or `runDir`), selects the backend (a clear
 * `BackendUnavailableError` when it cannot run), resolves the target and the interpolant (named errors for unknown
 * ones), then creates and locks the folder (see `takeRunFolder`). The caller calls `release()` when done.
 */
export async function openRun(config: RunConfig, log: (m: string) => void = (m) => process.stderr.write(`${m}\n`), options: OpenRunOptions = {}): Promise<RunContext> {
  const interpolant = getInterpolant(config.interpolant, 'interpolant');
  const { name, dir } = resolveRunFolder(config);
  const data = await loadRunData(config.data);
  const plugin = await selectBackend(config.backend);
  const fs = options.fs ?? nodeFs;
  const { lock } = await takeRunFolder(dir, { command: options.command ?? 'charlearn', log, fs });
  return {
    config: { ...config, name },
    name,
    dir,
    data,
    dataset: data.dataset,
    interpolant,
    backend: plugin.name,
    log,
    fs,
    force: options.force ?? false,
    ...(options.stop ? { stop: options.stop } : {}),
    release: () => lock.release(),
  };
}

/**
 * The run's 2-D target; a `CharlearnError` naming `data.target` when the run trains on images (`what` says which
 * command needed a 2-D target).
 *
 * @example
 * ```ts
 * const target = pointsTarget(ctx, 'the W2 evaluation');
 * ```
 */
export function pointsTarget(ctx: Pick<RunContext, 'data'>, what: string): Target2D {
  if (ctx.data.kind === 'file') throw new CharlearnError(`${what} needs a built-in 2-D target (it draws held-out samples from it); data.file '${ctx.data.file}' has only its points (train, distill and sample work)`, 'data.file');
  if (ctx.data.kind !== 'points') throw new CharlearnError(`${what} needs a 2-D target, but data.target is the image data set '${ctx.data.name}'`, 'data.target');
  return ctx.data.target;
}

/** `dir/file`. */
export function runPath(ctx: RunContext, file: string): string {
  return join(ctx.dir, file);
}

/** Whether a run file exists. */
export function hasRunFile(ctx: RunContext, file: string): boolean {
  return existsSync(runPath(ctx, file));
}

/** What a checkpoint records about the run that made it (`meta.run`): its method, plugins and settings. */
export interface RunRecord {
  readonly method: string;
  /** The plugins imported for it (package names; paths made absolute). */
  readonly plugins: readonly string[];
  /** Every setting of the run (the validated run config) but `outDir`: where a file is written is not what made it, so the same run in another folder writes the same bytes. */
  readonly config: Omit<RunConfig, 'outDir'>;
  /** `data.file` runs: the normalisation fitted to the file (samples are mapped back to the file's units with it). */
  readonly normalisation?: { readonly mean: readonly number[]; readonly std: readonly number[] };
}

/**
 * The {@link RunRecord} of a run, for its checkpoints.
 *
 * @example
 * ```ts
 * runRecord(ctx).plugins; // ['@charlearn/solver-rk4']: what the run's checkpoints record in meta.run
 * ```
 */
export function runRecord(ctx: Pick<RunContext, 'config'> & Partial<Pick<RunContext, 'data'>>): RunRecord {
  const normalisation = ctx.data?.kind === 'file' ? { mean: [...ctx.data.dataset.normalisation.mean], std: [...ctx.data.dataset.normalisation.std] } : undefined;
  const { outDir: _outDir, ...config } = ctx.config;
  return { method: ctx.config.method, plugins: [...ctx.config.plugins], config, ...(normalisation ? { normalisation } : {}) };
}

/**
 * The {@link RunRecord} a checkpoint holds, if any (checkpoints of older versions have none).
 *
 * @example
 * ```ts
 * recordedRun(await readCheckpoint('out/roll/generator.ckpt', 'distill'))?.plugins; // ['@charlearn/solver-rk4']
 * ```
 */
export function recordedRun(checkpoint: TrainerCheckpoint): RunRecord | undefined {
  const run = checkpoint.meta.run;
  return typeof run === 'object' && run !== null && Array.isArray((run as RunRecord).plugins) ? (run as RunRecord) : undefined;
}

/**
 * `checkpoint` with the run's {@link RunRecord} in `meta.run` (JSON-clean), as the training phases save it.
 *
 * @example
 * ```ts
 * await saveCheckpoint('out/roll/teacher.ckpt', withRunRecord(ctx, teacherTrainer.checkpoint()));
 * ```
 */
export function withRunRecord(ctx: Pick<RunContext, 'config'> & Partial<Pick<RunContext, 'data'>>, checkpoint: TrainerCheckpoint): TrainerCheckpoint {
  return { ...checkpoint, meta: { ...checkpoint.meta, run: JSON.parse(JSON.stringify(runRecord(ctx))) as JsonObject } };
}

/**
 * Where {@link saveCheckpoint} keeps the previous checkpoint of `path`:
 * `teacher.ckpt` → `teacher.prev.ckpt` (other names get `.prev` appended).
 *
 * @example
 * ```ts
 * previousCheckpointPath('out/roll/teacher.ckpt'); // 'out/roll/teacher.prev.ckpt'
 * ```
 */
export function previousCheckpointPath(path: string): string {
  return path.endsWith('.ckpt') ? `${path.slice(0, -'.ckpt'.length)}.prev.ckpt` : `${path}.prev`;
}

/**
 * Encodes a trainer checkpoint (format version + CRC-32, see `encodeTensors`), with the run's {@link RunRecord}
 * (method, plugins, settings) under `meta.run` when given,
 * and writes it atomically (temp file, fsync, rename). The checkpoint it
 * replaces is kept as {@link previousCheckpointPath}, so one good earlier
 * checkpoint survives even if the newest file is later damaged.
 *
 * @example
 * ```ts
 * await saveCheckpoint('out/roll/teacher.ckpt', teacherTrainer.checkpoint());
 * ```
 */
export async function saveCheckpoint(path: string, checkpoint: TrainerCheckpoint, options: { fs?: FsLayer } = {}): Promise<void> {
  const bytes = encodeTensors(checkpoint.arrays, checkpoint.meta as unknown as JsonObject);
  await writeFileAtomic(path, bytes, { ...options, beforeRename: async () => void (await keepPreviousCopy(path, previousCheckpointPath(path), options)) });
}

/**
 * Reads and verifies one checkpoint file of the given `kind` (no fallback).
 * Missing, truncated, corrupt (CRC-32), other-version or other-kind files are
 * a `CheckpointError` naming the path.
 *
 * @example
 * ```ts
 * const ckpt = await readCheckpoint('out/roll/teacher.ckpt', 'teacher');
 * ckpt.meta.step; // 4000
 * ```
 */
export async function readCheckpoint(path: string, kind: 'teacher' | 'distill' | 'onestep'): Promise<TrainerCheckpoint> {
  const bytes = await readFileChecked(path, `a ${kind} checkpoint`, { kind: 'checkpoint' });
  let decoded: ReturnType<typeof decodeTensors>;
  try {
    decoded = decodeTensors(bytes);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(e.message, path);
    throw e;
  }
  const meta = decoded.meta as TrainerCheckpoint['meta'];
  if (meta.kind !== kind) throw new CheckpointError(`expected a ${kind} checkpoint, found '${String(meta.kind)}'`, path);
  if (!Number.isInteger(meta.step) || meta.step < 0) throw new CheckpointError(`checkpoint metadata has no valid step (got ${JSON.stringify(meta.step)})`, path);
  return { meta, arrays: decoded.arrays };
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /**
   * When the checkpoint is unusable, load the previous one
   * ({@link previousCheckpointPath}) instead, with a warning through `log`.
   * Default `false`: refuse, and name the intact previous checkpoint in the error.
   */
  fallbackToPrevious?: boolean;
  /** Where the fallback warning goes (default: a line on stderr). */
  log?: (message: string) => void;
}

/**
 * Reads and verifies a trainer checkpoint of the given `kind`. An unusable
 * file is a `CheckpointError` naming its path; if the previous checkpoint
 * kept by {@link saveCheckpoint} is intact, the message says so (and its
 * step), or with `fallbackToPrevious` that checkpoint is loaded instead and a
 * warning is logged.
 *
 * @example
 * ```ts
 * const ckpt = await loadCheckpoint('out/roll/teacher.ckpt', 'teacher');
 * const resumed = await loadCheckpoint('out/roll/teacher.ckpt', 'teacher', { fallbackToPrevious: true, log: ctx.log });
 * ```
 */
export async function loadCheckpoint(path: string, kind: 'teacher' | 'distill' | 'onestep', options: LoadCheckpointOptions = {}): Promise<TrainerCheckpoint> {
  try {
    return await readCheckpoint(path, kind);
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    const prevPath = previousCheckpointPath(path);
    let prev: TrainerCheckpoint;
    try {
      prev = await readCheckpoint(prevPath, kind);
    } catch {
      throw e;
    }
    const reason = e.message.endsWith(` (${path})`) ? e.message.slice(0, -` (${path})`.length) : e.message;
    if (options.fallbackToPrevious) {
      const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
      log(`warning: ${path} is unusable (${reason}); falling back to the previous checkpoint ${prevPath} (step ${prev.meta.step})`);
      return prev;
    }
    throw new CheckpointError(`${reason}; the previous checkpoint ${prevPath} (step ${prev.meta.step}) is intact: copy it over the file to resume from there`, path);
  }
}
