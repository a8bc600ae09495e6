import { ShapeError, ValueRangeError } from '@charlearn/core';
import { describe, expect, it } from 'vitest';
import { PALETTE } from './figure';
import { equalAspect, robustLimits } from './limits';
import { panelLimits, panelsFigure, type Panel } from './panels';
import { figureToSvg } from './svg';

/** The `<g class="mark-…">` groups of a Vega SVG in document order, each with the number of marks it holds. */
function markGroups(svg: string, type: 'symbol' | 'line' | 'text' | 'image', role = 'mark'): string[] {
  const out: string[] = [];
  const re = new RegExp(`<g class="mark-${type} role-${role}[^"]*"[^>]*>(.*?)</g>`, 'gs');
  for (const m of svg.matchAll(re)) out.push(m[1]!);
  return out;
}
const count = (s: string, tag: string) => s.split(`<${tag}`).length - 1;
/** `translate(x,y)` of every path in a group. */
const translations = (group: string) => [...group.matchAll(/<path[^>]* transform="translate\(([-\d.e]+),([-\d.e]+)\)"/g)].map((m) => [Number(m[1]), Number(m[2])] as const);

describe('panelsFigure', () => {
  const data = new Float32Array([0, 0, 1, 1, 2, 0.5, Number.NaN, 3, -1, -1]);
  const panels: Panel[] = [
    { title: 'data (ring)', layers: [{ kind: 'scatter', points: data, color: PALETTE[0]! }] },
    {
      title: 'characteristics',
      layers: [
        { kind: 'lines', paths: [new Float64Array([0, 0, 0.5, 0.5, 1, 1]), new Float64Array([1, 0, 0, 1])], color: PALETTE[1]! },
        { kind: 'markers', points: [0, 0, 1, 0], color: '#444444', size: 4, shape: 'circle', label: 'z (t = 0)' },
        { kind: 'markers', points: [1, 1, 0, 1], color: PALETTE[2]!, size: 7, shape: 'cross', label: 'g(z), one step' },
      ],
    },
  ];

  it('draws one symbol per finite point, one line per path, the titles, the legend and the axis titles', async () => {
    const svg = await figureToSvg(panelsFigure(panels, { title: 'ring: W2 0.123 | floor 0.045', xLabel: 'x₁', yLabel: 'x₂' }));
    expect(svg.startsWith('<svg')).toBe(true);
    const symbols = markGroups(svg, 'symbol');
    // panel 1: 4 finite scatter points (the NaN row is skipped); panel 2: 2 + 2 markers; the legend: one symbol each
    expect(symbols.map((g) => count(g, 'path'))).toEqual([4, 2, 2]);
    expect(markGroups(svg, 'symbol', 'legend-symbol').map((g) => count(g, 'path'))).toEqual([1, 1]);
    expect(markGroups(svg, 'line').map((g) => count(g, 'path'))).toEqual([1, 1]); // one line mark a path
    for (const text of ['ring: W2 0.123 | floor 0.045', 'data (ring)', 'characteristics', 'z (t = 0)', 'g(z), one step', 'x₁', 'x₂']) {
      expect(svg).toContain(`>${text}</text>`);
    }
  });

  it('places points linearly on shared, equal-aspect axes', async () => {
    const xlim = [-2, 2] as const;
    const svg = await figureToSvg(panelsFigure([{ layers: [{ kind: 'scatter', points: [-2, -2, 0, 0, 2, 1], color: '#000' }] }], { xlim, ylim: [-2, 2], panelWidth: 200, panelHeight: 100 }));
    const [a, b, c] = translations(markGroups(svg, 'symbol')[0]!);
    // 4 data units over 200 px in x, 4 units over 100 px in y (explicit limits are kept as given); y grows upwards
    expect(b![0] - a![0]).toBeCloseTo(100, 6);
    expect(c![0] - b![0]).toBeCloseTo(100, 6);
    expect(a![1] - b![1]).toBeCloseTo(50, 6);
    expect(b![1] - c![1]).toBeCloseTo(25, 6);
  });

  it('shares robust limits across panels, equal aspect by default', () => {
    const { xlim, ylim } = panelLimits(panels, { percentile: 0, pad: 0 });
    // y spans [-1, 3] (4 units; the y of the NaN-x row counts) > x's [-1, 2]: x is widened about its centre to 4 units
    expect(ylim).toEqual([-1, 3]);
    expect(xlim).toEqual([-1.5, 2.5]);
    expect(panelLimits(panels, { percentile: 0, pad: 0, aspect: 'auto' }).xlim).toEqual([-1, 2]);
  });

  it('rejects bad points, limits and layouts with named errors', () => {
    expect(() => panelsFigure([{ layers: [{ kind: 'scatter', points: [1, 2, 3], color: '#000' }] }])).toThrow(ShapeError);
    expect(() => panelsFigure([{ layers: [{ kind: 'scatter', points: [1, 2, 3], color: '#000' }] }])).toThrow(/panels\[0\]\.layers\[0\]\.points must be row-major \[n, 2\]/);
    expect(() => panelsFigure([{ layers: [] }], { xlim: [1, 1] })).toThrow(ValueRangeError);
    expect(() => panelsFigure([])).toThrow(ValueRangeError);
    expect(() => panelsFigure([{ layers: [] }], { columns: 0 })).toThrow(/columns must be a positive integer/);
  });

  it('lays out `columns` panels a row', async () => {
    const size = async (columns: number) => {
      const svg = await figureToSvg(panelsFigure(Array.from({ length: 6 }, (_, i) => ({ title: `p${i}`, layers: [] })), { columns, panelWidth: 100, panelHeight: 80 }));
      return { width: Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1]), height: Number(/<svg[^>]* height="(\d+)"/.exec(svg)![1]) };
    };
    const [two, three] = [await size(2), await size(3)];
    // one more column adds a panel's width (and its axis) across, one row less takes a row away
    expect(three.width - two.width).toBeGreaterThan(100);
    expect(three.width - two.width).toBeLessThan(100 + 80);
    expect(two.height - three.height).toBeGreaterThan(80);
    expect(two.height).toBeGreaterThan(3 * 80);
  });
});

describe('robustLimits / equalAspect', () => {
  it('cuts percentiles, pads, and handles flat or empty data', () => {
    const v = Array.from({ length: 1001 }, (_, i) => i / 1000);
    v.push(1000); // one straggler
    const [lo, hi] = robustLimits(v, 0.5, 0);
    expect(lo).toBeCloseTo(0.005, 3);
    expect(hi).toBeLessThan(1.01);
    expect(robustLimits([0, 1], 0, 0.1)).toEqual([-0.1, 1.1]);
    expect(robustLimits([2, 2, 2])).toEqual([1.5, 2.5]);
    expect(robustLimits([Number.NaN])).toEqual([-1, 1]);
  });

  it('widens the narrower axis so a unit spans the same pixels', () => {
    const { xlim, ylim } = equalAspect([0, 2], [0, 1], 200, 100);
    expect(xlim).toEqual([0, 2]);
    expect(ylim).toEqual([0, 1]);
    const r = equalAspect([0, 2], [0, 1], 100, 100);
    expect(r.ylim).toEqual([-0.5, 1.5]);
  });
});

describe('figureToSvg', () => {
  it('is a function of the figure: the same figure twice gives the same SVG text', async () => {
    const figure = panelsFigure([{ title: 'a', layers: [{ kind: 'scatter', points: [0, 0, 1, 1], color: '#000' }] }, { title: 'b', layers: [] }]);
    expect(await figureToSvg(figure)).toBe(await figureToSvg(figure));
  });
});
