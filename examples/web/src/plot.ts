/** Half-width of the plotted square in normalised coordinates (targets have unit variance). */
export const PLOT_EXTENT = 3.2;

/**
 * Draws a scatter plot of 2-D points on a canvas: `data` in grey, `samples`
 * in orange, over `[-PLOT_EXTENT, PLOT_EXTENT]²`.
 *
 * @param data - interleaved `[x0, y0, x1, y1, ...]` (shape `[n, 2]` flattened).
 * @param samples - the same layout, or null before any exist.
 * @example
 * ```ts
 * drawScatter(canvas, target.sampleArray(2000, rng), await x.data() as Float32Array);
 * ```
 */
export function drawScatter(canvas: HTMLCanvasElement, data: Float32Array, samples: Float32Array | null): void {
  const ctx = canvas.getContext('2d', { willReadFrequently: true }); // software canvas: exact, cheap getImageData (the test hook hashes pixels)
  if (!ctx) return;
  const { width, height } = canvas;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.strokeStyle = '#eee';
  ctx.beginPath();
  ctx.moveTo(width / 2, 0);
  ctx.lineTo(width / 2, height);
  ctx.moveTo(0, height / 2);
  ctx.lineTo(width, height / 2);
  ctx.stroke();
  const px = (v: number) => ((v + PLOT_EXTENT) / (2 * PLOT_EXTENT)) * width;
  const py = (v: number) => height - ((v + PLOT_EXTENT) / (2 * PLOT_EXTENT)) * height;
  const dots = (xy: Float32Array, color: string, r: number) => {
    ctx.fillStyle = color;
    for (let i = 0; i + 1 < xy.length; i += 2) {
      const x = xy[i]!;
      const y = xy[i + 1]!;
      if (Number.isFinite(x) && Number.isFinite(y)) ctx.fillRect(px(x) - r / 2, py(y) - r / 2, r, r);
    }
  };
  dots(data, 'rgba(154,160,166,0.55)', 2.5);
  if (samples) dots(samples, 'rgba(232,113,10,0.75)', 2.5);
}
