/**
 * The run's PNG files: figures from `@charlearn/plots` (drawn to SVG, rendered to PNG) and plain pixel grids,
 * each written atomically.
 *
 * @example
 * ```ts
 * import { panelsFigure } from '@charlearn/plots';
 * await saveFigurePng('out/run/samples.png', panelsFigure([{ title: 'data', layers: [{ kind: 'scatter', points: data, color: '#1f77b4' }] }]));
 * ```
 * @packageDocumentation
 */
import type { Figure, RasterImage } from '@charlearn/plots';
import { figureToPng } from '@charlearn/plots/png';
import { encodePng } from '@charlearn/metrics';
import { writeFileAtomic } from './atomic';

/**
 * Renders `figure` to PNG and writes it atomically (parent folders are created). `scale` is output pixels per SVG
 * unit: 1.5 for plots, 2 (an integer, so pixels stay sharp) for figures of pixel images.
 *
 * @example
 * ```ts
 * import { lineChartFigure } from '@charlearn/plots';
 * await saveFigurePng('out/run/losses.png', lineChartFigure(series, { logY: true }));
 * ```
 */
export async function saveFigurePng(path: string, figure: Figure, scale = 1.5): Promise<void> {
  await writeFileAtomic(path, (await figureToPng(figure, { scale })).png);
}

/**
 * Writes an RGBA image as PNG, pixel for pixel, atomically.
 *
 * @example
 * ```ts
 * import { imageGrid } from '@charlearn/metrics';
 * await savePixelsPng('out/run/samples-1step.png', imageGrid(pixels, { shape: [64, 28, 28, 1], cols: 8 }));
 * ```
 */
export async function savePixelsPng(path: string, image: RasterImage): Promise<void> {
  await writeFileAtomic(path, encodePng(image.width, image.height, image.rgba));
}
