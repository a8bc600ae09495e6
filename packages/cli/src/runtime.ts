import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CharlearnError, CheckpointError, getInterpolant, type Dataset, type Interpolant } from '@charlearn/core';
import '@charlearn/backend-wasm';
import type { Target2D } from '@charlearn/data';
import { decodeTensors, encodeTensors, type JsonObject } from '@charlearn/nets';
import type { TrainerCheckpoint } from '@charlearn/distill';
import { keepPreviousCopy, readFileChecked, writeFileAtomic } from './atomic';
import { resolveRunName, type RunConfig } from './config';
import { selectBackend } from './backends';
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
 * Opens a run: resolves its name and folder, selects the backend (a clear
 * `BackendUnavailableError` when it cannot run), resolves the target and the
 * interpolant (named errors for unknown ones).
 */
export async function openRun(config: RunConfig, log: (m: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<RunContext> {
  const interpolant = getInterpolant(config.interpolant, 'interpolant');
  const data = await loadRunData(config.data);
  const name = resolveRunName(config);
  const dir = resolve(config.outDir, name);
  mkdirSync(dir, { recursive: true });
  const plugin = await selectBackend(config.backend);
  return { config: { ...config, name }, name, dir, data, dataset: data.dataset, interpolant, backend: plugin.name, log };
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

/**
 * The fault-injection seam of checkpoint writes: a process-wide hook (under a `Symbol.for` key on `globalThis`, so a
 * module loaded with `node --import` reaches the bundled CLI) that says how many milliseconds write number `write`
 * (0-based, in this process) pauses half-way through its temp file (see `writeFileAtomic`'s `testPauseMs`). Unset in
 * production: no pause. Fault tests install it from their own files; nothing here reads the environment.
 *
 * @example
 * ```ts
 * (globalThis as Record<symbol, unknown>)[CHECKPOINT_WRITE_SEAM] = { pauseMs: (write: number) => (write >= 1 ? 60_000 : 0) };
 * ```
 */
export const CHECKPOINT_WRITE_SEAM: unique symbol = Symbol.for('@charlearn/cli/checkpoint-write-seam') as never;

/** What {@link CHECKPOINT_WRITE_SEAM} holds. */
export interface CheckpointWriteSeam {
  /** Milliseconds checkpoint write `write` (0-based) pauses mid-file; 0: none. */
  pauseMs(write: number): number;
}

let checkpointWrites = 0;

/** The mid-write pause for this checkpoint write, from the seam (0: none). */
function checkpointWritePauseMs(): number {
  const write = checkpointWrites++;
  const seam = (globalThis as Record<symbol, CheckpointWriteSeam | undefined>)[CHECKPOINT_WRITE_SEAM];
  const ms = seam ? seam.pauseMs(write) : 0;
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
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
 * await saveCheckpoint('out/roll/generator.ckpt', trainer.checkpoint(), runRecord(ctx));
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
export async function saveCheckpoint(path: string, checkpoint: TrainerCheckpoint, record?: RunRecord): Promise<void> {
  const meta = record ? { ...checkpoint.meta, run: record } : checkpoint.meta;
  const bytes = encodeTensors(checkpoint.arrays, JSON.parse(JSON.stringify(meta)) as JsonObject);
  await keepPreviousCopy(path, previousCheckpointPath(path));
  await writeFileAtomic(path, bytes, { testPauseMs: checkpointWritePauseMs() });
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
