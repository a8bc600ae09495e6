import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueRangeError } from '@charlearn/core';
import { crc32, encodePng, zlibStored, type PngFilter } from './png';
import { chunks, decodePng } from './png-test-utils';

function randomImage(w: number, h: number, seed: number): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe('crc32', () => {
  it('matches the standard check values', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('encodePng', () => {
  it('writes signature, IHDR, IDAT, IEND with correct lengths and CRCs', () => {
    const png = encodePng(3, 2, randomImage(3, 2, 1));
    const cs = chunks(png);
    expect(cs.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    for (const c of cs) expect(c.crc).toBe(c.actualCrc);
    expect(cs[0]!.data.length).toBe(13);
    expect(new DataView(cs[0]!.data.buffer, cs[0]!.data.byteOffset).getUint32(0)).toBe(3);
    expect(new DataView(cs[0]!.data.buffer, cs[0]!.data.byteOffset).getUint32(4)).toBe(2);
    expect(cs[2]!.data.length).toBe(0);
    expect(cs[2]!.crc).toBe(0xae426082);
  });

  it.each<PngFilter>(['none', 'sub', 'auto'])('round-trips pixels exactly with filter %s', (filter) => {
    for (const [w, h] of [
      [1, 1],
      [7, 5],
      [64, 33],
    ] as const) {
      const img = randomImage(w, h, w * 31 + h);
      const dec = decodePng(encodePng(w, h, img, { filter }));
      expect(dec.width).toBe(w);
      expect(dec.height).toBe(h);
      expect(Buffer.from(dec.rgba).equals(Buffer.from(img))).toBe(true);
      if (filter === 'none') expect(new Set(dec.filters)).toEqual(new Set([0]));
      if (filter === 'sub') expect(new Set(dec.filters)).toEqual(new Set([1]));
      for (const f of dec.filters) expect([0, 1]).toContain(f);
    }
  });

  it('auto picks sub for smooth gradients and compresses them well', () => {
    const w = 200;
    const h = 50;
    const img = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) img.set([x, (x * 2) & 255, y, 255], (y * w + x) * 4);
    }
    const auto = encodePng(w, h, img);
    const dec = decodePng(auto);
    expect(dec.filters.every((f) => f === 1)).toBe(true);
    expect(Buffer.from(dec.rgba).equals(Buffer.from(img))).toBe(true);
    expect(auto.length).toBeLessThanOrEqual(encodePng(w, h, img, { filter: 'none' }).length);
  });

  it('rejects bad sizes and buffers', () => {
    expect(() => encodePng(0, 1, new Uint8Array(0))).toThrow(ValueRangeError);
    expect(() => encodePng(1.5, 1, new Uint8Array(6))).toThrow(ValueRangeError);
    expect(() => encodePng(2, 2, new Uint8Array(15))).toThrow(ShapeError);
    expect(() => encodePng(1, 1, new Uint8Array(4), { level: 10 })).toThrow(ValueRangeError);
  });
});

describe('zlibStored (the encoder without node:zlib)', () => {
  it('is a zlib stream node:zlib inflates back to the input, across the 65,535-byte block limit', () => {
    for (const n of [0, 1, 3, 65_535, 65_536, 200_001]) {
      const data = randomImage(n, 1, n + 1).subarray(0, n);
      const z = zlibStored(data);
      expect(z.length).toBe(2 + n + 5 * Math.max(1, Math.ceil(n / 65_535)) + 4);
      expect(Buffer.from(inflateSync(z)).equals(Buffer.from(data))).toBe(true);
    }
    expect([...zlibStored(Uint8Array.of(1, 2, 3))]).toEqual([0x78, 0x01, 0x01, 0x03, 0x00, 0xfc, 0xff, 1, 2, 3, 0x00, 0x0d, 0x00, 0x07]);
  });

  it("deflate: 'stored' gives the same pixels as zlib, and a larger file", () => {
    const img = randomImage(30, 20, 5);
    const stored = encodePng(30, 20, img, { deflate: 'stored', filter: 'none' });
    const zlib = encodePng(30, 20, img, { filter: 'none' });
    expect(Buffer.from(decodePng(stored).rgba).equals(Buffer.from(img))).toBe(true);
    expect(Buffer.from(decodePng(zlib).rgba).equals(Buffer.from(img))).toBe(true);
    expect(stored.length).toBe(8 + 25 + 12 + zlibStored(new Uint8Array(20 * 121)).length + 12);
    expect(() => encodePng(1, 1, new Uint8Array(4), { deflate: 'gzip' as 'zlib' })).toThrow(ValueRangeError);
  });
});
