import { parse, View } from 'vega';
import { resetSVGDefIds, textMetrics } from 'vega-scenegraph';
import { compile } from 'vega-lite';
import type { Figure } from './figure';
import { dejaVuSansWidth } from './text-width';

/** Where no canvas measures text (Node), lays text out with DejaVu Sans' widths instead of Vega's 0.8 em guess. */
function useFontWidthsWithoutCanvas(): void {
  if (typeof document !== 'undefined') return;
  textMetrics.width = (item, text) => dejaVuSansWidth(String(text ?? item.text ?? ''), Number(item.fontSize ?? 11));
}

/**
 * Draws `figure` as an SVG document with Vega's headless renderer: no DOM and no canvas, so the same call works in
 * Node and in the browser. In Node (no canvas to measure text) it sets Vega's `textMetrics.width` to DejaVu Sans'
 * character widths, the font the PNG renderer draws with.
 *
 * @example
 * ```ts
 * const svg = await figureToSvg(lineChartFigure([{ label: 'loss', xs: [1, 2], ys: [2, 1], color: '#1f77b4' }]));
 * svg.startsWith('<svg'); // true
 * ```
 */
export async function figureToSvg(figure: Figure): Promise<string> {
  useFontWidthsWithoutCanvas();
  // clip-path ids count up across renders; restarting them makes the SVG a function of the figure alone
  resetSVGDefIds();
  const view = new View(parse(compile(figure).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
