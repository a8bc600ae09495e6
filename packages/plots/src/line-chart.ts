import { ShapeError, ValueRangeError } from '@charlearn/core';
import { FIGURE_CONFIG, type Figure } from './figure';

/** One curve of {@link lineChartFigure}. */
export interface LineSeries {
  label: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  color: string;
  /** Stroke width in pixels (default 1.5). */
  width?: number;
}

/** Options of {@link lineChartFigure}. */
export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis; non-positive values are skipped (default false). */
  logY?: boolean;
  /** Plot-area width in pixels (default 560). */
  width?: number;
  /** Plot-area height in pixels (default 320). */
  height?: number;
}

/** The powers of ten from below the smallest to above the largest of `ys` (positive values). */
function decades(ys: readonly number[]): number[] {
  if (ys.length === 0) return [];
  const lo = Math.floor(Math.log10(Math.min(...ys)));
  const hi = Math.ceil(Math.log10(Math.max(...ys)));
  return Array.from({ length: hi - lo + 1 }, (_, k) => 10 ** (lo + k));
}

/**
 * A line chart of one or more series (e.g. training losses against the step), with a legend; non-finite points
 * (and, with `logY`, non-positive ones) are left out.
 *
 * @throws ShapeError when a series' xs and ys differ in length; ValueRangeError for no series
 * @example
 * ```ts
 * const figure = lineChartFigure([{ label: 'teacher loss', xs: [1, 2, 3], ys: [1, 0.5, 0.3], color: PALETTE[0]! }], { logY: true, xLabel: 'step', yLabel: 'loss' });
 * ```
 */
export function lineChartFigure(series: readonly LineSeries[], options: LineChartOptions = {}): Figure {
  if (series.length < 1) throw new ValueRangeError('lineChartFigure: need at least one series, got 0', 'series');
  const logY = options.logY ?? false;
  const values = series.flatMap((s, k) => {
    if (s.xs.length !== s.ys.length) throw new ShapeError(`series[${k}] ('${s.label}'): xs has ${s.xs.length} values, ys ${s.ys.length}`, `series[${k}]`);
    const out: { x: number; y: number; series: string }[] = [];
    for (let i = 0; i < s.xs.length; i++) {
      const x = s.xs[i]!;
      const y = s.ys[i]!;
      if (Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0)) out.push({ x, y, series: s.label });
    }
    return out;
  });
  const ticks = logY ? decades(values.map((v) => v.y)) : [];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(options.title ? { title: { text: options.title } } : {}),
    config: FIGURE_CONFIG,
    width: options.width ?? 560,
    height: options.height ?? 320,
    data: { values },
    layer: series.map((s) => ({
      transform: [{ filter: { field: 'series', equal: s.label } }],
      mark: { type: 'line', strokeWidth: s.width ?? 1.5, clip: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', scale: { nice: false, zero: false }, axis: { title: options.xLabel ?? null } },
        // log: a decade-aligned range, ticks and grid lines at the decades only; labels 0.001, 1e-5 ...
        y: {
          field: 'y',
          type: 'quantitative',
          scale: logY && ticks.length ? { type: 'log', domain: [ticks[0], ticks.at(-1)] } : { zero: false },
          axis: { title: options.yLabel ?? null, ...(logY ? { format: '~g', values: ticks } : {}) },
        },
        // below the plot: a legend inside would hide curves
        color: { field: 'series', type: 'nominal', scale: { domain: series.map((t) => t.label), range: series.map((t) => t.color) }, legend: { title: null, orient: 'bottom', direction: 'horizontal' } },
      },
    })),
  } as unknown as Figure;
}
