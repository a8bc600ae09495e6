import type { TopLevelSpec } from 'vega-lite';

/**
 * A figure: a Vega-Lite specification with its data inlined. Draw it with
 * {@link figureToSvg} (Node or browser) or, in Node, `figureToPng` from
 * `@charlearn/plots/png`; any Vega-Lite tool opens it too.
 */
export type Figure = TopLevelSpec;

/** The matplotlib "tab10" palette, for series and panels that need distinct colours. */
export const PALETTE: readonly string[] = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** The font every figure asks for: DejaVu Sans (shipped to the PNG renderer), then the browser's sans-serif. */
export const FIGURE_FONT = 'DejaVu Sans, Verdana, Arial, sans-serif';

/** Style shared by the figures: font, sizes, a light frame and grid. */
export const FIGURE_CONFIG = {
  font: FIGURE_FONT,
  // no ARIA labels: they repeat every data value and make the SVG several times larger
  aria: false,
  background: 'white',
  padding: 8,
  view: { stroke: '#b4b4b4' },
  title: { fontSize: 15, fontWeight: 'normal', color: '#262626', anchor: 'middle', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#ececec', domainColor: '#b4b4b4', tickColor: '#b4b4b4', labelColor: '#555555', titleColor: '#262626' },
  legend: { labelFontSize: 11, labelLimit: 0, symbolSize: 60, fillColor: 'rgba(255,255,255,0.9)', strokeColor: '#cccccc', padding: 6, cornerRadius: 2 },
  concat: { spacing: 18 },
} as const;

/**
 * Figures one above the other in one figure (e.g. one row of panels a data set, each row with its own axes); the
 * first figure's style is kept.
 *
 * @example
 * ```ts
 * const figure = stackFigures([panelsFigure(rowA), panelsFigure(rowB)]);
 * ```
 */
export function stackFigures(figures: readonly Figure[]): Figure {
  const parts = figures.map((f) => {
    const { $schema: _schema, config: _config, ...rest } = f as unknown as Record<string, unknown>;
    return rest;
  });
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: (figures[0] as unknown as Record<string, unknown> | undefined)?.config, vconcat: parts } as unknown as Figure;
}
