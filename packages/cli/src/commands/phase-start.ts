/**
 * What every training phase (`train`'s teacher or one-step generator, `distill`) does before its first step: open
 * its checkpoint slot (refusing to start over an existing run without `--resume` / `--force`), read the history,
 * pick the checkpoint to resume from (falling back to `.prev`), check the config against the run the checkpoint
 * records, and record the run config in `config.json`.
 */
import { ConfigError } from '@charlearn/core';
import type { TrainerCheckpoint } from '@charlearn/distill';
import { writeFileAtomic } from '../atomic';
import { IMAGE_DATA_NAMES, TARGET_NAMES } from '@charlearn/data';
import { cliMeta, PhaseCheckpoint, type PhaseRecord } from '../phase-checkpoint';
import { recordedRun, runRecord } from '../run-record';
import { setAsideStaleArtifacts } from '../replaced-artifacts';
import { configDifferences, formatDifferences, legacyRecordedConfig, RESUMABLE_KEYS_HELP, withoutPlacement, type ResumePhase } from '../resume-check';
import { runFiles, runPath, type RunContext } from '../runtime';
import type { HistoryPoint } from '../training-loop';
import { readHistory, type RunHistory } from './history';

/** The config differs from the run a checkpoint records in keys that define the run. */
export class ResumeMismatchError extends ConfigError {
  constructor(message: string, parameter: string) {
    super(message, parameter);
    this.name = 'ResumeMismatchError';
  }
}

/**
 * The run config a checkpoint records (`meta.run.config`; an older checkpoint's `meta.cli.runConfig`, or what its
 * metadata tells).
 *
 * @example
 * ```ts
 * recordedRunConfig(await readCheckpoint(path, 'teacher')).model; // { kind: 'mlp', hidden: [64, 64], ... }
 * ```
 */
export function recordedRunConfig(ckpt: TrainerCheckpoint): Record<string, unknown> {
  return { ...(recordedRun(ckpt)?.config ?? legacyRecordedConfig(ckpt.meta, [...TARGET_NAMES, ...IMAGE_DATA_NAMES])) };
}

/**
 * Throws a {@link ResumeMismatchError} listing every run-defining key where `ctx.config` differs from the run
 * `ckpt` (read from `path`) was trained with. An imported checkpoint (`meta.importedFrom`, `charlearn import`) has its
 * network from the imported file, so its `model` keys are not compared.
 *
 * @example
 * ```ts
 * assertConfigMatches(ctx, ckpt, path, 'teacher');
 * ```
 */
export function assertConfigMatches(ctx: RunContext, ckpt: TrainerCheckpoint, path: string, phase: ResumePhase): void {
  // An imported checkpoint's network comes from the imported file (or the model section given at import), not from
  // the config of the command using it: its `model` keys do not define the run here.
  const imported = typeof ckpt.meta.importedFrom === 'string';
  const differences = configDifferences(recordedRunConfig(ckpt), withoutPlacement(ctx.config as unknown as Record<string, unknown>), phase).filter(
    (d) => !(imported && (d.key === 'model' || d.key.startsWith('model.'))),
  );
  if (!differences.length) return;
  const what = phase === 'use-teacher' ? `the teacher checkpoint ${path} it distills` : `the run's checkpoint ${path}`;
  throw new ResumeMismatchError(
    `the config differs from ${what} in ${differences.length} key(s) that define the run:\n${formatDifferences(differences)}\n` +
      `set them back (the run's config is in ${runPath(ctx, runFiles.config)}), or start a new run (another name, or --force). ` +
      `Keys that may change on --resume: ${RESUMABLE_KEYS_HELP}.`,
    differences[0]!.key,
  );
}

/**
 * Writes the config the run really uses to `config.json` (`overlay`: sections taken from a checkpoint, e.g. the
 * teacher's settings when distilling).
 *
 * @example
 * ```ts
 * await writeRunConfig(ctx);
 * ```
 */
export async function writeRunConfig(ctx: RunContext, overlay: Record<string, unknown> = {}): Promise<void> {
  await writeFileAtomic(runPath(ctx, runFiles.config), JSON.stringify({ ...ctx.config, ...overlay }, null, 2) + '\n', { fs: ctx.fs });
}

/** A phase ready to run its first step. */
export interface PhaseStart {
  readonly slot: PhaseCheckpoint;
  /** The checkpoint to continue from, or `null` (start from scratch). */
  readonly resumed: TrainerCheckpoint | null;
  readonly history: RunHistory;
}

/**
 * Opens a phase's checkpoint, reads the history and picks (and checks) the checkpoint to resume from; with
 * `--force` (no `--resume`), what the replaced run made from this phase moves into `.replaced-<time>/`
 * (`setAsideStaleArtifacts`) once the new run's first checkpoint is written.
 *
 * @example
 * ```ts
 * const { slot, resumed, history } = await beginPhase(ctx, { file: runFiles.teacher, kind: 'teacher', resume: true });
 * ```
 */
export async function beginPhase(ctx: RunContext, options: { file: string; kind: 'teacher' | 'distill' | 'onestep'; resume: boolean; startOver?: string }): Promise<PhaseStart> {
  const path = runPath(ctx, options.file);
  // --force over an earlier run: what it made from this phase is set aside once the new run's first checkpoint is
  // written (until then the folder is the earlier run's, unchanged). A resume replaces nothing.
  const setAside = ctx.force && !options.resume ? { onFirstSave: () => setAsideStaleArtifacts(ctx, options.kind) } : {};
  const slot = await PhaseCheckpoint.open({
    path,
    kind: options.kind,
    resume: options.resume,
    force: ctx.force,
    log: ctx.log,
    fs: ctx.fs,
    ...setAside,
    ...(options.startOver !== undefined ? { startOver: options.startOver } : {}),
  });
  const history = await readHistory(ctx);
  const resumed = await slot.resumeState();
  if (resumed) assertConfigMatches(ctx, resumed, slot.lastGood?.path ?? path, options.kind);
  return { slot, resumed, history };
}

/**
 * The history of a resumed phase: what its checkpoint records, or (an older checkpoint) `history.json`'s points
 * up to its step.
 *
 * @example
 * ```ts
 * runHistory.teacher = resumedHistory(resumed, runHistory.teacher);
 * ```
 */
export function resumedHistory(resumed: TrainerCheckpoint, points: readonly HistoryPoint[]): HistoryPoint[] {
  return [...(cliMeta(resumed)?.history ?? points.filter((p) => p.step <= resumed.meta.step))];
}

/**
 * What a phase's checkpoints record besides the trainer's state: the run's record (`meta.run`: the run config
 * without where it lives, with `overlay`'s sections, e.g. the teacher's settings when distilling) and the history.
 *
 * @example
 * ```ts
 * await slot.save(teacherTrainer.checkpoint(), cliRecord(ctx, runHistory.teacher));
 * ```
 */
export function cliRecord(ctx: RunContext, points: readonly HistoryPoint[], overlay: Record<string, unknown> = {}): PhaseRecord {
  return { run: runRecord(ctx, overlay), history: [...points] };
}
