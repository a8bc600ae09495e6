/** The run's `history.json` (losses every `logEvery` steps, per phase) and its `losses.png`. */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomic';
import { PALETTE, lineChartFigure } from '@charlearn/plots';
import { saveFigurePng } from '../figures';
import { runFiles, runPath, type RunContext } from '../runtime';
import type { HistoryPoint } from '../training-loop';

/** Recorded points per phase; `onestep` for the teacher-free methods. */
export interface RunHistory {
  teacher: HistoryPoint[];
  distill: HistoryPoint[];
  onestep?: HistoryPoint[];
}

/**
 * The run's history (empty phases when there is none yet).
 *
 * @example
 * ```ts
 * readHistory(ctx).teacher.at(-1)?.loss;
 * ```
 */
export function readHistory(ctx: RunContext): RunHistory {
  const path = runPath(ctx, runFiles.history);
  if (!existsSync(path)) return { teacher: [], distill: [] };
  return JSON.parse(readFileSync(path, 'utf8')) as RunHistory;
}

/**
 * Writes history.json atomically and redraws losses.png.
 *
 * @example
 * ```ts
 * const history = readHistory(ctx);
 * history.teacher.push({ step: 100, loss: 0.42 });
 * await writeHistory(ctx, history);
 * ```
 */
export async function writeHistory(ctx: RunContext, history: RunHistory): Promise<void> {
  await writeFileAtomic(runPath(ctx, runFiles.history), JSON.stringify(history, null, 1));
  const onestep = history.onestep ?? [];
  const series = [
    { label: 'teacher DSM loss', xs: history.teacher.map((p) => p.step), ys: history.teacher.map((p) => p.loss ?? NaN), color: PALETTE[0]! },
    { label: 'distill fit loss', xs: history.distill.map((p) => p.step), ys: history.distill.map((p) => p.fit ?? NaN), color: PALETTE[2]! },
    { label: 'distill semi-group', xs: history.distill.map((p) => p.step), ys: history.distill.map((p) => p.semigroup ?? NaN), color: PALETTE[3]! },
    { label: `${ctx.config.method} loss (|V|^2)`, xs: onestep.map((p) => p.step), ys: onestep.map((p) => p.loss ?? NaN), color: PALETTE[4]! },
  ].filter((s) => s.xs.length > 0 && s.ys.some((y) => y > 0));
  if (series.length) await saveFigurePng(runPath(ctx, runFiles.losses), lineChartFigure(series, { title: `${ctx.name}: training losses`, xLabel: 'step', yLabel: 'loss', logY: true }));
}
