/**
 * The checkpoint of one training phase of a run (`teacher.ckpt`, `generator.ckpt`) over the life of a command:
 * starting over a folder that holds it is refused unless `--resume` or `--force`; resuming falls back to the intact
 * `.prev` copy (saying so); a save keeps the previous copy only when the current file is a good checkpoint of this
 * run, so the last good copy is never replaced by an older, damaged or empty one; with `--force` the replaced run's
 * files stay until the new run has written its first checkpoint. The run's record (`meta.run`: method, plugins, run
 * config, see `run-record.ts`) and the phase's history (`meta.cli.history`) ride in the checkpoint's metadata, so a
 * resume can be checked against the config and a damaged `history.json` rebuilt.
 *
 * @example
 * ```ts
 * const phase = await PhaseCheckpoint.open({ path, kind: 'teacher', resume: true, force: false, log: ctx.log });
 * const state = await phase.resumeState(); // null: nothing to resume
 * await phase.save(teacherTrainer.checkpoint(), { run: runRecord(ctx), history: runHistory.teacher });
 * ```
 * @packageDocumentation
 */
import { CharlearnError, CheckpointError } from '@charlearn/core';
import { encodeTensors, type JsonObject } from '@charlearn/nets';
import type { TrainerCheckpoint } from '@charlearn/distill';
import { keepPreviousCopy, writeFileAtomic } from './atomic';
import { asRunFolderError } from './fs-errors';
import { errnoCode, nodeFs, type FsLayer } from './fs-layer';
import { previousCheckpointPath, readCheckpoint } from './runtime';
import { runRecordJson, type RunRecord } from './run-record';
import type { HistoryPoint } from './training-loop';

/** Starting a phase on a folder that already holds its checkpoint, without `--resume` or `--force`. */
export class RunExistsError extends CharlearnError {
  readonly path: string;
  constructor(message: string, path: string) {
    super(message, 'name');
    this.name = 'RunExistsError';
    this.path = path;
  }
}

/** What the cli stores in a checkpoint's `meta.cli` (the run config is in `meta.run`, see {@link PhaseRecord}). */
export interface CliCheckpointMeta {
  /** The phase's recorded history up to the checkpoint's step. */
  readonly history: readonly HistoryPoint[];
}

/** What a phase's checkpoints record besides the trainer's state: the run's record (`meta.run`) and the history (`meta.cli`). */
export interface PhaseRecord extends CliCheckpointMeta {
  readonly run: RunRecord;
}

/**
 * The cli metadata of a checkpoint (its history), or `undefined` for a checkpoint written before it was recorded.
 *
 * @example
 * ```ts
 * cliMeta(await readCheckpoint(path, 'teacher'))?.history.at(-1)?.loss;
 * ```
 */
export function cliMeta(ckpt: TrainerCheckpoint): CliCheckpointMeta | undefined {
  const m = ckpt.meta.cli as Partial<CliCheckpointMeta> | undefined;
  if (!m || typeof m !== 'object' || !Array.isArray(m.history)) return undefined;
  return { history: m.history };
}

/** A checkpoint that exists on disk and belongs to this run, and its step. */
export interface GoodCheckpoint {
  readonly path: string;
  readonly step: number;
}

/** Options of {@link PhaseCheckpoint.open}. */
export interface PhaseCheckpointOptions {
  path: string;
  kind: 'teacher' | 'distill' | 'onestep';
  resume: boolean;
  force: boolean;
  log: (message: string) => void;
  fs?: FsLayer;
  /**
   * What the refusal to start over an existing checkpoint suggests (default: `--resume` to continue it, or
   * `--force` to start over); a command that cannot resume (`charlearn import`) says what works for it.
   */
  startOver?: string;
  /** Runs once, after this command's first checkpoint is written (`--force`: set the replaced run's outputs aside then). */
  onFirstSave?: () => Promise<unknown>;
}

async function present(fs: FsLayer, path: string): Promise<boolean> {
  try {
    await fs.lstat(path); // a dangling link counts: it is a file of the run
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
}

/** One phase's checkpoint files during a command. */
export class PhaseCheckpoint {
  readonly path: string;
  readonly previousPath: string;
  readonly kind: PhaseCheckpointOptions['kind'];
  private readonly fs: FsLayer;
  private readonly log: (m: string) => void;
  private readonly resume: boolean;
  /** Whether the file at `path` is a good checkpoint of this run (then a save keeps it as `.prev`). */
  private currentIsGood = false;
  /** `--force` over an earlier run: its `.prev` is removed once the first new checkpoint is written. */
  private replacing: boolean;
  private good: GoodCheckpoint | null = null;
  private onFirstSave: (() => Promise<unknown>) | undefined;

  private constructor(options: PhaseCheckpointOptions, replacing: boolean) {
    this.path = options.path;
    this.previousPath = previousCheckpointPath(options.path);
    this.kind = options.kind;
    this.fs = options.fs ?? nodeFs;
    this.log = options.log;
    this.resume = options.resume;
    this.replacing = replacing;
    this.onFirstSave = options.onFirstSave;
  }

  /**
   * Opens the phase's checkpoint slot; refuses with a {@link RunExistsError} to start a phase (no `--resume`) over
   * a folder holding its checkpoint or its `.prev` copy unless `force`.
   */
  static async open(options: PhaseCheckpointOptions): Promise<PhaseCheckpoint> {
    const fs = options.fs ?? nodeFs;
    const prev = previousCheckpointPath(options.path);
    const held = (await present(fs, options.path)) || (await present(fs, prev));
    if (held && !options.resume && !options.force) {
      const step = await readCheckpoint(options.path, options.kind).then((c) => ` (step ${c.meta.step})`, () => '');
      throw new RunExistsError(
        `the run folder already holds a ${options.kind} checkpoint ${options.path}${step}: ${options.startOver ?? 'pass --resume to continue it, or --force to start over (the old checkpoints are kept until the new run writes its first one)'}`,
        options.path,
      );
    }
    return new PhaseCheckpoint(options, held && !options.resume);
  }

  /** The newest checkpoint of this run on disk (loaded for the resume or written by this command), or `null`. */
  get lastGood(): GoodCheckpoint | null {
    return this.good;
  }

  /** Whether `--force` is replacing an earlier run whose files are still there (no new checkpoint yet). */
  get replacingEarlierRun(): boolean {
    return this.replacing;
  }

  /**
   * With `--resume`: the checkpoint to continue from, falling back to the intact `.prev` copy with a warning when
   * the newest file is missing, a dangling link or damaged; `null` when neither exists (start from scratch). A
   * damaged newest file without a usable `.prev` is a `CheckpointError` (never silently started over).
   */
  async resumeState(): Promise<TrainerCheckpoint | null> {
    if (!this.resume) return null;
    let failure: CheckpointError;
    try {
      const ckpt = await readCheckpoint(this.path, this.kind);
      this.currentIsGood = true;
      this.good = { path: this.path, step: ckpt.meta.step };
      return ckpt;
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      failure = e;
    }
    const currentPresent = await present(this.fs, this.path);
    let prev: TrainerCheckpoint;
    try {
      prev = await readCheckpoint(this.previousPath, this.kind);
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      if (!currentPresent && !(await present(this.fs, this.previousPath))) return null;
      throw new CheckpointError(`${failure.message}; no intact previous checkpoint either (${this.previousPath}): pass --force to start the phase over`, this.path);
    }
    const why = currentPresent ? failure.message : `missing (${this.path})`;
    this.log(`warning: the newest ${this.kind} checkpoint is unusable: ${why}; resuming from the intact previous checkpoint ${this.previousPath} (step ${prev.meta.step}), which is kept until a newer checkpoint is written`);
    this.good = { path: this.previousPath, step: prev.meta.step };
    return prev;
  }

  /**
   * Writes `checkpoint` with the phase's record (`meta.run`, `meta.cli`) atomically. The file it replaces becomes the `.prev` copy only when
   * it is a good checkpoint of this run. An OS failure (disk full, ...) is a `RunFolderError` that names the last
   * good checkpoint, unchanged.
   */
  async save(checkpoint: TrainerCheckpoint, record: PhaseRecord): Promise<void> {
    const meta: JsonObject = { ...checkpoint.meta, run: runRecordJson(record.run), cli: JSON.parse(JSON.stringify({ history: record.history })) as JsonObject };
    const bytes = encodeTensors(checkpoint.arrays, meta);
    const unchanged = this.good ? `the last good checkpoint ${this.good.path} (step ${this.good.step}) is unchanged` : 'no checkpoint of this run was written yet';
    try {
      // The previous copy is taken once the new file is complete, just before it is renamed into place.
      const keep = this.currentIsGood ? async (): Promise<void> => void (await keepPreviousCopy(this.path, this.previousPath, { fs: this.fs })) : undefined;
      await writeFileAtomic(this.path, bytes, { fs: this.fs, ...(keep ? { beforeRename: keep } : {}) });
    } catch (e) {
      throw asRunFolderError(e, `write the ${this.kind} checkpoint ${this.path}`, this.path, unchanged) ?? e;
    }
    this.currentIsGood = true;
    this.good = { path: this.path, step: checkpoint.meta.step };
    if (this.replacing) {
      this.replacing = false;
      await this.fs.unlink(this.previousPath).catch(() => undefined);
    }
    const first = this.onFirstSave;
    this.onFirstSave = undefined;
    await first?.();
  }

  /** For the NaN/Inf stop: which checkpoint to resume from, or that there is none yet. */
  describeForResume(): string {
    if (this.good) return `the last good checkpoint of this run is ${this.good.path} (step ${this.good.step}): resume with --resume`;
    const earlier = this.replacing ? ` (the files in the folder are from the run --force replaced)` : '';
    return `no checkpoint of this run was written yet${earlier}, so there is nothing to resume: fix the setting (e.g. a lower learning rate) and start again`;
  }
}
