import { ValueRangeError } from '@charlearn/core';
import { encodePng } from '@charlearn/metrics';
import { FIGURE_CONFIG, type Figure } from './figure';

/** An 8-bit RGBA image, row-major, top row first (e.g. `imageGrid` of `@charlearn/metrics`). */
export interface RasterImage {
  readonly width: number;
  readonly height: number;
  /** `width·height·4` bytes. */
  readonly rgba: Uint8Array;
}

/** One panel of {@link imagePanelsFigure}: a title above a pixel image (e.g. a grid of samples). */
export interface ImagePanel {
  title?: string;
  /** Drawn at one SVG unit a pixel, without smoothing. */
  image: RasterImage;
}

/** Options of {@link imagePanelsFigure}. */
export interface ImagePanelsOptions {
  /** Panels per row (default: all in one row). */
  columns?: number;
  /** Figure title above all panels. */
  title?: string;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Standard base64 of `bytes` (RFC 4648, with padding); the same in Node and the browser.
 *
 * @example
 * ```ts
 * toBase64(new Uint8Array([77, 97, 110])); // 'TWFu'
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += BASE64[(n >> 18) & 63]! + BASE64[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63]! : '=';
    out += i + 2 < bytes.length ? BASE64[n & 63]! : '=';
  }
  return out;
}

/**
 * A figure of titled pixel images side by side, `columns` per row: the images stay pixels (a PNG data URL in an
 * image mark), the titles are text.
 *
 * @throws ValueRangeError for no panels, bad `columns`, or an image whose `rgba` is not `width·height·4` bytes
 * @example
 * ```ts
 * import { imageGrid } from '@charlearn/metrics';
 * const figure = imagePanelsFigure(
 *   [{ title: 'data', image: imageGrid(new Float32Array(4 * 28 * 28), { shape: [4, 28, 28, 1], cols: 2 }) }],
 *   { title: 'mnist' },
 * );
 * ```
 */
export function imagePanelsFigure(panels: readonly ImagePanel[], options: ImagePanelsOptions = {}): Figure {
  if (panels.length < 1) throw new ValueRangeError(`imagePanelsFigure: need at least one panel, got ${panels.length}`, 'panels');
  const columns = options.columns ?? panels.length;
  if (!Number.isInteger(columns) || columns < 1) throw new ValueRangeError(`columns must be a positive integer, got ${String(columns)}`, 'columns');
  const views = panels.map((p, i) => {
    const { width, height, rgba } = p.image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || rgba.length !== width * height * 4) {
      throw new ValueRangeError(`panels[${i}].image must be width x height RGBA (${String(width)} x ${String(height)} x 4 bytes), got ${rgba.length} bytes`, `panels[${i}].image`);
    }
    const url = `data:image/png;base64,${toBase64(encodePng(width, height, rgba))}`;
    return {
      title: { text: p.title ?? '', fontSize: 13 },
      width,
      height,
      view: { stroke: null },
      data: { values: [{ url }] },
      mark: { type: 'image', width, height, align: 'left', baseline: 'top', aspect: false, smooth: false },
      encoding: { url: { field: 'url', type: 'nominal' }, x: { value: 0 }, y: { value: 0 } },
    };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(options.title ? { title: { text: options.title } } : {}),
    config: FIGURE_CONFIG,
    columns: Math.min(columns, panels.length),
    concat: views,
  } as unknown as Figure;
}
