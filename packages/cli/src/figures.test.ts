import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lineChartFigure } from '@charlearn/plots';
import { afterAll, describe, expect, it } from 'vitest';
import { saveFigurePng, savePixelsPng } from './figures';

const dir = mkdtempSync(join(tmpdir(), 'charlearn-figures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Width and height from a PNG's IHDR. */
function pngSize(path: string): { width: number; height: number } {
  const b = readFileSync(path);
  expect([...b.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('saveFigurePng / savePixelsPng', () => {
  it('writes the figure at `scale` pixels a unit, creating folders', async () => {
    const figure = lineChartFigure([{ label: 'loss', xs: [1, 2, 3], ys: [3, 2, 1], color: '#1f77b4' }], { width: 200, height: 100 });
    await saveFigurePng(join(dir, 'a', 'one.png'), figure, 1);
    await saveFigurePng(join(dir, 'a', 'two.png'), figure, 2);
    const [one, two] = [pngSize(join(dir, 'a', 'one.png')), pngSize(join(dir, 'a', 'two.png'))];
    expect(one.width).toBeGreaterThan(200);
    expect(two).toEqual({ width: 2 * one.width, height: 2 * one.height });
  });

  it('writes pixels as they are', async () => {
    await savePixelsPng(join(dir, 'grid.png'), { width: 3, height: 2, rgba: new Uint8Array(24).fill(7) });
    expect(pngSize(join(dir, 'grid.png'))).toEqual({ width: 3, height: 2 });
  });
});

describe('the CommonJS build of the CLI', () => {
  it('loads with require (its figures come from @charlearn/plots, which imports Vega lazily)', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(process.execPath, ['-e', "const c = require('@charlearn/cli'); console.log(typeof c.saveFigurePng)"], { encoding: 'utf8' });
    expect(out.trim()).toBe('function');
  });
});
