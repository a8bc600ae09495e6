/**
 * @packageDocumentation
 * `@charlearn/plots`: charlearn's figures as Vega-Lite specifications, drawn to
 * SVG by Vega's headless renderer in Node and in the browser: 2-D sample panels
 * with trajectories and markers ({@link panelsFigure}), loss curves
 * ({@link lineChartFigure}) and titled image grids ({@link imagePanelsFigure}).
 * PNG comes from the SVG in Node through `@charlearn/plots/png`.
 *
 * @example
 * ```ts
 * import { figureToSvg, panelsFigure, PALETTE } from '@charlearn/plots';
 * const svg = await figureToSvg(panelsFigure([{ title: 'data', layers: [{ kind: 'scatter', points: new Float32Array([0, 0, 1, 1]), color: PALETTE[0]! }] }]));
 * ```
 *
 * @module @charlearn/plots
 */
export { PALETTE, FIGURE_FONT, stackFigures, type Figure } from './figure';
export { robustLimits, equalAspect, type Limits, type Points2D } from './limits';
export { panelsFigure, panelLimits, type Panel, type Layer, type ScatterLayer, type LinesLayer, type MarkersLayer, type MarkerShape, type PanelsOptions } from './panels';
export { lineChartFigure, type LineSeries, type LineChartOptions } from './line-chart';
export { imagePanelsFigure, toBase64, type ImagePanel, type ImagePanelsOptions, type RasterImage } from './image-panels';
export { figureToSvg } from './svg';
