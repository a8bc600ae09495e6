import type { Figure } from './figure';
import { dejaVuSansWidth } from './text-width';

type Libraries = [typeof import('vega'), typeof import('vega-lite'), typeof import('vega-scenegraph')];
let libraries: Promise<Libraries> | undefined;

/**
 * Vega, Vega-Lite and Vega's scenegraph, imported on the first figure: they are ES modules only (with top-level
 * await, so `require` cannot load them), and this keeps the CommonJS build of this package, and of the CLI that
 * imports it, loadable; importing the package costs nothing until a figure is drawn.
 */
function loadLibraries(): Promise<Libraries> {
  libraries ??= Promise.all([import('vega'), import('vega-lite'), import('vega-scenegraph')]).then(([vega, vegaLite, scenegraph]) => {
    // Where no canvas measures text (Node), lay text out with DejaVu Sans' widths instead of Vega's 0.8 em guess.
    if (typeof document === 'undefined') scenegraph.textMetrics.width = (item, text) => dejaVuSansWidth(String(text ?? item.text ?? ''), Number(item.fontSize ?? 11));
    return [vega, vegaLite, scenegraph];
  });
  return libraries;
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
  const [{ parse, View }, { compile }, { resetSVGDefIds }] = await loadLibraries();
  // clip-path ids count up across renders; restarting them makes the SVG a function of the figure alone
  resetSVGDefIds();
  const view = new View(parse(compile(figure).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
