import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PALETTE } from './figure';
import { lineChartFigure } from './line-chart';
import { panelsFigure } from './panels';
import { figureToPng, svgToPng } from './png';
import { figureToSvg } from './svg';

/** Decodes an 8-bit RGBA or RGB, non-interlaced PNG (what resvg writes) to RGBA. */
function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const b = Buffer.from(png);
  expect([...b.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  let width = 0, height = 0, channels = 4;
  const idat: Buffer[] = [];
  for (let at = 8; at < b.length; ) {
    const len = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    const body = b.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect(body[8]).toBe(8);
      channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
      expect(channels).toBeGreaterThan(0);
    }
    if (type === 'IDAT') idat.push(body);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const up = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = y > 0 && x >= channels ? out[(y - 1) * stride + x - channels]! : 0;
      const p = a + up - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - up) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - up) <= Math.abs(p - c) ? up : c;
      out[y * stride + x] = (v + [0, a, up, (a + up) >> 1, paeth][filter]!) & 255;
    }
  }
  if (channels === 4) return { width, height, rgba: out };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([out[3 * i]!, out[3 * i + 1]!, out[3 * i + 2]!, 255], 4 * i);
  return { width, height, rgba };
}

const svgSize = (svg: string) => ({ width: Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1]), height: Number(/<svg[^>]* height="(\d+)"/.exec(svg)![1]) });

describe('figureToPng', () => {
  it('renders the SVG at `scale`: the points in their colour inside the plot, the title as dark text', async () => {
    // a dense blob of red points at (1, 1) in [-2, 2]²
    const points = Float64Array.from({ length: 400 }, (_, i) => 1 + 0.05 * Math.sin(i * 7.3));
    const figure = panelsFigure([{ title: 'one panel', layers: [{ kind: 'scatter', points, color: '#ff0000', size: 4, alpha: 1 }] }], { xlim: [-2, 2], ylim: [-2, 2], panelWidth: 200, panelHeight: 200, title: 'A TITLE' });
    const svg = await figureToSvg(figure);
    const { png, width, height } = await figureToPng(figure, { scale: 2 });
    const size = svgSize(svg);
    expect({ width, height }).toEqual({ width: size.width * 2, height: size.height * 2 });
    const img = decodePng(png);
    expect({ width: img.width, height: img.height }).toEqual({ width, height });
    const at = (x: number, y: number) => Array.from(img.rgba.subarray(4 * (y * img.width + x), 4 * (y * img.width + x) + 4));
    const red: [number, number][] = [];
    const dark: [number, number][] = [];
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const [r, g, b] = at(x, y);
        if (r! > 200 && g! < 60 && b! < 60) red.push([x, y]);
        if (r! < 80 && g! < 80 && b! < 80) dark.push([x, y]);
      }
    }
    expect(red.length).toBeGreaterThan(50);
    // the blob sits at 3/4 of the plot's width and 1/4 of its height; the plot is the figure less its margins
    const mx = red.reduce((s, p) => s + p[0], 0) / red.length / img.width;
    const my = red.reduce((s, p) => s + p[1], 0) / red.length / img.height;
    expect(mx).toBeGreaterThan(0.6);
    expect(mx).toBeLessThan(0.85);
    expect(my).toBeGreaterThan(0.15);
    expect(my).toBeLessThan(0.45);
    // text is drawn (the font was loaded): dark pixels in the top band, where the figure title is
    expect(dark.filter(([, y]) => y < 0.1 * img.height).length).toBeGreaterThan(30);
    // the background is white
    expect(at(0, img.height - 1)).toEqual([255, 255, 255, 255]);
  });

  it('renders text: a chart with a title has more dark pixels than the same chart without', async () => {
    const series = [{ label: 'loss', xs: [0, 1, 2], ys: [3, 2, 1], color: PALETTE[0]! }];
    const darkCount = async (title?: string) => {
      const { png } = await figureToPng(lineChartFigure(series, title ? { title } : {}), { scale: 1 });
      const { rgba } = decodePng(png);
      let n = 0;
      for (let i = 0; i < rgba.length; i += 4) if (rgba[i]! < 100 && rgba[i + 1]! < 100 && rgba[i + 2]! < 100) n++;
      return n;
    };
    expect(await darkCount('a long title with many letters in it')).toBeGreaterThan((await darkCount()) + 100);
  });

  it('svgToPng renders a plain SVG', async () => {
    const { png, width, height } = await svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="6"><rect x="0" y="0" width="5" height="6" fill="#000"/></svg>', { scale: 1 });
    const img = decodePng(png);
    expect([width, height, img.width, img.height]).toEqual([10, 6, 10, 6]);
    expect(Array.from(img.rgba.subarray(0, 4))).toEqual([0, 0, 0, 255]);
    expect(Array.from(img.rgba.subarray(4 * 9, 4 * 10))).toEqual([255, 255, 255, 255]);
  });
});

describe('the CommonJS build', () => {
  it('loads with require and draws (Vega is ESM-only with top-level await: it must be imported lazily)', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = `
      const { lineChartFigure } = require('@charlearn/plots');
      const { figureToPng } = require('@charlearn/plots/png');
      figureToPng(lineChartFigure([{ label: 'a', xs: [1, 2], ys: [1, 2], color: '#000' }], { width: 100, height: 50 }), { scale: 1 })
        .then((r) => console.log(JSON.stringify({ width: r.width, bytes: r.png.length })));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { width: number; bytes: number };
    expect(out.width).toBeGreaterThan(100);
    expect(out.bytes).toBeGreaterThan(100);
  });
});
