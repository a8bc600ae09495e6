import { ShapeError, ValueRangeError } from '@charlearn/core';
import { describe, expect, it } from 'vitest';
import { lineChartFigure } from './line-chart';
import { figureToSvg } from './svg';

/** The vertices of each `<path d="M…L…">` of the line marks, in SVG coordinates. */
function lines(svg: string): [number, number][][] {
  return [...svg.matchAll(/<g class="mark-line role-mark[^"]*"[^>]*><path[^>]* d="([^"]+)"/g)].map((m) =>
    m[1]!
      .split(/[ML]/)
      .filter(Boolean)
      .map((p) => p.split(',').map(Number) as [number, number]),
  );
}

describe('lineChartFigure', () => {
  it('draws one line a series with its points, the legend, title and axis titles', async () => {
    const svg = await figureToSvg(
      lineChartFigure(
        [
          { label: 'teacher loss', xs: [0, 1, 2, 3], ys: [1, 0.1, 0.01, 0.001], color: '#1f77b4' },
          { label: 'fit loss', xs: [0, 1, 2], ys: [0.5, Number.NaN, -1], color: '#2ca02c' },
        ],
        { title: 'run: training losses', xLabel: 'step', yLabel: 'loss', logY: true, width: 300, height: 200 },
      ),
    );
    const [teacher, fit] = lines(svg);
    expect(teacher).toHaveLength(4);
    expect(fit).toHaveLength(1); // NaN and the non-positive value are left out on a log axis
    // log y: equal ratios are equal steps, and the decades span the plot height from top to bottom
    const dy = teacher!.slice(1).map((p, i) => p[1] - teacher![i]![1]);
    for (const d of dy) expect(d).toBeCloseTo(dy[0]!, 2); // the SVG keeps 3 decimals
    expect(teacher![3]![1] - teacher![0]![1]).toBeCloseTo(200, 0);
    for (const text of ['run: training losses', 'step', 'loss', 'teacher loss', 'fit loss']) expect(svg).toContain(`>${text}</text>`);
  });

  it('rejects mismatched series and no series', () => {
    expect(() => lineChartFigure([{ label: 'x', xs: [1, 2], ys: [1], color: '#000' }])).toThrow(ShapeError);
    expect(() => lineChartFigure([])).toThrow(ValueRangeError);
  });
});
