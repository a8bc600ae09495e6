/**
 * The one record of a run in its checkpoints, `meta.run`: the method, the plugins, the run config (everything but
 * where the run lives) and what was fitted to the data (`data.file`'s normalisation, pixel range, held-out rows).
 * The run config is composed by the CLI from the libraries' schemas, so the CLI writes this record; the libraries'
 * trainers record their own section in `meta.config`. `--resume`, `distill` (of a teacher), `eval`, `sample` and
 * the checkpoint-only `sample/eval --checkpoint` all read it through {@link recordedRun}; checkpoints written before
 * it existed (the run config in `meta.cli.runConfig`) are read the same way.
 *
 * @example
 * ```ts
 * recordedRun(await readCheckpoint('out/roll/generator.ckpt', 'distill'))?.config.data; // { target: 'swiss-roll', ... }
 * ```
 * @packageDocumentation
 */
import type { JsonObject } from '@charlearn/core';
import type { PixelRange } from '@charlearn/data';
import type { RunConfig } from './config';
import type { RunData } from './run-data';
import { withoutPlacement } from './resume-check';

export type { PixelRange };

/** What a checkpoint records about the run that made it (`meta.run`). */
export interface RunRecord {
  readonly method: string;
  /** The plugins imported for it (package names; paths made absolute). */
  readonly plugins: readonly string[];
  /**
   * Every setting of the run (the validated run config, with the sections a phase took from an earlier checkpoint,
   * e.g. distillation's `teacher`) but where it lives (`name`, `outDir`, `runDir`): the same run in another folder
   * writes the same bytes.
   */
  readonly config: Readonly<Record<string, unknown>>;
  /** `data.file` points: the normalisation fitted to the file (samples are mapped back to the file's units with it). */
  readonly normalisation?: { readonly mean: readonly number[]; readonly std: readonly number[] };
  /** `data.file` images: the pixel range of the file (sampled pixels are mapped back to the file's units with it). */
  readonly pixelRange?: PixelRange;
  /** `data.file` runs with `data.holdout > 0`: the 0-based rows of the file held out of training (for `eval`). */
  readonly heldOutRows?: readonly number[];
}

/** What {@link runRecord} reads of a run. */
export interface RunRecordSource {
  readonly config: RunConfig;
  readonly data?: RunData;
}

/**
 * The {@link RunRecord} of a run, for its checkpoints (`overlay`: sections taken from an earlier checkpoint, e.g.
 * the teacher's settings when distilling, or `model` of an imported network).
 *
 * @example
 * ```ts
 * runRecord(ctx).plugins; // ['@charlearn/solver-rk4']: what the run's checkpoints record in meta.run
 * ```
 */
export function runRecord(run: RunRecordSource, overlay: Readonly<Record<string, unknown>> = {}): RunRecord {
  const config = withoutPlacement({ ...(run.config as unknown as Record<string, unknown>), ...overlay });
  const fitted = run.data?.kind === 'file' || run.data?.kind === 'image-file' ? run.data.fitted : {};
  return { method: run.config.method, plugins: [...run.config.plugins], config, ...fitted };
}

/**
 * The record as checkpoint metadata (JSON-clean).
 *
 * @example
 * ```ts
 * const meta = { ...ckpt.meta, run: runRecordJson(runRecord(ctx)) };
 * ```
 */
export function runRecordJson(record: RunRecord): JsonObject {
  return JSON.parse(JSON.stringify(record)) as JsonObject;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The {@link RunRecord} a checkpoint holds: `meta.run`, or for a checkpoint written before it existed, the run
 * config it kept in `meta.cli.runConfig` (method and plugins read from that config); `undefined` for a checkpoint
 * that records neither (see `legacyRecordedConfig` for what its metadata still tells).
 *
 * @example
 * ```ts
 * recordedRun(await readCheckpoint('out/roll/generator.ckpt', 'distill'))?.plugins; // ['@charlearn/solver-rk4']
 * ```
 */
export function recordedRun(checkpoint: { readonly meta: Readonly<Record<string, unknown>> }): RunRecord | undefined {
  const run = checkpoint.meta.run;
  if (isPlainObject(run) && Array.isArray(run.plugins) && isPlainObject(run.config) && typeof run.method === 'string') return run as unknown as RunRecord;
  const cli = checkpoint.meta.cli;
  if (!isPlainObject(cli) || !isPlainObject(cli.runConfig)) return undefined;
  const config = withoutPlacement(cli.runConfig);
  const plugins = Array.isArray(config.plugins) ? config.plugins.filter((p): p is string => typeof p === 'string') : [];
  return { method: typeof config.method === 'string' ? config.method : 'characteristic', plugins, config };
}
