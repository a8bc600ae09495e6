import { ValueRangeError } from '@charlearn/core';
import { encodePng } from '@charlearn/metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { imagePanelsFigure, toBase64 } from './image-panels';
import { figureToSvg } from './svg';

const checker = (w: number, h: number) => {
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.fill((i + Math.floor(i / w)) % 2 ? 255 : 0, 4 * i, 4 * i + 3).fill(255, 4 * i + 3, 4 * i + 4);
  return { width: w, height: h, rgba };
};

describe('imagePanelsFigure', () => {
  it('embeds each image as its own PNG, unsmoothed at one unit a pixel, with text titles', async () => {
    const images = [checker(6, 4), checker(3, 5)];
    const svg = await figureToSvg(imagePanelsFigure(images.map((image, i) => ({ title: `grid ${i}`, image })), { title: 'mnist', columns: 2 }));
    const tags = [...svg.matchAll(/<image [^>]*>/g)].map((m) => m[0]);
    expect(tags).toHaveLength(2);
    tags.forEach((tag, i) => {
      const href = /href="data:image\/png;base64,([^"]+)"/.exec(tag)![1]!;
      expect(Buffer.from(href, 'base64')).toEqual(Buffer.from(encodePng(images[i]!.width, images[i]!.height, images[i]!.rgba)));
      expect(tag).toContain(`width="${images[i]!.width}"`);
      expect(tag).toContain(`height="${images[i]!.height}"`);
      expect(tag).toContain('image-rendering: pixelated');
    });
    for (const t of ['mnist', 'grid 0', 'grid 1']) expect(svg).toContain(`>${t}</text>`);
  });

  it('rejects images whose bytes do not match their size, and no panels', () => {
    expect(() => imagePanelsFigure([{ image: { width: 4, height: 4, rgba: new Uint8Array(10) } }])).toThrow(/panels\[0\]\.image must be width x height RGBA/);
    expect(() => imagePanelsFigure([])).toThrow(ValueRangeError);
  });
});

describe('toBase64', () => {
  it("equals Node's base64 for any bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => toBase64(bytes) === Buffer.from(bytes).toString('base64')));
  });
});
