/**
 * PNG from a figure's SVG in Node: resvg compiled to WebAssembly (no native build), with DejaVu Sans from the
 * `dejavu-fonts-ttf` package (resvg has no system fonts in wasm).
 *
 * @example
 * ```ts
 * import { figureToPng } from '@charlearn/plots/png';
 * const { png, width, height } = await figureToPng(panelsFigure(panels), { scale: 2 });
 * ```
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { initWasm, Resvg } from '@resvg/resvg-wasm';
import type { Figure } from './figure';
import { figureToSvg } from './svg';

/** Options of {@link svgToPng}. */
export interface SvgToPngOptions {
  /** Output pixels per SVG unit (default 2). */
  scale?: number;
  /** Background behind transparent parts (default white). */
  background?: string;
}

/** A PNG file's bytes and its size in pixels. */
export interface RenderedPng {
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
}

let ready: Promise<Uint8Array[]> | undefined;

/** Loads the resvg wasm module once and reads the fonts; later calls reuse both. */
function prepare(): Promise<Uint8Array[]> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    await initWasm(await readFile(require.resolve('@resvg/resvg-wasm/index_bg.wasm')));
    return [new Uint8Array(await readFile(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')))];
  })();
  return ready;
}

/**
 * Renders an SVG document to PNG.
 *
 * @example
 * ```ts
 * const { png } = await svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', { scale: 1 });
 * ```
 */
export async function svgToPng(svg: string, options: SvgToPngOptions = {}): Promise<RenderedPng> {
  const fontBuffers = await prepare();
  const resvg = new Resvg(svg, {
    font: { fontBuffers, loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    background: options.background ?? 'white',
  });
  try {
    const image = resvg.render();
    try {
      return { png: image.asPng(), width: image.width, height: image.height };
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

/**
 * Draws `figure` to SVG ({@link figureToSvg}) and renders that to PNG ({@link svgToPng}).
 *
 * @example
 * ```ts
 * const { png } = await figureToPng(lineChartFigure([{ label: 'loss', xs: [1, 2], ys: [2, 1], color: '#1f77b4' }]));
 * ```
 */
export async function figureToPng(figure: Figure, options: SvgToPngOptions = {}): Promise<RenderedPng> {
  return svgToPng(await figureToSvg(figure), options);
}

export { figureToSvg } from './svg';
export type { Figure } from './figure';
