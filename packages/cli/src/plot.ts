/**
 * Raster plotting without dependencies: an RGBA {@link Canvas} with
 * alpha-blended, anti-aliased primitives, a panel layer for 2-D scatter /
 * trajectory plots ({@link renderPanels}) and a line chart for loss curves
 * ({@link renderLineChart}). Images are written with {@link savePng}.
 *
 * @example
 * ```ts
 * import { renderPanels, savePng } from './plot';
 * const image = renderPanels([
 *   { title: 'data', layers: [{ kind: 'scatter', points: data, color: '#1f77b4' }] },
 *   { title: 'one-step', layers: [{ kind: 'scatter', points: samples, color: '#d62728' }] },
 * ]);
 * await savePng('out/samples.png', image);
 * ```
 * @packageDocumentation
 */
import { ShapeError, ValueRangeError } from '@charlearn/core';
import { writeFileAtomic } from './atomic';
import { CELL_WIDTH, GLYPH_HEIGHT, drawText, measureText, type TextTarget } from './font';
import { encodePng } from './png';

// ---------------------------------------------------------------------------
// Colours
// ---------------------------------------------------------------------------

/** An RGBA colour, each channel 0–255. */
export type RGBA = readonly [number, number, number, number];

/**
 * A colour: `'#rgb'`, `'#rrggbb'`, `'#rrggbbaa'`, one of a few names
 * (`black`, `white`, `gray`, `lightgray`, `red`, `green`, `blue`, `orange`,
 * `purple`, `transparent`), or an `[r, g, b]` / `[r, g, b, a]` tuple (0–255).
 */
export type Color = string | readonly [number, number, number] | RGBA;

/** The matplotlib "tab10" palette, for series and panels that need distinct colours. */
export const PALETTE: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

const NAMED: Readonly<Record<string, string>> = {
  black: '#000000',
  white: '#ffffff',
  gray: '#808080',
  grey: '#808080',
  lightgray: '#d3d3d3',
  lightgrey: '#d3d3d3',
  red: '#d62728',
  green: '#2ca02c',
  blue: '#1f77b4',
  orange: '#ff7f0e',
  purple: '#9467bd',
  transparent: '#00000000',
};

const colorCache = new Map<string, RGBA>();

/**
 * Parse a {@link Color} into an RGBA tuple (channels clamped to 0–255).
 *
 * @throws ValueRangeError for an unrecognised colour string
 * @example
 * ```ts
 * parseColor('#f80');          // [255, 136, 0, 255]
 * parseColor([10, 20, 30]);    // [10, 20, 30, 255]
 * ```
 */
export function parseColor(color: Color): RGBA {
  if (typeof color !== 'string') {
    const c = (v: number | undefined, d: number): number => Math.min(255, Math.max(0, Math.round(v ?? d)));
    return [c(color[0], 0), c(color[1], 0), c(color[2], 0), c(color[3], 255)];
  }
  const cached = colorCache.get(color);
  if (cached) return cached;
  const s = (NAMED[color.toLowerCase()] ?? color).trim();
  let hex = /^#([0-9a-f]+)$/i.exec(s)?.[1];
  if (hex && (hex.length === 3 || hex.length === 4)) hex = [...hex].map((h) => h + h).join('');
  if (!hex || (hex.length !== 6 && hex.length !== 8)) {
    throw new ValueRangeError(`unrecognised colour '${color}' (expected #rgb, #rrggbb, #rrggbbaa or a name)`, 'color');
  }
  const v = (i: number): number => parseInt(hex.slice(i, i + 2), 16);
  const out: RGBA = [v(0), v(2), v(4), hex.length === 8 ? v(6) : 255];
  colorCache.set(color, out);
  return out;
}

// ---------------------------------------------------------------------------
// Canvas
// ---------------------------------------------------------------------------

/** An axis-aligned pixel rectangle: top-left (x, y), size width × height. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A rendered image: `width·height` RGBA pixels, row-major, top row first. */
export interface RasterImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Stroke options for {@link Canvas.line} and {@link Canvas.polyline}. */
export interface StrokeOptions {
  /** Line width in pixels (default 1). */
  width?: number;
  /** Opacity in [0, 1] (default 1). */
  alpha?: number;
}

/**
 * An RGBA raster with alpha blending and anti-aliased primitives.
 *
 * Pixel (i, j) covers [i, i+1) × [j, j+1); shapes take continuous
 * coordinates, so a dot at (10.5, 4.5) is centred on pixel (10, 4). Lines
 * and dots are anti-aliased by distance-to-shape coverage (a Wu-style
 * one-pixel ramp); every drawing call respects the clip rectangle.
 *
 * @example
 * ```ts
 * const c = new Canvas(100, 50, 'white');
 * c.line(0, 0, 99, 49, '#1f77b4', { width: 2 });
 * c.dot(50, 25, 4, [214, 39, 40], 0.8);
 * const png = encodePng(c.width, c.height, c.rgba);
 * ```
 */
export class Canvas implements TextTarget<Color> {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** The pixels, RGBA, row-major, top row first (non-premultiplied alpha). */
  readonly rgba: Uint8Array;
  private clipRect: { x0: number; y0: number; x1: number; y1: number };
  private mask: Float32Array | undefined;
  private touched: number[] = [];

  constructor(width: number, height: number, background: Color = 'white') {
    for (const [name, v] of [['width', width], ['height', height]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 1 << 15) {
        throw new ValueRangeError(`Canvas: ${name} must be an integer in [1, 32768], got ${String(v)}`, name);
      }
    }
    this.width = width;
    this.height = height;
    this.rgba = new Uint8Array(width * height * 4);
    this.clipRect = { x0: 0, y0: 0, x1: width, y1: height };
    this.fill(background);
  }

  /** Overwrite every pixel with `color` (ignores the clip). */
  fill(color: Color): void {
    const [r, g, b, a] = parseColor(color);
    for (let i = 0; i < this.rgba.length; i += 4) {
      this.rgba[i] = r;
      this.rgba[i + 1] = g;
      this.rgba[i + 2] = b;
      this.rgba[i + 3] = a;
    }
  }

  /** Restrict drawing to `rect` (intersected with the canvas); `null` restores the full canvas. */
  setClip(rect: Rect | null): void {
    if (!rect) {
      this.clipRect = { x0: 0, y0: 0, x1: this.width, y1: this.height };
      return;
    }
    this.clipRect = {
      x0: Math.max(0, Math.floor(rect.x)),
      y0: Math.max(0, Math.floor(rect.y)),
      x1: Math.min(this.width, Math.floor(rect.x + rect.width)),
      y1: Math.min(this.height, Math.floor(rect.y + rect.height)),
    };
  }

  /** The RGBA value of pixel (x, y); `[0, 0, 0, 0]` outside the canvas. */
  getPixel(x: number, y: number): RGBA {
    if (!(x >= 0 && x < this.width && y >= 0 && y < this.height)) return [0, 0, 0, 0];
    const i = (Math.floor(y) * this.width + Math.floor(x)) * 4;
    return [this.rgba[i]!, this.rgba[i + 1]!, this.rgba[i + 2]!, this.rgba[i + 3]!];
  }

  /** Overwrite pixel (x, y) with `color` (no blending); ignored outside the clip. */
  setPixel(x: number, y: number, color: Color): void {
    x = Math.floor(x);
    y = Math.floor(y);
    if (!this.inClip(x, y)) return;
    const c = parseColor(color);
    this.rgba.set(c, (y * this.width + x) * 4);
  }

  /** Blend `color` over pixel (x, y) with extra opacity `alpha` ∈ [0, 1] ("source over"). */
  blendPixel(x: number, y: number, color: Color, alpha = 1): void {
    x = Math.floor(x);
    y = Math.floor(y);
    if (!this.inClip(x, y)) return;
    this.blendIndex(y * this.width + x, parseColor(color), alpha);
  }

  /** Blend a filled integer rectangle. */
  fillRect(x: number, y: number, width: number, height: number, color: Color, alpha = 1): void {
    const c = parseColor(color);
    const x0 = Math.max(this.clipRect.x0, Math.round(x));
    const y0 = Math.max(this.clipRect.y0, Math.round(y));
    const x1 = Math.min(this.clipRect.x1, Math.round(x + width));
    const y1 = Math.min(this.clipRect.y1, Math.round(y + height));
    for (let py = y0; py < y1; py++) for (let px = x0; px < x1; px++) this.blendIndex(py * this.width + px, c, alpha);
  }

  /** Blend a one-pixel outline just inside the integer rectangle. */
  strokeRect(x: number, y: number, width: number, height: number, color: Color, alpha = 1): void {
    x = Math.round(x);
    y = Math.round(y);
    width = Math.round(width);
    height = Math.round(height);
    if (width <= 0 || height <= 0) return;
    this.fillRect(x, y, width, 1, color, alpha);
    if (height > 1) this.fillRect(x, y + height - 1, width, 1, color, alpha);
    if (height > 2) {
      this.fillRect(x, y + 1, 1, height - 2, color, alpha);
      if (width > 1) this.fillRect(x + width - 1, y + 1, 1, height - 2, color, alpha);
    }
  }

  /** An anti-aliased filled disc of `radius` pixels centred at (cx, cy). Non-finite input is ignored. */
  dot(cx: number, cy: number, radius: number, color: Color, alpha = 1): void {
    if (!Number.isFinite(cx) || !Number.isFinite(cy) || !(radius > 0)) return;
    const c = parseColor(color);
    const r = Math.max(0.5, radius);
    const ext = r + 0.5;
    const x0 = Math.max(this.clipRect.x0, Math.floor(cx - ext));
    const x1 = Math.min(this.clipRect.x1 - 1, Math.ceil(cx + ext));
    const y0 = Math.max(this.clipRect.y0, Math.floor(cy - ext));
    const y1 = Math.min(this.clipRect.y1 - 1, Math.ceil(cy + ext));
    for (let py = y0; py <= y1; py++) {
      for (let px = x0; px <= x1; px++) {
        const d = Math.hypot(px + 0.5 - cx, py + 0.5 - cy);
        const cov = Math.min(1, ext - d);
        if (cov > 0) this.blendIndex(py * this.width + px, c, alpha * cov);
      }
    }
  }

  /** An anti-aliased ring (circle outline) of `radius` and stroke `width`. */
  ring(cx: number, cy: number, radius: number, color: Color, width = 1, alpha = 1): void {
    if (!Number.isFinite(cx) || !Number.isFinite(cy) || !(radius > 0)) return;
    const c = parseColor(color);
    const half = width / 2;
    const ext = radius + half + 0.5;
    const x0 = Math.max(this.clipRect.x0, Math.floor(cx - ext));
    const x1 = Math.min(this.clipRect.x1 - 1, Math.ceil(cx + ext));
    const y0 = Math.max(this.clipRect.y0, Math.floor(cy - ext));
    const y1 = Math.min(this.clipRect.y1 - 1, Math.ceil(cy + ext));
    for (let py = y0; py <= y1; py++) {
      for (let px = x0; px <= x1; px++) {
        const d = Math.abs(Math.hypot(px + 0.5 - cx, py + 0.5 - cy) - radius);
        const cov = Math.min(1, half + 0.5 - d);
        if (cov > 0) this.blendIndex(py * this.width + px, c, alpha * cov);
      }
    }
  }

  /** An anti-aliased straight line from (x0, y0) to (x1, y1). */
  line(x0: number, y0: number, x1: number, y1: number, color: Color, options: StrokeOptions = {}): void {
    this.polyline([x0, y0, x1, y1], color, options);
  }

  /**
   * An anti-aliased polyline through `xy = [x0, y0, x1, y1, ...]` (pixel
   * coordinates). A non-finite coordinate breaks the line into pieces.
   * Overlapping segments are blended once (no dark joints at `alpha < 1`).
   */
  polyline(xy: ArrayLike<number>, color: Color, options: StrokeOptions = {}): void {
    const c = parseColor(color);
    const half = Math.max(0.5, options.width ?? 1) / 2;
    const ext = half + 0.5;
    const n = Math.floor(xy.length / 2);
    const box = this.clipRect;
    // Segments are first clipped to the clip box grown by the stroke, which keeps the math finite.
    const grow = ext + 2;
    const bx0 = box.x0 - grow;
    const by0 = box.y0 - grow;
    const bx1 = box.x1 + grow;
    const by1 = box.y1 + grow;
    for (let i = 0; i + 1 < n; i++) {
      const seg = clipSegment(xy[2 * i]!, xy[2 * i + 1]!, xy[2 * i + 2]!, xy[2 * i + 3]!, bx0, by0, bx1, by1);
      if (seg) this.coverSegment(seg[0], seg[1], seg[2], seg[3], ext);
    }
    if (n === 1) {
      const x = xy[0]!;
      const y = xy[1]!;
      if (x > bx0 && x < bx1 && y > by0 && y < by1) this.coverSegment(x, y, x, y, ext);
    }
    this.flushMask(c, options.alpha ?? 1);
  }

  /** Copy out as a {@link RasterImage} (the pixel buffer is shared, not copied). */
  toImage(): RasterImage {
    return { width: this.width, height: this.height, rgba: this.rgba };
  }

  private inClip(x: number, y: number): boolean {
    const r = this.clipRect;
    return x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1;
  }

  private blendIndex(p: number, c: RGBA, alpha: number): void {
    const sa = (c[3] / 255) * Math.min(1, Math.max(0, alpha));
    if (sa <= 0) return;
    const i = p * 4;
    const px = this.rgba;
    const da = px[i + 3]! / 255;
    const oa = sa + da * (1 - sa);
    if (oa <= 0) return;
    const k = (da * (1 - sa)) / oa;
    const s = sa / oa;
    px[i] = Math.round(c[0] * s + px[i]! * k);
    px[i + 1] = Math.round(c[1] * s + px[i + 1]! * k);
    px[i + 2] = Math.round(c[2] * s + px[i + 2]! * k);
    px[i + 3] = Math.round(oa * 255);
  }

  /** Accumulate (max) the coverage of a capsule of radius `ext - 0.5` around segment A–B into the mask. */
  private coverSegment(ax: number, ay: number, bx: number, by: number, ext: number): void {
    const box = this.clipRect;
    const mask = (this.mask ??= new Float32Array(this.width * this.height));
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const len = Math.sqrt(len2);
    const ux = len > 0 ? dx / len : 1;
    const uy = len > 0 ? dy / len : 0;
    const yStart = Math.max(box.y0, Math.floor(Math.min(ay, by) - ext));
    const yEnd = Math.min(box.y1 - 1, Math.ceil(Math.max(ay, by) + ext));
    for (let py = yStart; py <= yEnd; py++) {
      const yc = py + 0.5;
      // x-interval of pixel centres possibly within `ext` of the segment: union of the two end
      // discs and the slab between them (the capsule is convex, so the union is one interval).
      let lo = Infinity;
      let hi = -Infinity;
      for (const [px, pyy] of [[ax, ay], [bx, by]] as const) {
        const h = ext * ext - (yc - pyy) * (yc - pyy);
        if (h >= 0) {
          const s = Math.sqrt(h);
          lo = Math.min(lo, px - s);
          hi = Math.max(hi, px + s);
        }
      }
      if (len > 0) {
        // 0 <= (p-A)·u <= len and |(p-A)·n| <= ext with n = (-uy, ux), p = (x, yc).
        let sLo = -Infinity;
        let sHi = Infinity;
        const constrain = (a: number, b: number, cLo: number, cHi: number): void => {
          // cLo <= a*x + b <= cHi
          if (Math.abs(a) < 1e-12) {
            if (b < cLo || b > cHi) {
              sLo = Infinity;
              sHi = -Infinity;
            }
            return;
          }
          const t0 = (cLo - b) / a;
          const t1 = (cHi - b) / a;
          sLo = Math.max(sLo, Math.min(t0, t1));
          sHi = Math.min(sHi, Math.max(t0, t1));
        };
        constrain(ux, -ax * ux + (yc - ay) * uy, 0, len);
        constrain(-uy, ax * uy + (yc - ay) * ux, -ext, ext);
        if (sLo <= sHi) {
          lo = Math.min(lo, sLo);
          hi = Math.max(hi, sHi);
        }
      }
      if (!(lo <= hi)) continue;
      const xStart = Math.max(box.x0, Math.floor(lo - 1));
      const xEnd = Math.min(box.x1 - 1, Math.ceil(hi + 1));
      for (let px = xStart; px <= xEnd; px++) {
        const xc = px + 0.5;
        let t = len2 > 0 ? ((xc - ax) * dx + (yc - ay) * dy) / len2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const d = Math.hypot(xc - (ax + t * dx), yc - (ay + t * dy));
        const cov = Math.min(1, ext - d);
        if (cov <= 0) continue;
        const idx = py * this.width + px;
        const old = mask[idx]!;
        if (old === 0) this.touched.push(idx);
        if (cov > old) mask[idx] = cov;
      }
    }
  }

  private flushMask(c: RGBA, alpha: number): void {
    const mask = this.mask;
    if (!mask) return;
    for (const idx of this.touched) {
      this.blendIndex(idx, c, alpha * mask[idx]!);
      mask[idx] = 0;
    }
    this.touched = [];
  }
}

/**
 * Liang–Barsky: the part of segment (x0,y0)–(x1,y1) inside the box, or
 * `undefined` when it misses the box or has a non-finite coordinate.
 */
function clipSegment(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  bx0: number,
  by0: number,
  bx1: number,
  by1: number,
): [number, number, number, number] | undefined {
  if (!Number.isFinite(x0) || !Number.isFinite(y0) || !Number.isFinite(x1) || !Number.isFinite(y1)) return undefined;
  const dx = x1 - x0;
  const dy = y1 - y0;
  if (!Number.isFinite(dx) || !Number.isFinite(dy)) return undefined;
  let t0 = 0;
  let t1 = 1;
  const edges: readonly (readonly [number, number])[] = [
    [-dx, x0 - bx0],
    [dx, bx1 - x0],
    [-dy, y0 - by0],
    [dy, by1 - y0],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return undefined;
      continue;
    }
    const r = q / p;
    if (p < 0) {
      if (r > t1) return undefined;
      if (r > t0) t0 = r;
    } else {
      if (r < t0) return undefined;
      if (r < t1) t1 = r;
    }
  }
  return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
}

// ---------------------------------------------------------------------------
// Axes helpers
// ---------------------------------------------------------------------------

/** Axis limits `[min, max]` with `min < max`. */
export type Limits = readonly [number, number];

/**
 * About `target` round tick values (multiples of 1, 2 or 5 × 10^k) within [lo, hi].
 *
 * @example
 * ```ts
 * niceTicks(-2.3, 2.3);   // [-2, -1, 0, 1, 2]
 * niceTicks(0, 1, 5);     // [0, 0.2, 0.4, 0.6, 0.8, 1]
 * ```
 */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) return Number.isFinite(lo) ? [lo] : [];
  const step = niceStep((hi - lo) / Math.max(1, target));
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const out: number[] = [];
  for (let k = first; k <= last && out.length < 1000; k++) out.push(roundTo(k * step, step));
  return out;
}

function niceStep(raw: number): number {
  const e = Math.floor(Math.log10(raw));
  const f = raw / 10 ** e;
  const m = f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10;
  return m * 10 ** e;
}

function roundTo(v: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const r = Number(v.toFixed(Math.min(20, decimals)));
  return r === 0 ? 0 : r;
}

/**
 * A short label for tick value `v` on an axis whose tick spacing is `step`.
 *
 * @example
 * ```ts
 * formatTick(0.5, 0.25);   // '0.5'
 * formatTick(20000, 10000); // '2e4'
 * ```
 */
export function formatTick(v: number, step: number): string {
  if (v === 0 || Object.is(v, -0)) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const digits = Math.max(0, Math.min(3, Math.floor(Math.log10(a)) - Math.floor(Math.log10(step) + 1e-9)));
    const [m, e] = v.toExponential(digits).split('e');
    return `${String(Number(m))}e${Number(e)}`;
  }
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return String(Number(v.toFixed(decimals)));
}

/**
 * The `q`-quantile (q ∈ [0, 1]) of the finite values in a sorted array, linearly interpolated.
 */
function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = Math.min(n - 1, Math.max(0, q * (n - 1)));
  const i = Math.floor(pos);
  const f = pos - i;
  return sorted[i]! + (i + 1 < n ? (sorted[i + 1]! - sorted[i]!) * f : 0);
}

/** Row-major `n × 2` points (`[x0, y0, x1, y1, ...]`). */
export type Points2D = Float32Array | Float64Array | readonly number[];

/**
 * Robust limits of a set of 1-D values: the `percentile` and
 * `100 - percentile` percentiles of the finite values, padded by `pad` × range on
 * each side. Falls back to `[-1, 1]` without finite values and widens a
 * zero range.
 *
 * @example
 * ```ts
 * robustRange([0, 1, 2, 3, 4, 1000], 0, 0.1); // [-100, 1100]
 * ```
 */
export function robustRange(values: ArrayLike<number>, percentile = 0.5, pad = 0.1): Limits {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) finite.push(v);
  }
  if (finite.length === 0) return [-1, 1];
  const sorted = Float64Array.from(finite).sort();
  let lo = quantileSorted(sorted, percentile / 100);
  let hi = quantileSorted(sorted, 1 - percentile / 100);
  if (!(hi > lo)) {
    const w = Math.abs(lo) * 0.1 || 1;
    return [lo - w, hi + w];
  }
  const p = (hi - lo) * pad;
  lo -= p;
  hi += p;
  return [lo, hi];
}

// ---------------------------------------------------------------------------
// Panels
// ---------------------------------------------------------------------------

/** Marker shapes of a {@link MarkersLayer}. */
export type MarkerShape = 'cross' | 'plus' | 'circle' | 'ring' | 'square';

/** Points drawn as translucent discs. */
export interface ScatterLayer {
  kind: 'scatter';
  /** Row-major `n × 2`. */
  points: Points2D;
  color: Color;
  /** Dot diameter in pixels (default 3). */
  size?: number;
  /** Opacity (default 0.6). */
  alpha?: number;
}

/** Polylines (e.g. sampling trajectories), each a row-major `n × 2` array. */
export interface LinesLayer {
  kind: 'lines';
  paths: readonly Points2D[];
  color: Color;
  /** Stroke width in pixels (default 1). */
  width?: number;
  /** Opacity (default 0.8). */
  alpha?: number;
}

/** A few emphasised points (e.g. mixture means), drawn with a white halo. */
export interface MarkersLayer {
  kind: 'markers';
  points: Points2D;
  color: Color;
  /** Marker size in pixels. */
  size: number;
  /** Shape (default `'cross'`). */
  shape?: MarkerShape;
}

/** One layer of a {@link Panel}. */
export type Layer = ScatterLayer | LinesLayer | MarkersLayer;

/** One legend row: a colour swatch and a label. */
export interface LegendEntry {
  label: string;
  color: Color;
}

/** One plot panel. */
export interface Panel {
  /** Drawn above the plot area. */
  title?: string;
  /** Drawn in order (later layers on top). */
  layers: readonly Layer[];
  /** Optional legend, drawn in the top-right corner of the plot area. */
  legend?: readonly LegendEntry[];
}

/** Options of {@link renderPanels}. */
export interface RenderPanelsOptions {
  /** Plot-area width per panel in pixels (default 280). */
  panelWidth?: number;
  /** Plot-area height per panel in pixels (default 280). */
  panelHeight?: number;
  /** Panels per row (default: all in one row). */
  columns?: number;
  /** Shared x limits (default: robust limits of all panels' data). */
  xlim?: Limits;
  /** Shared y limits (default: robust limits of all panels' data). */
  ylim?: Limits;
  /** Percentile cut for automatic limits (default 0.5, i.e. the 0.5/99.5 percentiles). */
  percentile?: number;
  /** Padding of automatic limits as a fraction of their range (default 0.1). */
  pad?: number;
  /**
   * `'equal'` (default) widens automatic limits so one x unit and one y unit
   * span the same number of pixels; `'auto'` leaves them independent.
   */
  aspect?: 'equal' | 'auto';
  /** Figure title above all panels. */
  title?: string;
  /** Background colour (default white). */
  background?: Color;
  /** Light grid lines at the ticks (default true). */
  grid?: boolean;
}

/** Where one panel sits in the figure. */
export interface PanelLayout {
  /** The whole cell of the panel (margins included). */
  cell: Rect;
  /** The band above the plot area where the title goes. */
  titleBand: Rect;
  /** The plot area; data are drawn (and clipped) here, the frame is just outside it. */
  plot: Rect;
}

/** Figure size and panel positions, see {@link layoutPanels}. */
export interface FigureLayout {
  width: number;
  height: number;
  /** Band for the figure title (height 0 without one). */
  titleBand: Rect;
  panels: PanelLayout[];
}

const PAD = 8;
const MARGIN_LEFT = 46;
const MARGIN_RIGHT = 14;
const TITLE_BAND = 26;
const MARGIN_BOTTOM = 18;
const FIGURE_TITLE_BAND = 30;

/**
 * Figure layout of `count` panels for `options` (the same arithmetic
 * {@link renderPanels} uses; exported so callers and tests can find pixels).
 *
 * @example
 * ```ts
 * const { panels } = layoutPanels(3);
 * panels[1]!.plot; // { x: ..., y: ..., width: 280, height: 280 }
 * ```
 */
export function layoutPanels(count: number, options: RenderPanelsOptions = {}): FigureLayout {
  if (!Number.isInteger(count) || count < 1) {
    throw new ValueRangeError(`renderPanels: need at least one panel, got ${String(count)}`, 'panels');
  }
  const pw = positiveInt(options.panelWidth ?? 280, 'panelWidth');
  const ph = positiveInt(options.panelHeight ?? 280, 'panelHeight');
  const columns = Math.min(count, positiveInt(options.columns ?? count, 'columns'));
  const rows = Math.ceil(count / columns);
  const cellW = MARGIN_LEFT + pw + MARGIN_RIGHT;
  const cellH = TITLE_BAND + ph + MARGIN_BOTTOM;
  const ft = options.title ? FIGURE_TITLE_BAND : 0;
  const width = columns * cellW + 2 * PAD;
  const height = ft + rows * cellH + 2 * PAD;
  const panels: PanelLayout[] = [];
  for (let i = 0; i < count; i++) {
    const cx = PAD + (i % columns) * cellW;
    const cy = PAD + ft + Math.floor(i / columns) * cellH;
    panels.push({
      cell: { x: cx, y: cy, width: cellW, height: cellH },
      titleBand: { x: cx + MARGIN_LEFT, y: cy, width: pw, height: TITLE_BAND - 2 },
      plot: { x: cx + MARGIN_LEFT, y: cy + TITLE_BAND, width: pw, height: ph },
    });
  }
  return { width, height, titleBand: { x: 0, y: PAD, width, height: ft }, panels };
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new ValueRangeError(`${name} must be an integer >= 1, got ${String(v)}`, name);
  return v;
}

/**
 * Map data coordinates to continuous pixel coordinates inside `plot`
 * (x grows right, y grows up; `xlim[0]` is the plot's left edge, `ylim[1]` its top edge).
 * The pixel containing the point is `(Math.floor(px), Math.floor(py))`.
 *
 * @example
 * ```ts
 * dataToPixel({ x: 0, y: 0, width: 100, height: 100 }, [0, 1], [0, 1], 0.5, 0.25); // [50, 75]
 * ```
 */
export function dataToPixel(plot: Rect, xlim: Limits, ylim: Limits, x: number, y: number): [number, number] {
  return [
    plot.x + ((x - xlim[0]) / (xlim[1] - xlim[0])) * plot.width,
    plot.y + plot.height - ((y - ylim[0]) / (ylim[1] - ylim[0])) * plot.height,
  ];
}

function checkPoints(p: Points2D, name: string): void {
  if (p.length % 2 !== 0) {
    throw new ShapeError(`${name}: expected row-major n×2 points (even length), got length ${p.length}`, name);
  }
}

function forEachCoordinate(panels: readonly Panel[], f: (x: number, y: number) => void): void {
  for (const panel of panels) {
    for (const layer of panel.layers) {
      const arrays = layer.kind === 'lines' ? layer.paths : [layer.points];
      for (const a of arrays) for (let i = 0; i + 1 < a.length; i += 2) f(a[i]!, a[i + 1]!);
    }
  }
}

/**
 * Shared automatic limits of all panels' data: per axis the 0.5 / 99.5
 * percentiles (see `percentile`) padded by 10 % (see `pad`), widened for an
 * equal aspect unless `aspect: 'auto'`. Explicit `xlim` / `ylim` are kept.
 *
 * @example
 * ```ts
 * const { xlim, ylim } = panelLimits(panels, { panelWidth: 300, panelHeight: 300 });
 * ```
 */
export function panelLimits(panels: readonly Panel[], options: RenderPanelsOptions = {}): { xlim: Limits; ylim: Limits } {
  const xs: number[] = [];
  const ys: number[] = [];
  if (!options.xlim || !options.ylim) {
    forEachCoordinate(panels, (x, y) => {
      if (Number.isFinite(x) && Number.isFinite(y)) {
        xs.push(x);
        ys.push(y);
      }
    });
  }
  const pct = options.percentile ?? 0.5;
  const pad = options.pad ?? 0.1;
  let xlim = options.xlim ? checkLimits(options.xlim, 'xlim') : robustRange(xs, pct, pad);
  let ylim = options.ylim ? checkLimits(options.ylim, 'ylim') : robustRange(ys, pct, pad);
  if ((options.aspect ?? 'equal') === 'equal' && !(options.xlim && options.ylim)) {
    const pw = options.panelWidth ?? 280;
    const ph = options.panelHeight ?? 280;
    const ux = (xlim[1] - xlim[0]) / pw;
    const uy = (ylim[1] - ylim[0]) / ph;
    const u = Math.max(ux, uy);
    const widen = (l: Limits, px: number): Limits => {
      const c = (l[0] + l[1]) / 2;
      return [c - (u * px) / 2, c + (u * px) / 2];
    };
    if (!options.xlim && ux < u) xlim = widen(xlim, pw);
    if (!options.ylim && uy < u) ylim = widen(ylim, ph);
  }
  return { xlim, ylim };
}

function checkLimits(l: Limits, name: string): Limits {
  if (!Number.isFinite(l[0]) || !Number.isFinite(l[1]) || !(l[1] > l[0])) {
    throw new ValueRangeError(`${name} must be two finite numbers [min, max] with min < max, got [${l.join(', ')}]`, name);
  }
  return l;
}

const FRAME = '#b4b4b4';
const GRID = '#ececec';
const TEXT = '#262626';
const TICK_TEXT = '#555555';

/** The largest scale ≤ `preferScale` at which every text fits `width` (at least 1). */
function fittingScale(texts: readonly string[], width: number, preferScale = 2): number {
  let scale = preferScale;
  while (scale > 1 && texts.some((t) => measureText(t, scale).width > width)) scale--;
  return scale;
}

/** Draw `text` centred in `band` at `scale` (falling back to a smaller scale, then truncating, when too wide). */
function drawTitle(canvas: Canvas, band: Rect, text: string, preferScale = 2): void {
  const scale = fittingScale([text], band.width, preferScale);
  const size = measureText(text, scale);
  const maxChars = Math.max(1, Math.floor((band.width + 1) / (CELL_WIDTH * scale)));
  const shown = size.width > band.width ? `${text.slice(0, Math.max(0, maxChars - 2))}..` : text;
  const w = measureText(shown, scale).width;
  drawText(canvas, band.x + (band.width - w) / 2, band.y + (band.height - GLYPH_HEIGHT * scale) / 2 + 1, shown, TEXT, scale);
}

interface AxisTicks {
  /** Pixel position along the axis and label. */
  at: { pos: number; label: string }[];
}

function linearTicks(lim: Limits, target: number, toPixel: (v: number) => number, transformLabel?: (v: number) => number): AxisTicks {
  const vals = niceTicks(lim[0], lim[1], target);
  const step = vals.length > 1 ? vals[1]! - vals[0]! : Math.abs(vals[0] ?? 1) || 1;
  return {
    at: vals.map((v) => ({ pos: toPixel(v), label: formatTick(transformLabel ? transformLabel(v) : v, step) })),
  };
}

/** Frame, grid and tick labels around `plot`. */
function drawAxes(canvas: Canvas, plot: Rect, xt: AxisTicks, yt: AxisTicks, grid: boolean): void {
  canvas.setClip(null);
  if (grid) {
    for (const t of xt.at) {
      const px = Math.floor(t.pos);
      if (px > plot.x && px < plot.x + plot.width - 1) canvas.fillRect(px, plot.y, 1, plot.height, GRID);
    }
    for (const t of yt.at) {
      const py = Math.floor(t.pos);
      if (py > plot.y && py < plot.y + plot.height - 1) canvas.fillRect(plot.x, py, plot.width, 1, GRID);
    }
  }
  canvas.strokeRect(plot.x - 1, plot.y - 1, plot.width + 2, plot.height + 2, FRAME);
  for (const t of xt.at) {
    const px = Math.floor(t.pos);
    if (px < plot.x - 1 || px > plot.x + plot.width) continue;
    canvas.fillRect(px, plot.y + plot.height + 1, 1, 3, FRAME);
    const w = measureText(t.label).width;
    const lx = Math.min(Math.max(px - Math.floor(w / 2), plot.x - 4), plot.x + plot.width + 4 - w);
    drawText(canvas, lx, plot.y + plot.height + 6, t.label, TICK_TEXT);
  }
  for (const t of yt.at) {
    const py = Math.floor(t.pos);
    if (py < plot.y - 1 || py > plot.y + plot.height) continue;
    canvas.fillRect(plot.x - 4, py, 3, 1, FRAME);
    const w = measureText(t.label).width;
    drawText(canvas, plot.x - 7 - w, py - 3, t.label, TICK_TEXT);
  }
}

/** Legend box in the top-right corner of `plot`. */
function drawLegend(canvas: Canvas, plot: Rect, entries: readonly LegendEntry[]): void {
  if (entries.length === 0) return;
  canvas.setClip(plot);
  const rowH = 12;
  const textW = Math.max(...entries.map((e) => measureText(e.label).width));
  const w = 8 + 10 + 5 + textW + 8;
  const h = entries.length * rowH + 8;
  const x = plot.x + plot.width - w - 6;
  const y = plot.y + 6;
  canvas.fillRect(x, y, w, h, 'white', 0.85);
  canvas.strokeRect(x, y, w, h, FRAME);
  entries.forEach((e, i) => {
    const ry = y + 5 + i * rowH;
    canvas.fillRect(x + 8, ry, 10, 8, e.color);
    drawText(canvas, x + 8 + 10 + 5, ry, e.label, TEXT);
  });
  canvas.setClip(null);
}

function drawMarker(canvas: Canvas, x: number, y: number, size: number, shape: MarkerShape, color: Color, halo: boolean): void {
  const r = size / 2;
  const w = Math.max(1.5, size / 5) + (halo ? 2 : 0);
  switch (shape) {
    case 'cross':
      canvas.line(x - r, y - r, x + r, y + r, color, { width: w });
      canvas.line(x - r, y + r, x + r, y - r, color, { width: w });
      break;
    case 'plus':
      canvas.line(x - r, y, x + r, y, color, { width: w });
      canvas.line(x, y - r, x, y + r, color, { width: w });
      break;
    case 'circle':
      canvas.dot(x, y, r + (halo ? 1 : 0), color);
      break;
    case 'ring':
      canvas.ring(x, y, r, color, w);
      break;
    case 'square': {
      const e = r + (halo ? 1 : 0);
      canvas.fillRect(Math.round(x - e), Math.round(y - e), Math.round(2 * e), Math.round(2 * e), color);
      break;
    }
  }
}

function drawLayer(canvas: Canvas, layer: Layer, map: (x: number, y: number) => [number, number], name: string): void {
  switch (layer.kind) {
    case 'scatter': {
      checkPoints(layer.points, `${name}.points`);
      const c = parseColor(layer.color);
      const r = (layer.size ?? 3) / 2;
      const alpha = layer.alpha ?? 0.6;
      const p = layer.points;
      for (let i = 0; i + 1 < p.length; i += 2) {
        const [px, py] = map(p[i]!, p[i + 1]!);
        if (Number.isFinite(px) && Number.isFinite(py)) canvas.dot(px, py, r, c, alpha);
      }
      break;
    }
    case 'lines': {
      const alpha = layer.alpha ?? 0.8;
      layer.paths.forEach((path, k) => {
        checkPoints(path, `${name}.paths[${k}]`);
        const xy = new Float64Array(path.length);
        for (let i = 0; i + 1 < path.length; i += 2) {
          const [px, py] = map(path[i]!, path[i + 1]!);
          xy[i] = px;
          xy[i + 1] = py;
        }
        canvas.polyline(xy, layer.color, { width: layer.width ?? 1, alpha });
      });
      break;
    }
    case 'markers': {
      checkPoints(layer.points, `${name}.points`);
      const shape = layer.shape ?? 'cross';
      const p = layer.points;
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i + 1 < p.length; i += 2) {
          const [px, py] = map(p[i]!, p[i + 1]!);
          if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
          drawMarker(canvas, px, py, layer.size, shape, pass === 0 ? 'white' : layer.color, pass === 0);
        }
      }
      break;
    }
  }
}

/**
 * Render 2-D panels side by side (or in a grid with `columns`) with shared
 * axis limits, light frames, round-valued ticks, titles and legends.
 * Non-finite points are skipped; anything outside the limits is clipped.
 *
 * @throws ShapeError for point arrays of odd length; ValueRangeError for bad sizes or limits
 * @example
 * ```ts
 * const image = renderPanels(
 *   [
 *     { title: 'target', layers: [{ kind: 'scatter', points: data, color: PALETTE[0]! }] },
 *     { title: 'teacher', layers: [{ kind: 'lines', paths: trajectories, color: '#999', alpha: 0.3 }],
 *       legend: [{ label: 'ODE paths', color: '#999' }] },
 *   ],
 *   { xlim: [-3, 3], ylim: [-3, 3] },
 * );
 * ```
 */
export function renderPanels(panels: readonly Panel[], options: RenderPanelsOptions = {}): RasterImage {
  const layout = layoutPanels(panels.length, options);
  const { xlim, ylim } = panelLimits(panels, options);
  const canvas = new Canvas(layout.width, layout.height, options.background ?? 'white');
  if (options.title) drawTitle(canvas, layout.titleBand, options.title, 2);
  // One title size for all panels: the largest at which every title fits.
  const titleScale = fittingScale(
    panels.map((p) => p.title ?? ''),
    layout.panels[0]!.titleBand.width,
  );
  panels.forEach((panel, i) => {
    const { plot, titleBand } = layout.panels[i]!;
    const xt = linearTicks(xlim, Math.max(2, Math.round(plot.width / 50)), (v) => dataToPixel(plot, xlim, ylim, v, ylim[0])[0]);
    const yt = linearTicks(ylim, Math.max(2, Math.round(plot.height / 50)), (v) => dataToPixel(plot, xlim, ylim, xlim[0], v)[1]);
    drawAxes(canvas, plot, xt, yt, options.grid ?? true);
    canvas.setClip(plot);
    const map = (x: number, y: number): [number, number] => dataToPixel(plot, xlim, ylim, x, y);
    panel.layers.forEach((layer, k) => drawLayer(canvas, layer, map, `panels[${i}].layers[${k}]`));
    canvas.setClip(null);
    if (panel.legend) drawLegend(canvas, plot, panel.legend);
    if (panel.title) drawTitle(canvas, titleBand, panel.title, titleScale);
  });
  return canvas.toImage();
}

// ---------------------------------------------------------------------------
// Line chart
// ---------------------------------------------------------------------------

/** One curve of {@link renderLineChart}. */
export interface LineSeries {
  label: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  color: Color;
  /** Stroke width (default 1.5). */
  width?: number;
}

/** Options of {@link renderLineChart}. */
export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis; non-positive values are skipped (default false). */
  logY?: boolean;
  /** Image width (default 640). */
  width?: number;
  /** Image height (default 400). */
  height?: number;
  /** x limits (default: the data's min and max). */
  xlim?: Limits;
  /** y limits in data units (default: the data's min and max, padded 5 %). */
  ylim?: Limits;
  background?: Color;
  /** Light grid lines at the ticks (default true). */
  grid?: boolean;
}

/** Where the plot area of a line chart sits, see {@link lineChartLayout}. */
export interface LineChartLayout {
  width: number;
  height: number;
  titleBand: Rect;
  plot: Rect;
  /** x limits. */
  xlim: Limits;
  /** y limits in axis units (log10 of the data with `logY`). */
  ylim: Limits;
}

function extent(arrays: readonly ArrayLike<number>[], keep: (v: number) => boolean): Limits | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      if (keep(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return lo <= hi ? [lo, hi] : undefined;
}

function widenIfFlat(l: Limits): Limits {
  if (l[1] > l[0]) return l;
  const w = Math.abs(l[0]) * 0.1 || 1;
  return [l[0] - w, l[1] + w];
}

function logTicks(lim: Limits, toPixel: (v: number) => number): AxisTicks {
  const [lo, hi] = lim;
  if (hi - lo < 1.5) {
    // Under ~1.5 decades: round values in data units, placed at their log positions.
    const vals = niceTicks(10 ** lo, 10 ** hi, 4).filter((v) => v > 0);
    const step = vals.length > 1 ? vals[1]! - vals[0]! : vals[0] ?? 1;
    return { at: vals.map((v) => ({ pos: toPixel(Math.log10(v)), label: formatTick(v, step) })) };
  }
  const at: { pos: number; label: string }[] = [];
  const label = (m: number, e: number): string => (e >= -3 && e <= 4 ? formatTick(m * 10 ** e, 10 ** e) : `${m}e${e}`);
  if (hi - lo < 3) {
    // Up to 3 decades: 1, 2, 5 × 10^e.
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
      for (const m of [1, 2, 5]) {
        const v = e + Math.log10(m);
        if (v >= lo && v <= hi) at.push({ pos: toPixel(v), label: label(m, e) });
      }
    }
    return { at };
  }
  const decades = Math.floor(hi) - Math.ceil(lo) + 1;
  const every = Math.max(1, Math.ceil(decades / 6));
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
    if (e % every === 0) at.push({ pos: toPixel(e), label: label(1, e) });
  }
  return { at };
}

function yTicksFor(ylim: Limits, logY: boolean, plot: Rect): AxisTicks {
  const toPixel = (v: number): number => plot.y + plot.height - ((v - ylim[0]) / (ylim[1] - ylim[0])) * plot.height;
  return logY ? logTicks(ylim, toPixel) : linearTicks(ylim, Math.max(2, Math.round(plot.height / 60)), toPixel);
}

/**
 * Layout and limits {@link renderLineChart} uses for `series` and `options`.
 *
 * @example
 * ```ts
 * const series = [{ label: 'loss', xs: [100, 200, 300], ys: [0.9, 0.5, 0.3], color: PALETTE[0]! }];
 * const { plot, xlim, ylim } = lineChartLayout(series, { logY: true });
 * ```
 */
export function lineChartLayout(series: readonly LineSeries[], options: LineChartOptions = {}): LineChartLayout {
  const width = positiveInt(options.width ?? 640, 'width');
  const height = positiveInt(options.height ?? 400, 'height');
  const logY = options.logY ?? false;
  const xlim = options.xlim
    ? checkLimits(options.xlim, 'xlim')
    : widenIfFlat(extent(series.map((s) => s.xs), Number.isFinite) ?? [0, 1]);
  let ylim: Limits;
  if (options.ylim) {
    const l = checkLimits(options.ylim, 'ylim');
    if (logY && !(l[0] > 0)) throw new ValueRangeError(`ylim must be positive with logY, got [${l.join(', ')}]`, 'ylim');
    ylim = logY ? [Math.log10(l[0]), Math.log10(l[1])] : l;
  } else {
    const e = extent(
      series.map((s) => s.ys),
      logY ? (v) => Number.isFinite(v) && v > 0 : Number.isFinite,
    );
    const raw: Limits = e ? (logY ? [Math.log10(e[0]), Math.log10(e[1])] : e) : logY ? [0, 1] : [0, 1];
    const w = widenIfFlat(raw);
    const p = (w[1] - w[0]) * 0.05;
    ylim = [w[0] - p, w[1] + p];
  }
  const titleH = options.title ? TITLE_BAND + 4 : 10;
  // Left margin: widest y tick label + tick + gap (+ rotated y label).
  const probe: Rect = { x: 0, y: 0, width: 100, height: Math.max(60, height - titleH - 40) };
  const labelW = Math.max(0, ...yTicksFor(ylim, logY, probe).at.map((t) => measureText(t.label).width));
  const left = PAD + (options.yLabel ? GLYPH_HEIGHT + 6 : 0) + labelW + 8;
  const bottom = 18 + (options.xLabel ? GLYPH_HEIGHT + 6 : 0) + PAD;
  const right = 18;
  const plot: Rect = {
    x: left,
    y: titleH,
    width: Math.max(10, width - left - right),
    height: Math.max(10, height - titleH - bottom),
  };
  return { width, height, titleBand: { x: 0, y: 4, width, height: TITLE_BAND }, plot, xlim, ylim };
}

/**
 * A line chart (e.g. loss curves over training steps), optionally with a
 * logarithmic y axis; a legend lists the series labels.
 *
 * @example
 * ```ts
 * const steps = [100, 200, 300];
 * const losses = [0.9, 0.5, 0.3];
 * const image = renderLineChart(
 *   [{ label: 'teacher loss', xs: steps, ys: losses, color: PALETTE[0]! }],
 *   { title: 'training', xLabel: 'step', yLabel: 'loss', logY: true },
 * );
 * await savePng('out/loss.png', image);
 * ```
 */
export function renderLineChart(series: readonly LineSeries[], options: LineChartOptions = {}): RasterImage {
  const logY = options.logY ?? false;
  const layout = lineChartLayout(series, options);
  const { plot, xlim, ylim } = layout;
  const canvas = new Canvas(layout.width, layout.height, options.background ?? 'white');
  const map = (x: number, y: number): [number, number] => {
    const v = logY ? (y > 0 ? Math.log10(y) : NaN) : y;
    return dataToPixel(plot, xlim, ylim, x, v);
  };
  const xt = linearTicks(xlim, Math.max(2, Math.round(plot.width / 90)), (v) => dataToPixel(plot, xlim, ylim, v, ylim[0])[0]);
  drawAxes(canvas, plot, xt, yTicksFor(ylim, logY, plot), options.grid ?? true);
  canvas.setClip(plot);
  series.forEach((s, k) => {
    if (s.xs.length !== s.ys.length) {
      throw new ShapeError(`series[${k}] '${s.label}': xs has ${s.xs.length} values but ys has ${s.ys.length}`, `series[${k}]`);
    }
    const xy = new Float64Array(2 * s.xs.length);
    for (let i = 0; i < s.xs.length; i++) {
      const [px, py] = map(s.xs[i]!, s.ys[i]!);
      xy[2 * i] = px;
      xy[2 * i + 1] = py;
    }
    canvas.polyline(xy, s.color, { width: s.width ?? 1.5 });
  });
  canvas.setClip(null);
  drawLegend(
    canvas,
    plot,
    series.filter((s) => s.label).map((s) => ({ label: s.label, color: s.color })),
  );
  if (options.title) drawTitle(canvas, layout.titleBand, options.title, 2);
  if (options.xLabel) {
    const w = measureText(options.xLabel).width;
    drawText(canvas, plot.x + (plot.width - w) / 2, plot.y + plot.height + 18, options.xLabel, TEXT);
  }
  if (options.yLabel) {
    const w = measureText(options.yLabel).width;
    drawText(canvas, PAD, plot.y + (plot.height - w) / 2, options.yLabel, TEXT, 1, { rotate: 90 });
  }
  return canvas.toImage();
}

// ---------------------------------------------------------------------------
// Image panels
// ---------------------------------------------------------------------------

/** One panel of {@link renderImagePanels}: a title above an image (e.g. a grid of samples). */
export interface ImagePanel {
  title?: string;
  /** Drawn unscaled, centred in its cell (opaque; alpha is ignored). */
  image: RasterImage;
}

/** Options of {@link renderImagePanels}. */
export interface RenderImagePanelsOptions {
  /** Panels per row (default: all in one row). */
  columns?: number;
  /** Figure title above all panels. */
  title?: string;
  /** Background colour (default white). */
  background?: Color;
}

/** The pixel rectangles of {@link renderImagePanels}' figure: where each image and its title go. */
export interface ImagePanelsLayout {
  width: number;
  height: number;
  titleBand: Rect;
  panels: { titleBand: Rect; image: Rect }[];
}

const IMAGE_CELL_PAD = 10;

/**
 * Figure layout of {@link renderImagePanels}: cells as large as the largest image plus a title band, `columns` per
 * row; each image centred in its cell.
 *
 * @example
 * ```ts
 * layoutImagePanels([{ width: 242, height: 242 }, { width: 242, height: 242 }], { columns: 2 }).width; // 2·(242 + 20) + 16
 * ```
 */
export function layoutImagePanels(sizes: readonly { width: number; height: number }[], options: Pick<RenderImagePanelsOptions, 'columns' | 'title'> = {}): ImagePanelsLayout {
  if (sizes.length < 1) throw new ValueRangeError(`renderImagePanels: need at least one panel, got ${sizes.length}`, 'panels');
  const columns = Math.min(sizes.length, positiveInt(options.columns ?? sizes.length, 'columns'));
  const rows = Math.ceil(sizes.length / columns);
  const cellW = Math.max(...sizes.map((s) => s.width)) + 2 * IMAGE_CELL_PAD;
  const cellH = TITLE_BAND + Math.max(...sizes.map((s) => s.height)) + IMAGE_CELL_PAD;
  const ft = options.title ? FIGURE_TITLE_BAND : 0;
  const panels = sizes.map((s, i) => {
    const cx = PAD + (i % columns) * cellW;
    const cy = PAD + ft + Math.floor(i / columns) * cellH;
    return {
      titleBand: { x: cx + 4, y: cy, width: cellW - 8, height: TITLE_BAND - 2 },
      image: { x: cx + Math.floor((cellW - s.width) / 2), y: cy + TITLE_BAND, width: s.width, height: s.height },
    };
  });
  return { width: columns * cellW + 2 * PAD, height: ft + rows * cellH + 2 * PAD, titleBand: { x: 0, y: PAD, width: columns * cellW + 2 * PAD, height: ft }, panels };
}

/**
 * Lays titled images side by side (e.g. sample grids of several samplers) into one figure.
 *
 * @throws ValueRangeError for no panels, a bad `columns`, or an image whose `rgba` is not `width·height·4` bytes
 * @example
 * ```ts
 * import { imageGrid } from '@charlearn/metrics';
 * const figure = renderImagePanels(
 *   [{ title: 'data', image: imageGrid(dataPixels, { shape: [64, 28, 28, 1], cols: 8 }) },
 *    { title: 'one step: 88.5', image: imageGrid(samplePixels, { shape: [64, 28, 28, 1], cols: 8 }) }],
 *   { title: 'mnist', columns: 2 },
 * );
 * await savePng('samples.png', figure);
 * ```
 */
export function renderImagePanels(panels: readonly ImagePanel[], options: RenderImagePanelsOptions = {}): RasterImage {
  panels.forEach((p, i) => {
    const { width, height, rgba } = p.image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || rgba.length !== width * height * 4) {
      throw new ValueRangeError(`panels[${i}].image must be width x height RGBA (${String(width)} x ${String(height)} x 4 bytes), got ${rgba.length} bytes`, `panels[${i}].image`);
    }
  });
  const layout = layoutImagePanels(panels.map((p) => p.image), options);
  const canvas = new Canvas(layout.width, layout.height, options.background ?? 'white');
  if (options.title) drawTitle(canvas, layout.titleBand, options.title, 2);
  const titleScale = fittingScale(panels.map((p) => p.title ?? ''), layout.panels[0]!.titleBand.width);
  panels.forEach((panel, i) => {
    const { image: at, titleBand } = layout.panels[i]!;
    const { width, height, rgba } = panel.image;
    for (let y = 0; y < height; y++) {
      const from = y * width * 4;
      const to = ((at.y + y) * canvas.width + at.x) * 4;
      canvas.rgba.set(rgba.subarray(from, from + width * 4), to);
      for (let x = 0; x < width; x++) canvas.rgba[to + 4 * x + 3] = 255;
    }
    if (panel.title) drawTitle(canvas, titleBand, panel.title, titleScale);
  });
  return canvas.toImage();
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

/**
 * Encode `image` as PNG and write it atomically (parent directories are created).
 *
 * @example
 * ```ts
 * await savePng('out/run/samples.png', renderPanels(panels));
 * ```
 */
export async function savePng(path: string, image: RasterImage): Promise<void> {
  await writeFileAtomic(path, encodePng(image.width, image.height, image.rgba));
}
