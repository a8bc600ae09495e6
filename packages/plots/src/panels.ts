import { ShapeError, ValueRangeError } from '@charlearn/core';
import { FIGURE_CONFIG, type Figure } from './figure';
import { checkLimits, equalAspect, robustLimits, type Limits, type Points2D } from './limits';

/** Marker shapes of a {@link MarkersLayer}: filled `circle`/`square`, an open `ring`, an x-shaped `cross`, a `plus`. */
export type MarkerShape = 'cross' | 'plus' | 'circle' | 'ring' | 'square';

/** Points drawn as small translucent discs. */
export interface ScatterLayer {
  kind: 'scatter';
  /** Row-major `[n, 2]`, flattened. Non-finite points are skipped. */
  points: Points2D;
  color: string;
  /** Dot diameter in pixels (default 3). */
  size?: number;
  /** Opacity (default 0.6). */
  alpha?: number;
  /** Legend label (a panel shows a legend when any of its layers has one). */
  label?: string;
}

/** Polylines (e.g. sampling trajectories), each a row-major `[m, 2]` array, flattened. */
export interface LinesLayer {
  kind: 'lines';
  paths: readonly Points2D[];
  color: string;
  /** Stroke width in pixels (default 1). */
  width?: number;
  /** Opacity (default 0.8). */
  alpha?: number;
  label?: string;
}

/** A few emphasised points (e.g. start and end points of trajectories). */
export interface MarkersLayer {
  kind: 'markers';
  /** Row-major `[n, 2]`, flattened. */
  points: Points2D;
  color: string;
  /** Marker width in pixels. */
  size: number;
  /** Shape (default `'cross'`). */
  shape?: MarkerShape;
  label?: string;
}

/** One layer of a {@link Panel}. */
export type Layer = ScatterLayer | LinesLayer | MarkersLayer;

/** One plot panel: a title and layers drawn in order (later on top). */
export interface Panel {
  title?: string;
  layers: readonly Layer[];
}

/** Options of {@link panelsFigure}. */
export interface PanelsOptions {
  /** Plot-area width per panel in pixels (default 280). */
  panelWidth?: number;
  /** Plot-area height per panel in pixels (default 280). */
  panelHeight?: number;
  /** Panels per row (default: all in one row). */
  columns?: number;
  /** Shared x limits (default: robust limits of all panels' points). */
  xlim?: Limits;
  /** Shared y limits (default: robust limits of all panels' points). */
  ylim?: Limits;
  /** Percentile cut of the automatic limits (default 0.5: the 0.5 and 99.5 percentiles). */
  percentile?: number;
  /** Padding of automatic limits, a fraction of their range (default 0.1). */
  pad?: number;
  /** `'equal'` (default) widens automatic limits so x and y units span the same pixels; `'auto'` keeps them apart. */
  aspect?: 'equal' | 'auto';
  /** Figure title above all panels. */
  title?: string;
  /** Axis titles (default none: the panels share normalised coordinates). */
  xLabel?: string;
  yLabel?: string;
}

// Custom Vega symbol paths span [-1, 1]² and are scaled by the mark's size (its area in px²).
const SHAPES: Readonly<Record<MarkerShape, { shape: string; filled: boolean }>> = {
  cross: { shape: 'M-1,-1L1,1M-1,1L1,-1', filled: false },
  plus: { shape: 'M0,-1L0,1M-1,0L1,0', filled: false },
  circle: { shape: 'circle', filled: true },
  ring: { shape: 'circle', filled: false },
  square: { shape: 'square', filled: true },
};

function checkPoints(points: Points2D, name: string): void {
  if (points.length % 2 !== 0) throw new ShapeError(`${name} must be row-major [n, 2] (an even number of values), got ${points.length} values`, name);
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new ValueRangeError(`${name} must be a positive integer, got ${String(v)}`, name);
  return v;
}

function rows(points: Points2D, extra: Record<string, number> = {}): Record<string, number>[] {
  const out: Record<string, number>[] = [];
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = points[i]!;
    const y = points[i + 1]!;
    if (Number.isFinite(x) && Number.isFinite(y)) out.push({ x, y, ...extra });
  }
  return out;
}

function layerPoints(layer: Layer): Points2D[] {
  return layer.kind === 'lines' ? [...layer.paths] : [layer.points];
}

/**
 * Shared limits of a figure's panels: the explicit ones, else robust limits of every point of every layer, made
 * equal-aspect unless `aspect: 'auto'`.
 *
 * @throws ValueRangeError for explicit limits that are not finite with lo < hi
 * @example
 * ```ts
 * panelLimits([{ layers: [{ kind: 'scatter', points: [0, 0, 2, 1], color: '#000' }] }], { pad: 0, percentile: 0 });
 * // { xlim: [0, 2], ylim: [-0.5, 1.5] }
 * ```
 */
export function panelLimits(panels: readonly Panel[], options: PanelsOptions = {}): { xlim: Limits; ylim: Limits } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const panel of panels) {
    for (const layer of panel.layers) {
      for (const p of layerPoints(layer)) {
        for (let i = 0; i + 1 < p.length; i += 2) {
          xs.push(p[i]!);
          ys.push(p[i + 1]!);
        }
      }
    }
  }
  const percentile = options.percentile ?? 0.5;
  const pad = options.pad ?? 0.1;
  const xlim = options.xlim ? checkLimits(options.xlim, 'xlim') : robustLimits(xs, percentile, pad);
  const ylim = options.ylim ? checkLimits(options.ylim, 'ylim') : robustLimits(ys, percentile, pad);
  if ((options.aspect ?? 'equal') === 'auto' || (options.xlim && options.ylim)) return { xlim, ylim };
  return equalAspect(xlim, ylim, options.panelWidth ?? 280, options.panelHeight ?? 280);
}

interface Axes {
  x: Record<string, unknown>;
  y: Record<string, unknown>;
}

function layerSpec(layer: Layer, axes: Axes, legend: { domain: string[]; range: string[] } | undefined, name: string): Record<string, unknown> {
  const color = layer.label !== undefined && legend ? { color: { datum: layer.label, scale: legend, legend: { title: null, orient: 'top-right' } } } : {};
  const markColor = layer.label !== undefined && legend ? {} : { color: layer.color };
  if (layer.kind === 'scatter') {
    checkPoints(layer.points, `${name}.points`);
    const d = layer.size ?? 3;
    return {
      data: { values: rows(layer.points) },
      mark: { type: 'circle', size: (Math.PI * d * d) / 4, opacity: layer.alpha ?? 0.6, clip: true, ...markColor },
      encoding: { ...axes, ...color },
    };
  }
  if (layer.kind === 'lines') {
    const values = layer.paths.flatMap((p, k) => {
      checkPoints(p, `${name}.paths[${k}]`);
      return rows(p, { path: k }).map((r, order) => ({ ...r, order }));
    });
    return {
      data: { values },
      mark: { type: 'line', strokeWidth: layer.width ?? 1, opacity: layer.alpha ?? 0.8, clip: true, ...markColor },
      encoding: { ...axes, detail: { field: 'path', type: 'nominal' }, order: { field: 'order', type: 'quantitative' }, ...color },
    };
  }
  checkPoints(layer.points, `${name}.points`);
  const { shape, filled } = SHAPES[layer.shape ?? 'cross'];
  return {
    data: { values: rows(layer.points) },
    mark: { type: 'point', shape, filled, size: layer.size * layer.size, strokeWidth: filled ? 0.8 : 2, opacity: 1, clip: true, ...(filled ? { stroke: 'white' } : {}), ...markColor },
    encoding: { ...axes, ...color },
  };
}

/**
 * A figure of 2-D panels (scatter plots, trajectories, markers) on shared axes, in a grid of `columns` per row,
 * with an optional figure title; a panel whose layers carry labels gets a legend.
 *
 * @throws ShapeError for points that are not `[n, 2]`; ValueRangeError for no panels, bad `columns` or limits
 * @example
 * ```ts
 * const figure = panelsFigure([
 *   { title: 'data', layers: [{ kind: 'scatter', points: new Float32Array([0, 0, 1, 1]), color: PALETTE[0]! }] },
 *   { title: 'one step', layers: [{ kind: 'scatter', points: new Float32Array([0.1, 0, 1, 0.9]), color: PALETTE[2]! }] },
 * ], { title: '8gaussians' });
 * const svg = await figureToSvg(figure);
 * ```
 */
export function panelsFigure(panels: readonly Panel[], options: PanelsOptions = {}): Figure {
  if (panels.length < 1) throw new ValueRangeError(`panelsFigure: need at least one panel, got ${panels.length}`, 'panels');
  const columns = Math.min(panels.length, positiveInt(options.columns ?? panels.length, 'columns'));
  const width = positiveInt(options.panelWidth ?? 280, 'panelWidth');
  const height = positiveInt(options.panelHeight ?? 280, 'panelHeight');
  const { xlim, ylim } = panelLimits(panels, options);
  const axis = (lim: Limits, title: string | undefined) => ({
    type: 'quantitative',
    scale: { domain: [lim[0], lim[1]], nice: false, zero: false },
    axis: { title: title ?? null, tickCount: 6 },
  });
  const axes: Axes = { x: { field: 'x', ...axis(xlim, options.xLabel) }, y: { field: 'y', ...axis(ylim, options.yLabel) } };
  const views = panels.map((panel, i) => {
    const labelled = panel.layers.filter((l) => l.label !== undefined);
    const legend = labelled.length ? { domain: labelled.map((l) => l.label!), range: labelled.map((l) => l.color) } : undefined;
    return {
      title: { text: panel.title ?? '', fontSize: 13 },
      width,
      height,
      layer: panel.layers.length
        ? panel.layers.map((layer, j) => layerSpec(layer, axes, legend, `panels[${i}].layers[${j}]`))
        : [{ data: { values: [] }, mark: 'point', encoding: axes }],
    };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(options.title ? { title: { text: options.title } } : {}),
    config: FIGURE_CONFIG,
    columns,
    concat: views,
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
  } as unknown as Figure;
}
