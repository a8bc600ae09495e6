/** The run's `history.json` (losses every `logEvery` steps, per phase) and its `losses.png`. */
import { existsSync, readFileSync } from 'node:fs';
import { CheckpointError } from '@charlearn/core';
import { writeFileAtomic } from '../atomic';
import { cliMeta } from '../phase-checkpoint';
import { PALETTE, lineChartFigure } from '@charlearn/plots';
import { saveFigurePng } from '../figures';
import { previousCheckpointPath, readCheckpoint, runFiles, runPath, type RunContext } from '../runtime';
import type { HistoryPoint } from '../training-loop';

/** Recorded points per phase; `onestep` for the teacher-free methods. */
export interface RunHistory {
  teacher: HistoryPoint[];
  distill: HistoryPoint[];
  onestep?: HistoryPoint[];
}

/** Whether `v` has the shape of a {@link RunHistory} (phases as arrays of points with a numeric step). */
function isRunHistory(v: unknown): v is RunHistory {
  if (typeof v !== 'object' || v === null) return false;
  const h = v as Record<string, unknown>;
  const points = (p: unknown): boolean => Array.isArray(p) && p.every((x) => typeof x === 'object' && x !== null && typeof (x as { step?: unknown }).step === 'number');
  return points(h.teacher) && points(h.distill) && (h.onestep === undefined || points(h.onestep));
}

/** The history a checkpoint (or its `.prev` copy) records for its phase, or `undefined`. */
async function recordedHistory(path: string, kinds: readonly ('teacher' | 'distill' | 'onestep')[]): Promise<{ kind: string; points: HistoryPoint[] } | undefined> {
  for (const file of [path, previousCheckpointPath(path)]) {
    for (const kind of kinds) {
      try {
        const ckpt = await readCheckpoint(file, kind);
        const meta = cliMeta(ckpt);
        if (meta) return { kind, points: [...meta.history] };
      } catch (e) {
        if (!(e instanceof CheckpointError)) throw e;
      }
    }
  }
  return undefined;
}

/**
 * The run's history (empty phases when there is none yet). A damaged `history.json` (not JSON, or not the
 * shape of a history) is rebuilt from the histories the checkpoints record, with a warning.
 *
 * @example
 * ```ts
 * (await readHistory(ctx)).teacher.at(-1)?.loss;
 * ```
 */
export async function readHistory(ctx: RunContext): Promise<RunHistory> {
  const path = runPath(ctx, runFiles.history);
  if (!existsSync(path)) return { teacher: [], distill: [] };
  let problem: string;
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (isRunHistory(parsed)) return parsed;
    problem = 'not a history (teacher / distill lists of points)';
  } catch (e) {
    problem = e instanceof Error ? e.message : String(e);
  }
  const history: RunHistory = { teacher: [], distill: [] };
  const teacher = await recordedHistory(runPath(ctx, runFiles.teacher), ['teacher']);
  if (teacher) history.teacher = teacher.points;
  const generator = await recordedHistory(runPath(ctx, runFiles.generator), ['distill', 'onestep']);
  if (generator?.kind === 'distill') history.distill = generator.points;
  if (generator?.kind === 'onestep') history.onestep = generator.points;
  const steps = (p: HistoryPoint[]): string => (p.length ? `to step ${p[p.length - 1]!.step}` : 'nothing recorded');
  ctx.log(
    `warning: ${path} is damaged (${problem}); rebuilt it from the checkpoints' records (teacher ${steps(history.teacher)}, generator ${steps(history.onestep ?? history.distill)})`,
  );
  return history;
}

/**
 * Writes history.json atomically and redraws losses.png.
 *
 * @example
 * ```ts
 * const history = await readHistory(ctx);
 * history.teacher.push({ step: 100, loss: 0.42 });
 * await writeHistory(ctx, history);
 * ```
 */
export async function writeHistory(ctx: RunContext, history: RunHistory): Promise<void> {
  await writeFileAtomic(runPath(ctx, runFiles.history), JSON.stringify(history, null, 1), { fs: ctx.fs });
  const onestep = history.onestep ?? [];
  const series = [
    { label: 'teacher DSM loss', xs: history.teacher.map((p) => p.step), ys: history.teacher.map((p) => p.loss ?? NaN), color: PALETTE[0]! },
    { label: 'distill fit loss', xs: history.distill.map((p) => p.step), ys: history.distill.map((p) => p.fit ?? NaN), color: PALETTE[2]! },
    { label: 'distill semi-group', xs: history.distill.map((p) => p.step), ys: history.distill.map((p) => p.semigroup ?? NaN), color: PALETTE[3]! },
    { label: `${ctx.config.method} loss (|V|^2)`, xs: onestep.map((p) => p.step), ys: onestep.map((p) => p.loss ?? NaN), color: PALETTE[4]! },
  ].filter((s) => s.xs.length > 0 && s.ys.some((y) => y > 0));
  if (series.length) await saveFigurePng(runPath(ctx, runFiles.losses), lineChartFigure(series, { title: `${ctx.name}: training losses`, xLabel: 'step', yLabel: 'loss', logY: true }));
}
