/**
 * Sample grids: a batch of images `[n, H, W, C]` (C = 1 grey or 3 RGB) laid
 * out row-major on a grid, upscaled by an integer factor, padded, and encoded
 * as a PNG. `imageGrid` and `imageGridPng` are browser-safe; `writeImageGrid`
 * loads `node:fs` only when called.
 *
 * @example
 * ```ts
 * import { writeImageGrid } from '@charlearn/metrics';
 * await writeImageGrid('out/samples.png', samples, { rows: 8, scale: 2, range: [-1, 1] });
 * ```
 * @packageDocumentation
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { assertNumber, isTensor, ShapeError, TypeMismatchError, typeLabel, ValueRangeError } from '@charlearn/core';
import { encodePng } from './png';

/** Images for a grid: a tensor `[n, H, W, C]`, or flat NHWC values with `options.shape`. */
export type GridImages = Tensor | Float32Array;

/** Options of {@link imageGrid}, {@link imageGridPng} and {@link writeImageGrid}. */
export interface ImageGridOptions {
  /** `[n, H, W, C]` of a Float32Array `images` (required then; must match a tensor's shape if given). */
  shape?: readonly [number, number, number, number];
  /** Grid rows (default `ceil(n / cols)`). */
  rows?: number;
  /** Grid columns (default `ceil(n / rows)`, or `ceil(√n)` when neither is given). Images beyond `rows·cols` are not drawn. */
  cols?: number;
  /** Integer upscaling factor, nearest neighbour (default 1). */
  scale?: number;
  /** Pixels of background between cells and around the grid, in output pixels (default 2). */
  pad?: number;
  /** The values shown as black and white, `[lo, hi]` (default `[0, 1]`; `[-1, 1]` for model space). Values outside are clipped, NaN is black. */
  range?: readonly [number, number];
  /** Grey level in [0, 1] of the padding and of empty cells (default 0.5). */
  background?: number;
}

/** An 8-bit RGBA image, row-major, top row first. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** `width·height·4` bytes. */
  readonly rgba: Uint8Array;
}

/** The layout {@link imageGrid} uses, from validated options. */
export interface GridLayout {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly c: 1 | 3;
  readonly rows: number;
  readonly cols: number;
  readonly scale: number;
  readonly pad: number;
  readonly width: number;
  readonly height: number;
  /** The value range shown as black → white. */
  readonly range: readonly [number, number];
  /** Background byte 0–255. */
  readonly background: number;
}

/**
 * Validates `images` and `options` and computes the grid layout, before any
 * pixel is read. A shape other than `[n ≥ 1, H ≥ 1, W ≥ 1, C ∈ {1, 3}]`, or a
 * Float32Array whose length does not match `options.shape` → {@link ShapeError};
 * a bad `rows`/`cols`/`scale`/`pad`/`range`/`background` → {@link ValueRangeError}
 * (or {@link TypeMismatchError} for a non-number).
 *
 * @example
 * ```ts
 * gridLayout(new Float32Array(10 * 28 * 28), { shape: [10, 28, 28, 1], pad: 1 });
 * // { rows: 3, cols: 4, width: 4·28 + 5 = 117, height: 3·28 + 4 = 88, ... }
 * ```
 */
export function gridLayout(images: unknown, options: ImageGridOptions = {}): GridLayout {
  if (typeof options !== 'object' || options === null) {
    throw new TypeMismatchError(`options must be an object, got ${typeLabel(options)}`, 'options');
  }
  const shape = imageShape(images, options.shape);
  const [n, h, w, c] = shape;
  if (options.rows !== undefined) assertNumber('options.rows', options.rows, { integer: true, min: 1 });
  if (options.cols !== undefined) assertNumber('options.cols', options.cols, { integer: true, min: 1 });
  const scale = options.scale ?? 1;
  const pad = options.pad ?? 2;
  assertNumber('options.scale', scale, { integer: true, min: 1, max: 64 });
  assertNumber('options.pad', pad, { integer: true, min: 0, max: 256 });
  const range = options.range ?? [0, 1];
  if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => Number.isFinite(v)) || !(range[0]! < range[1]!)) {
    throw new ValueRangeError(`options.range must be [lo, hi] with finite lo < hi, got ${JSON.stringify(options.range)}`, 'options.range');
  }
  const background = options.background ?? 0.5;
  assertNumber('options.background', background, { min: 0, max: 1 });
  const cols = options.cols ?? (options.rows !== undefined ? Math.ceil(n / options.rows) : Math.ceil(Math.sqrt(n)));
  const rows = options.rows ?? Math.ceil(n / cols);
  const width = cols * w * scale + (cols + 1) * pad;
  const height = rows * h * scale + (rows + 1) * pad;
  if (width * height > 1 << 28) {
    throw new ValueRangeError(`the grid would be ${width}×${height} pixels; at most 2^28 are allowed (fewer rows/cols or a smaller scale)`, 'options');
  }
  return { n, h, w, c: c as 1 | 3, rows, cols, scale, pad, width, height, range: [range[0]!, range[1]!], background: Math.round(background * 255) };
}

function imageShape(images: unknown, given: unknown): [number, number, number, number] {
  const want = '[n, H, W, C] with n, H, W >= 1 and C = 1 (grey) or 3 (RGB)';
  const check = (s: readonly number[], what: string, parameter: string): [number, number, number, number] => {
    const ok = s.length === 4 && s.every((d) => Number.isInteger(d) && d >= 1) && (s[3] === 1 || s[3] === 3);
    if (!ok) throw new ShapeError(`${what} must be ${want}, got [${s.join(', ')}]`, parameter);
    return [s[0]!, s[1]!, s[2]!, s[3]!];
  };
  const givenShape = (): [number, number, number, number] | undefined => {
    if (given === undefined) return undefined;
    if (!Array.isArray(given)) throw new ShapeError(`options.shape must be ${want}, got ${typeLabel(given)}`, 'options.shape');
    return check(given as number[], 'options.shape', 'options.shape');
  };
  if (isTensor(images)) {
    if ((images as { isDisposed?: boolean }).isDisposed) throw new ShapeError('images is a disposed tensor', 'images');
    const s = check(images.shape, 'images', 'images');
    const g = givenShape();
    if (g && g.some((d, i) => d !== s[i])) {
      throw new ShapeError(`options.shape [${g.join(', ')}] does not match the shape of images [${s.join(', ')}]`, 'options.shape');
    }
    return s;
  }
  if (images instanceof Float32Array) {
    const s = givenShape();
    if (!s) throw new ShapeError(`options.shape (${want}) is required when images is a Float32Array`, 'options.shape');
    const size = s.reduce((a, d) => a * d, 1);
    if (images.length !== size) {
      throw new ShapeError(`images must hold n·H·W·C = ${s.join('·')} = ${size} values for options.shape, got ${images.length}`, 'images');
    }
    return s;
  }
  throw new ShapeError(`images must be a tensor ${want} or a Float32Array with options.shape, got ${typeLabel(images)}`, 'images');
}

/** `v` → byte through `[lo, hi] → [0, 255]`, clipped; NaN → 0. */
function toByte(v: number, lo: number, span: number): number {
  const u = (v - lo) / span;
  return u >= 1 ? 255 : u > 0 ? Math.round(u * 255) : 0;
}

/**
 * Lays `images` `[n, H, W, C]` out on a grid (row-major: image `k` in row
 * `⌊k / cols⌋`, column `k mod cols`) as an RGBA image: values mapped from
 * `range` to 0–255 and clipped, grey (C = 1) repeated on R, G, B, opaque.
 * Reads a tensor with `dataSync` (does not dispose it, creates no tensors).
 *
 * @example
 * ```ts
 * const { width, height, rgba } = imageGrid(x, { cols: 10, range: [-1, 1] }); // x: Tensor4D [100, 28, 28, 1]
 * const ctx = document.querySelector('canvas')!.getContext('2d')!;  // in a browser
 * ctx.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
 * ```
 */
export function imageGrid(images: GridImages, options: ImageGridOptions = {}): RgbaImage {
  const L = gridLayout(images, options);
  const [lo, hi] = L.range;
  const bg = L.background;
  const data = images instanceof Float32Array ? images : (images.dataSync() as ArrayLike<number>);
  const { h, w, c, scale, pad, width, height } = L;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < rgba.length; i += 4) rgba.set([bg, bg, bg, 255], i);
  const shown = Math.min(L.n, L.rows * L.cols);
  const span = hi - lo;
  for (let k = 0; k < shown; k++) {
    const x0 = pad + (k % L.cols) * (w * scale + pad);
    const y0 = pad + Math.floor(k / L.cols) * (h * scale + pad);
    const base = k * h * w * c;
    for (let y = 0; y < h * scale; y++) {
      const srcRow = base + Math.floor(y / scale) * w * c;
      const dstRow = ((y0 + y) * width + x0) * 4;
      for (let x = 0; x < w * scale; x++) {
        const s = srcRow + Math.floor(x / scale) * c;
        const d = dstRow + x * 4;
        const r = toByte(data[s]!, lo, span);
        rgba[d] = r;
        rgba[d + 1] = c === 3 ? toByte(data[s + 1]!, lo, span) : r;
        rgba[d + 2] = c === 3 ? toByte(data[s + 2]!, lo, span) : r;
      }
    }
  }
  return { width, height, rgba };
}

/**
 * {@link imageGrid} encoded as PNG bytes.
 *
 * @example
 * ```ts
 * const png = imageGridPng(samples, { rows: 10, cols: 10, scale: 2 }); // samples: [100, 28, 28, 1] in [0, 1]
 * ```
 */
export function imageGridPng(images: GridImages, options: ImageGridOptions = {}): Uint8Array {
  const { width, height, rgba } = imageGrid(images, options);
  return encodePng(width, height, rgba);
}

/**
 * Writes {@link imageGridPng} to `path` (Node only), atomically: to a temp
 * file beside it, then renamed over it, so a reader never sees a partial PNG.
 * Parent folders are created. Everything is validated before the file system
 * is touched.
 *
 * @example
 * ```ts
 * import { loadMnist } from '@charlearn/data/images';
 * const set = await loadMnist({ split: 'test' });
 * await writeImageGrid('docs/mnist.png', set.images, { shape: [set.count, 28, 28, 1], rows: 10, cols: 10, scale: 2 });
 * ```
 */
export async function writeImageGrid(path: string, images: GridImages, options: ImageGridOptions = {}): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeMismatchError(`path must be a non-empty string, got ${typeLabel(path)}`, 'path');
  }
  const png = imageGridPng(images, options);
  const fs = await import('node:fs/promises');
  const { basename, dirname, join } = await import('node:path');
  const dir = dirname(path);
  await fs.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}.tmp`);
  const fh = await fs.open(tmp, 'wx');
  try {
    await fh.writeFile(png);
    await fh.sync();
    await fh.close();
    await fs.rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
}
