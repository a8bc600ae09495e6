import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShapeError, ValueRangeError } from '@charlearn/core';
import { encodePng } from './png';
import {
  Canvas,
  dataToPixel,
  formatTick,
  layoutImagePanels,
  layoutPanels,
  lineChartLayout,
  renderImagePanels,
  niceTicks,
  panelLimits,
  parseColor,
  renderLineChart,
  renderPanels,
  robustRange,
  savePng,
  type Panel,
  type RasterImage,
  type Rect,
} from './plot';

const RED = [214, 39, 40] as const;
const BLUE = [31, 119, 180] as const;

function px(img: RasterImage, x: number, y: number): [number, number, number, number] {
  const i = (Math.floor(y) * img.width + Math.floor(x)) * 4;
  return [img.rgba[i]!, img.rgba[i + 1]!, img.rgba[i + 2]!, img.rgba[i + 3]!];
}

function isWhite(p: readonly number[]): boolean {
  return p[0] === 255 && p[1] === 255 && p[2] === 255;
}

/** Pixels in `rect` that look like `color` (each channel within `tol`). */
function countColor(img: RasterImage, rect: Rect, color: readonly number[], tol = 40): number {
  let n = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const p = px(img, x, y);
      if (Math.abs(p[0] - color[0]!) <= tol && Math.abs(p[1] - color[1]!) <= tol && Math.abs(p[2] - color[2]!) <= tol) n++;
    }
  }
  return n;
}

function countNonWhite(img: RasterImage, rect: Rect): number {
  let n = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) for (let x = rect.x; x < rect.x + rect.width; x++) if (!isWhite(px(img, x, y))) n++;
  return n;
}

describe('parseColor', () => {
  it('parses hex, short hex, names and tuples', () => {
    expect(parseColor('#ff8000')).toEqual([255, 128, 0, 255]);
    expect(parseColor('#f80')).toEqual([255, 136, 0, 255]);
    expect(parseColor('#ff800080')).toEqual([255, 128, 0, 128]);
    expect(parseColor('white')).toEqual([255, 255, 255, 255]);
    expect(parseColor([1, 2, 3])).toEqual([1, 2, 3, 255]);
    expect(parseColor([300, -5, 3.6, 10])).toEqual([255, 0, 4, 10]);
    expect(() => parseColor('#12')).toThrow(ValueRangeError);
    expect(() => parseColor('chartreuse-ish')).toThrow(ValueRangeError);
  });
});

describe('Canvas', () => {
  it('fills, sets and alpha-blends pixels', () => {
    const c = new Canvas(4, 3, 'white');
    expect(c.getPixel(3, 2)).toEqual([255, 255, 255, 255]);
    c.setPixel(1, 1, [10, 20, 30]);
    expect(c.getPixel(1, 1)).toEqual([10, 20, 30, 255]);
    c.blendPixel(0, 0, [255, 0, 0], 0.5);
    expect(c.getPixel(0, 0)).toEqual([255, 128, 128, 255]);
    c.blendPixel(2, 0, '#0000ff80');
    expect(c.getPixel(2, 0)).toEqual([127, 127, 255, 255]);
    // Off-canvas writes are ignored.
    expect(() => c.blendPixel(-1, 7, 'red')).not.toThrow();
  });

  it('blends onto a transparent background with correct alpha', () => {
    const c = new Canvas(1, 1, 'transparent');
    c.blendPixel(0, 0, [0, 0, 255], 0.5);
    expect(c.getPixel(0, 0)).toEqual([0, 0, 255, 128]);
    c.blendPixel(0, 0, [255, 0, 0], 0.5);
    const [r, , b, a] = c.getPixel(0, 0);
    expect(Math.abs(a - 191)).toBeLessThanOrEqual(1); // 1 - (1 - 0.5)²
    expect(r).toBeGreaterThan(b);
  });

  it('draws an anti-aliased line through the expected pixels', () => {
    const c = new Canvas(50, 50, 'white');
    c.line(5.5, 5.5, 44.5, 44.5, 'black');
    for (let k = 6; k < 44; k++) expect(c.getPixel(k, k)).toEqual([0, 0, 0, 255]);
    expect(isWhite(c.getPixel(5 + 20, 5))).toBe(true);
    // Horizontal line, width 3: rows 9..11 are solid.
    c.line(2, 10.5, 40, 10.5, [0, 0, 255], { width: 3 });
    for (const y of [9, 10, 11]) expect(c.getPixel(20, y)).toEqual([0, 0, 255, 255]);
    expect(isWhite(c.getPixel(20, 14))).toBe(true);
  });

  it('blends a translucent polyline once where segments meet', () => {
    const c = new Canvas(40, 40, 'white');
    c.polyline([5.5, 20.5, 20.5, 20.5, 20.5, 5.5], [0, 0, 0], { width: 3, alpha: 0.5 });
    expect(c.getPixel(20, 20)).toEqual(c.getPixel(12, 20));
    expect(c.getPixel(12, 20)).toEqual([128, 128, 128, 255]);
  });

  it('breaks polylines at NaN and survives absurd coordinates', () => {
    const c = new Canvas(30, 30, 'white');
    expect(() => c.polyline([1, 1, NaN, 5, 28, 28, 1e300, -1e300, Infinity, 3], 'black')).not.toThrow();
    expect(isWhite(c.getPixel(15, 15))).toBe(true); // 1,1 -> NaN -> 28,28: no diagonal drawn
  });

  it('draws discs and respects the clip rectangle', () => {
    const c = new Canvas(30, 30, 'white');
    c.setClip({ x: 0, y: 0, width: 15, height: 30 });
    c.dot(15, 15, 5, [0, 128, 0]);
    c.setClip(null);
    expect(c.getPixel(12, 15)).toEqual([0, 128, 0, 255]);
    expect(isWhite(c.getPixel(17, 15))).toBe(true);
    expect(isWhite(c.getPixel(12, 2))).toBe(true);
  });
});

describe('axis helpers', () => {
  it('niceTicks returns round values inside the range', () => {
    expect(niceTicks(-2.3, 2.3)).toEqual([-2, -1, 0, 1, 2]);
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.001, 0.0042, 3)).toEqual([0.001, 0.002, 0.003, 0.004]);
  });

  it('formatTick is short and has no float noise', () => {
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
    expect(formatTick(-0, 1)).toBe('0');
    expect(formatTick(2000, 1000)).toBe('2000');
    expect(formatTick(200000, 100000)).toBe('2e5');
    expect(formatTick(0.0005, 0.0001)).toBe('5e-4');
  });

  it('robustRange ignores outliers and non-finite values', () => {
    const vals = Array.from({ length: 1000 }, (_, i) => i / 999);
    vals.push(1e9, NaN, -Infinity);
    const [lo, hi] = robustRange(vals);
    expect(lo).toBeGreaterThan(-0.2);
    expect(hi).toBeLessThan(1.2);
    expect(robustRange([])).toEqual([-1, 1]);
    expect(robustRange([3, 3])).toEqual([2.7, 3.3]);
  });

  it('dataToPixel maps limits to the plot edges, y up', () => {
    const plot = { x: 10, y: 20, width: 100, height: 50 };
    expect(dataToPixel(plot, [0, 1], [0, 1], 0, 0)).toEqual([10, 70]);
    expect(dataToPixel(plot, [0, 1], [0, 1], 1, 1)).toEqual([110, 20]);
  });
});

describe('renderPanels', () => {
  const opts = { xlim: [-2, 2] as const, ylim: [-2, 2] as const, panelWidth: 120, panelHeight: 100 };

  it('puts each point at its mapped pixel in its panel', () => {
    const panels: Panel[] = [
      { title: 'A', layers: [{ kind: 'scatter', points: new Float32Array([1, 1]), color: RED, size: 5, alpha: 1 }] },
      { title: 'B', layers: [{ kind: 'scatter', points: new Float64Array([-1.5, 0.5, 0.25, -1]), color: BLUE, size: 5, alpha: 1 }] },
    ];
    const img = renderPanels(panels, opts);
    const layout = layoutPanels(2, opts);
    expect([img.width, img.height]).toEqual([layout.width, layout.height]);
    const [ax, ay] = dataToPixel(layout.panels[0]!.plot, opts.xlim, opts.ylim, 1, 1);
    expect(px(img, ax, ay).slice(0, 3)).toEqual([...RED]);
    for (const [x, y] of [
      [-1.5, 0.5],
      [0.25, -1],
    ] as const) {
      const [bx, by] = dataToPixel(layout.panels[1]!.plot, opts.xlim, opts.ylim, x, y);
      expect(px(img, bx, by).slice(0, 3)).toEqual([...BLUE]);
    }
    // The same spot in the first panel is empty (no red/blue there).
    const [ex, ey] = dataToPixel(layout.panels[0]!.plot, opts.xlim, opts.ylim, 0.25, -1);
    expect(countColor(img, { x: Math.floor(ex) - 2, y: Math.floor(ey) - 2, width: 5, height: 5 }, BLUE, 10)).toBe(0);
  });

  it('draws titles (non-background pixels in the title band) and frames', () => {
    const panels: Panel[] = [{ title: 'Teacher (Euler, NFE=100)', layers: [] }, { layers: [] }];
    const img = renderPanels(panels, opts);
    const layout = layoutPanels(2, opts);
    expect(countNonWhite(img, layout.panels[0]!.titleBand)).toBeGreaterThan(40);
    expect(countNonWhite(img, layout.panels[1]!.titleBand)).toBe(0);
    const plot = layout.panels[1]!.plot;
    expect(isWhite(px(img, plot.x - 1, plot.y + 50))).toBe(false); // left frame line
    expect(isWhite(px(img, plot.x + plot.width, plot.y + 50))).toBe(false); // right frame line
  });

  it('draws a figure title above the panels', () => {
    const o = { ...opts, title: 'figure' };
    const layout = layoutPanels(1, o);
    expect(layout.titleBand.height).toBeGreaterThan(0);
    const img = renderPanels([{ layers: [] }], o);
    expect(countNonWhite(img, layout.titleBand)).toBeGreaterThan(20);
  });

  it('clips out-of-range points and skips NaN without throwing', () => {
    const pts = new Float64Array([5, 0, 0, -9, 1e300, 1e300, -Infinity, 0, NaN, 0, 0, NaN, NaN, NaN, 1.95, 0]);
    const panels: Panel[] = [{ layers: [{ kind: 'scatter', points: pts, color: RED, size: 8, alpha: 1 }] }];
    const img = renderPanels(panels, opts);
    const layout = layoutPanels(1, opts);
    const { plot, cell } = layout.panels[0]!;
    // Only the point at x = 1.95 is (partly) visible, and it is cut at the frame.
    const [vx, vy] = dataToPixel(plot, opts.xlim, opts.ylim, 1.95, 0);
    expect(px(img, vx, vy).slice(0, 3)).toEqual([...RED]);
    const right = { x: plot.x + plot.width, y: cell.y, width: img.width - plot.x - plot.width, height: cell.height };
    expect(countColor(img, right, RED, 60)).toBe(0);
    expect(countColor(img, plot, RED, 60)).toBeLessThan(40);
    expect(countColor(img, plot, RED, 60)).toBeGreaterThan(5);
  });

  it('draws lines between mapped points and markers with a halo', () => {
    const panels: Panel[] = [
      {
        layers: [
          { kind: 'lines', paths: [new Float64Array([-1, -1, 1, -1, NaN, NaN, 1, 1])], color: BLUE, width: 3, alpha: 1 },
          { kind: 'markers', points: [0, 1], color: RED, size: 10, shape: 'plus' },
        ],
      },
    ];
    const img = renderPanels(panels, opts);
    const { plot } = layoutPanels(1, opts).panels[0]!;
    const [x0, y0] = dataToPixel(plot, opts.xlim, opts.ylim, 0, -1);
    expect(px(img, x0, y0).slice(0, 3)).toEqual([...BLUE]);
    // The NaN broke the path: nothing on the way from (1,-1) to (1,1).
    const [x1, y1] = dataToPixel(plot, opts.xlim, opts.ylim, 1, 0);
    expect(countColor(img, { x: Math.floor(x1) - 3, y: Math.floor(y1) - 3, width: 7, height: 7 }, BLUE, 60)).toBe(0);
    const [mx, my] = dataToPixel(plot, opts.xlim, opts.ylim, 0, 1);
    expect(px(img, mx, my).slice(0, 3)).toEqual([...RED]);
  });

  it('draws a legend with the entry colours in the top-right of the plot', () => {
    const panels: Panel[] = [{ layers: [], legend: [{ label: 'samples', color: RED }, { label: 'teacher', color: BLUE }] }];
    const img = renderPanels(panels, opts);
    const { plot } = layoutPanels(1, opts).panels[0]!;
    const corner = { x: plot.x, y: plot.y, width: plot.width, height: 40 };
    expect(countColor(img, corner, RED, 5)).toBeGreaterThanOrEqual(80);
    expect(countColor(img, corner, BLUE, 5)).toBeGreaterThanOrEqual(80);
  });

  it('shares robust limits across panels, equal aspect by default', () => {
    const a = new Float64Array(2000).map((_, i) => (i % 2 ? 0.5 : 2) * Math.sin(i));
    const b = new Float64Array([10, 10]);
    const panels: Panel[] = [
      { layers: [{ kind: 'scatter', points: a, color: RED }] },
      { layers: [{ kind: 'scatter', points: b, color: RED }] },
    ];
    const { xlim, ylim } = panelLimits(panels);
    expect(xlim[1] - xlim[0]).toBeCloseTo(ylim[1] - ylim[0], 9);
    expect(xlim[1]).toBeLessThan(3); // the lone (10, 10) is an outlier
    const auto = panelLimits(panels, { aspect: 'auto' });
    expect(auto.ylim[1] - auto.ylim[0]).toBeLessThan(auto.xlim[1] - auto.xlim[0]);
  });

  it('lays panels out in a grid with `columns`', () => {
    const l = layoutPanels(5, { columns: 2, panelWidth: 100, panelHeight: 80 });
    expect(l.panels[2]!.plot.x).toBe(l.panels[0]!.plot.x);
    expect(l.panels[2]!.plot.y).toBeGreaterThan(l.panels[0]!.plot.y + 80);
    expect(l.panels[1]!.plot.y).toBe(l.panels[0]!.plot.y);
    const img = renderPanels(Array.from({ length: 5 }, () => ({ layers: [] })), { columns: 2, panelWidth: 100, panelHeight: 80 });
    expect([img.width, img.height]).toEqual([l.width, l.height]);
  });

  it('rejects odd-length point arrays and bad limits', () => {
    expect(() => renderPanels([{ layers: [{ kind: 'scatter', points: [1, 2, 3], color: RED }] }])).toThrow(ShapeError);
    expect(() => renderPanels([{ layers: [] }], { xlim: [1, 1] })).toThrow(ValueRangeError);
    expect(() => renderPanels([])).toThrow(ValueRangeError);
  });
});

describe('renderLineChart', () => {
  it('plots a log-y series at the mapped pixels and skips non-positive values', () => {
    const xs = [0, 1, 2, 3, 4];
    const ys = [1, 0.1, 0, 0.01, -1];
    const series = [{ label: 'loss', xs, ys, color: BLUE }];
    const options = { title: 'Loss', xLabel: 'step', yLabel: 'loss', logY: true, width: 400, height: 300 };
    const img = renderLineChart(series, options);
    const layout = lineChartLayout(series, options);
    expect(layout.ylim[0]).toBeLessThan(-2);
    expect(layout.ylim[1]).toBeGreaterThan(0);
    const [x1, y1] = dataToPixel(layout.plot, layout.xlim, layout.ylim, 0.5, Math.log10(Math.sqrt(0.1)));
    expect(countColor(img, { x: Math.floor(x1) - 1, y: Math.floor(y1) - 1, width: 3, height: 3 }, BLUE, 3)).toBeGreaterThan(0);
    // No segment to or from the skipped zero at x = 2.
    const [x2, y2] = dataToPixel(layout.plot, layout.xlim, layout.ylim, 2, Math.log10(0.03));
    expect(countColor(img, { x: Math.floor(x2) - 3, y: Math.floor(y2) - 3, width: 7, height: 7 }, BLUE, 60)).toBe(0);
    expect(countNonWhite(img, layout.titleBand)).toBeGreaterThan(20);
  });

  it('plots linear series and checks lengths', () => {
    const series = [
      { label: 'a', xs: [0, 10], ys: [0, 5], color: RED },
      { label: 'b', xs: [0, 10], ys: [5, 0], color: BLUE },
    ];
    const img = renderLineChart(series);
    const l = lineChartLayout(series);
    const [x, y] = dataToPixel(l.plot, l.xlim, l.ylim, 2, 1);
    expect(countColor(img, { x: Math.floor(x) - 1, y: Math.floor(y) - 1, width: 3, height: 3 }, RED, 3)).toBeGreaterThan(0);
    expect(() => renderLineChart([{ label: 'x', xs: [1, 2], ys: [1], color: RED }])).toThrow(ShapeError);
  });
});

describe('savePng', () => {
  const dir = mkdtempSync(join(tmpdir(), 'charlearn-plot-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the encoded image atomically, creating directories', async () => {
    const img = renderPanels([{ title: 't', layers: [{ kind: 'scatter', points: [0, 0], color: RED }] }], { panelWidth: 60, panelHeight: 60 });
    const path = join(dir, 'nested', 'plot.png');
    await savePng(path, img);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(encodePng(img.width, img.height, img.rgba)))).toBe(true);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['plot.png']);
  });
});

describe('renderImagePanels', () => {
  /** A w x h image whose pixel (x, y) is (x, y, k, 255). */
  const ramp = (w: number, h: number, k: number): RasterImage => {
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgba.set([x, y, k, 255], (y * w + x) * 4);
    return { width: w, height: h, rgba };
  };

  it('copies every image pixel to its place, centred in equal cells, with titles above', () => {
    const panels = [
      { title: 'a', image: ramp(40, 30, 7) },
      { title: 'b', image: ramp(20, 10, 9) },
      { title: 'c', image: ramp(40, 30, 11) },
    ];
    const layout = layoutImagePanels(panels.map((p) => p.image), { columns: 2, title: 'figure' });
    const fig = renderImagePanels(panels, { columns: 2, title: 'figure' });
    expect([fig.width, fig.height]).toEqual([layout.width, layout.height]);
    panels.forEach((p, i) => {
      const at = layout.panels[i]!.image;
      expect([at.width, at.height]).toEqual([p.image.width, p.image.height]);
      for (let y = 0; y < p.image.height; y++) {
        for (let x = 0; x < p.image.width; x++) {
          const o = ((at.y + y) * fig.width + at.x + x) * 4;
          expect([...fig.rgba.subarray(o, o + 4)]).toEqual([x, y, [7, 9, 11][i], 255]);
        }
      }
    });
    // The smaller image sits in the middle of a cell as large as the largest; the third starts a second row.
    const [a, b, c] = layout.panels;
    expect(b!.image.x - a!.image.x).toBe(40 + 20 + 10);
    expect(c!.image.y).toBeGreaterThan(a!.image.y + 30);
    // Some title text is drawn (dark pixels) in the first panel's title band.
    const band = layout.panels[0]!.titleBand;
    let dark = 0;
    for (let y = band.y; y < band.y + band.height; y++) for (let x = band.x; x < band.x + band.width; x++) if (fig.rgba[(y * fig.width + x) * 4]! < 128) dark++;
    expect(dark).toBeGreaterThan(0);
  });

  it('names a malformed image and an empty figure', () => {
    expect(() => renderImagePanels([{ image: { width: 4, height: 4, rgba: new Uint8Array(10) } }])).toThrow(/panels\[0\]\.image must be width x height RGBA/);
    expect(() => renderImagePanels([])).toThrow(ValueRangeError);
  });
});
