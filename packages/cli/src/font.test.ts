import { describe, expect, it } from 'vitest';
import { CELL_WIDTH, GLYPH_HEIGHT, LINE_HEIGHT, drawText, glyphColumns, hasGlyph, measureText, textToAscii, type TextTarget } from './font';

/** A recording target: a set of inked pixels. */
function target(width = 200, height = 100): TextTarget<string> & { ink: Map<string, string> } {
  const ink = new Map<string, string>();
  return {
    width,
    height,
    ink,
    blendPixel(x, y, color) {
      if (x >= 0 && y >= 0 && x < width && y < height) ink.set(`${x},${y}`, color);
    },
  };
}

const REQUIRED = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,:;()[]@=+-/_%<>|\'';

describe('font glyphs', () => {
  it('covers printable ASCII; every character but space has ink', () => {
    for (let c = 32; c <= 126; c++) {
      const ch = String.fromCharCode(c);
      expect(hasGlyph(ch)).toBe(true);
      const cols = glyphColumns(ch);
      expect(cols).toHaveLength(5);
      const inked = cols.some((b) => b !== 0);
      expect(inked, `glyph for '${ch}'`).toBe(ch !== ' ');
    }
  });

  it('gives every required character a distinct bitmap', () => {
    const seen = new Map<string, string>();
    for (const ch of REQUIRED) {
      const key = glyphColumns(ch).join(',');
      expect(seen.get(key), `'${ch}' looks like '${seen.get(key) ?? ''}'`).toBeUndefined();
      seen.set(key, ch);
    }
  });

  it('draws recognisable shapes', () => {
    expect(textToAscii('1')).toEqual([
      '..#..',
      '.##..',
      '..#..',
      '..#..',
      '..#..',
      '..#..',
      '.###.',
      '.....',
    ]);
    expect(textToAscii('-')[3]).toBe('#####');
    expect(textToAscii('_')[7]).toBe('#####'); // underscore sits on the descender row
    // A descender: 'g' and 'y' use row 7, 'a' does not.
    expect(textToAscii('g')[7]).toContain('#');
    expect(textToAscii('a')[7]).not.toContain('#');
  });

  it('draws a hollow box for characters outside ASCII', () => {
    expect(hasGlyph('é')).toBe(false);
    const art = textToAscii('é');
    expect(art[0]).toBe('#####');
    expect(art[1]).toBe('#...#');
  });
});

describe('measureText / drawText', () => {
  it('measures cells of 6 px (minus the trailing gap) and lines of 9 px', () => {
    expect(measureText('')).toEqual({ width: 0, height: GLYPH_HEIGHT });
    expect(measureText('abc')).toEqual({ width: 3 * CELL_WIDTH - 1, height: GLYPH_HEIGHT });
    expect(measureText('abc', 2)).toEqual({ width: 2 * (3 * CELL_WIDTH - 1), height: 2 * GLYPH_HEIGHT });
    expect(measureText('ab\nlonger')).toEqual({ width: 6 * CELL_WIDTH - 1, height: LINE_HEIGHT + GLYPH_HEIGHT });
  });

  it('draws inside the measured box at the given position, in the given colour', () => {
    const t = target();
    const size = drawText(t, 10, 20, 'Loss=1.2e-3 [ok]', 'red');
    expect(size).toEqual(measureText('Loss=1.2e-3 [ok]'));
    expect(t.ink.size).toBeGreaterThan(50);
    for (const [k, color] of t.ink) {
      const [x, y] = k.split(',').map(Number) as [number, number];
      expect(x).toBeGreaterThanOrEqual(10);
      expect(x).toBeLessThan(10 + size.width);
      expect(y).toBeGreaterThanOrEqual(20);
      expect(y).toBeLessThan(20 + size.height);
      expect(color).toBe('red');
    }
  });

  it('scale s multiplies the ink by s²', () => {
    const a = target();
    const b = target();
    drawText(a, 0, 0, 'Hello', 'k', 1);
    drawText(b, 0, 0, 'Hello', 'k', 3);
    expect(b.ink.size).toBe(9 * a.ink.size);
  });

  it('rotate 90 runs bottom-to-top within a transposed box', () => {
    const t = target(50, 100);
    drawText(t, 5, 10, 'abc', 'k', 1, { rotate: 90 });
    const { width, height } = measureText('abc');
    const xs = [...t.ink.keys()].map((k) => Number(k.split(',')[0]));
    const ys = [...t.ink.keys()].map((k) => Number(k.split(',')[1]));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...xs)).toBeLessThan(5 + height);
    expect(Math.min(...ys)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...ys)).toBeLessThan(10 + width);
    // The first letter ('a') is at the bottom.
    const plain = target();
    drawText(plain, 0, 0, 'a', 'k');
    const aInk = plain.ink.size;
    const bottom = [...t.ink.keys()].filter((k) => Number(k.split(',')[1]) >= 10 + width - 5).length;
    expect(bottom).toBe(aInk);
  });

  it('ignores pixels off the target without throwing', () => {
    const t = target(10, 10);
    expect(() => drawText(t, -20, -3, 'clipped text', 'k', 2)).not.toThrow();
    for (const k of t.ink.keys()) {
      const [x, y] = k.split(',').map(Number) as [number, number];
      expect(x >= 0 && x < 10 && y >= 0 && y < 10).toBe(true);
    }
  });
});
