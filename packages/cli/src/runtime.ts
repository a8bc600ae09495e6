import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { heldOutEvaluationSamples } from '@charlearn/metrics';
import { targetReference, type W2Reference } from './evaluate';
import { CharlearnError, getInterpolant, type Dataset, type Interpolant } from '@charlearn/core';
import { configureWasmBackend } from '@charlearn/backend-wasm';
import type { Target2D } from '@charlearn/data';
import type { RunConfig } from './config';
import { selectBackend } from './backends';
import { nodeFs, type FsLayer } from './fs-layer';
import { resolveRunFolder, takeRunFolder } from './run-folder';
import type { StopRequest } from './signals';
import { assertModelFitsFile, loadRunData, type RunData } from './run-data';

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
  const data = await loadRunData(config.data, { seed: config.seed });
  assertModelFitsFile(config.model.kind, data);
  if (config.backend === 'wasm') configureWasmBackend({ threads: config.threads });
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
  if (ctx.data.kind === 'image-file') {
    throw new CharlearnError(`${what} of images needs the feature net of a built-in data set (mnist, fashion-mnist); data.file '${ctx.data.file}' holds your own images (train, distill and sample work)`, 'data.file');
  }
  if (ctx.data.kind !== 'points') throw new CharlearnError(`${what} needs a 2-D target, but data.target is the image data set '${ctx.data.name}'`, 'data.target');
  return ctx.data.target;
}

/**
 * What the run's W2 is measured against: its built-in 2-D target, or a `data.file`'s held-out rows (`data.holdout`,
 * never trained on). A named error for image data, a file without held-out rows, or points of another dimension.
 *
 * @example
 * ```ts
 * const reference = pointsReference(ctx, 'the W2 evaluation');
 * ```
 */
export function pointsReference(ctx: Pick<RunContext, 'data'>, what: string): W2Reference {
  const { data } = ctx;
  if (data.kind !== 'file') return targetReference(pointsTarget(ctx, what));
  if (data.heldOut.length === 0) {
    throw new CharlearnError(`${what} of data.file '${data.file}' measures against held-out rows, and data.holdout is 0: set data.holdout (e.g. 0.1) and train again`, 'data.holdout');
  }
  if (data.dataset.dim !== 2) throw new CharlearnError(`${what} draws 2-D figures; data.file '${data.file}' holds points of dimension ${data.dataset.dim} (train, distill and sample work)`, 'data.file');
  const { heldOut, dataset } = data;
  return { name: basename(data.file), samples: (n, seed, w2Options = {}) => heldOutEvaluationSamples(heldOut, dataset, n, seed, 2, w2Options) };
}

/** `dir/file`. */
export function runPath(ctx: RunContext, file: string): string {
  return join(ctx.dir, file);
}

/** Whether a run file exists. */
export function hasRunFile(ctx: RunContext, file: string): boolean {
  return existsSync(runPath(ctx, file));
}

// The run's record in its checkpoints (`meta.run`) is one module; re-exported here for the phases.
export { recordedRun, runRecord, type RunRecord } from './run-record';

// Checkpoint files live in the library (`@charlearn/distill/node`); the cli's phases use them from there.
export { previousCheckpointPath, saveCheckpoint, readCheckpoint, loadCheckpoint, type CheckpointKind, type LoadCheckpointOptions } from '@charlearn/distill/node';
