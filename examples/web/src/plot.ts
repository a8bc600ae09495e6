import type { Figure } from '@charlearn/plots';

// Loaded on first draw: Vega and Vega-Lite are most of the figure code's weight, and the page is usable before.
const plots = import('@charlearn/plots');

/** Half-width of the plotted square in normalised coordinates (targets have unit variance). */
export const PLOT_EXTENT = 3.2;

/**
 * The page's figure, drawn by the same code as the CLI's: `data` in grey, `samples` in orange, over
 * `[-PLOT_EXTENT, PLOT_EXTENT]²`.
 *
 * @param data - interleaved `[x0, y0, x1, y1, ...]` (shape `[n, 2]` flattened).
 * @param samples - the same layout, or null before any exist.
 * @example
 * ```ts
 * const figure = await scatterFigure(target.sampleArray(2000, rng), null);
 * ```
 */
export async function scatterFigure(data: Float32Array, samples: Float32Array | null): Promise<Figure> {
  const { panelsFigure } = await plots;
  const lim = [-PLOT_EXTENT, PLOT_EXTENT] as const;
  return panelsFigure(
    [
      {
        layers: [
          { kind: 'scatter', points: data, color: '#9aa0a6', size: 3, alpha: 0.55, label: 'data' },
          ...(samples ? [{ kind: 'scatter' as const, points: samples, color: '#e8710a', size: 3, alpha: 0.75, label: 'one-step samples' }] : []),
        ],
      },
    ],
    { xlim: lim, ylim: lim, panelWidth: 420, panelHeight: 420 },
  );
}

/**
 * Draws {@link scatterFigure} as SVG into `container` and returns the SVG text.
 *
 * @example
 * ```ts
 * await drawScatter(document.getElementById('plot')!, data, samples);
 * ```
 */
export async function drawScatter(container: HTMLElement, data: Float32Array, samples: Float32Array | null): Promise<string> {
  const { figureToSvg } = await plots;
  const svg = await figureToSvg(await scatterFigure(data, samples));
  container.innerHTML = svg;
  return svg;
}
