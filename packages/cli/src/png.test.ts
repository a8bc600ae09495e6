import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueRangeError } from '@charlearn/core';
import { PNG_SIGNATURE, crc32, encodePng, type PngFilter } from './png';

interface Chunk {
  type: string;
  data: Uint8Array;
  crc: number;
  /** CRC recomputed over type + data. */
  actualCrc: number;
}

/** Split a PNG into chunks, checking the signature. */
function chunks(png: Uint8Array): Chunk[] {
  expect([...png.subarray(0, 8)]).toEqual([...PNG_SIGNATURE]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Chunk[] = [];
  let off = 8;
  while (off < png.length) {
    const len = view.getUint32(off);
    const type = String.fromCharCode(...png.subarray(off + 4, off + 8));
    const data = png.subarray(off + 8, off + 8 + len);
    const crc = view.getUint32(off + 8 + len);
    out.push({ type, data, crc, actualCrc: crc32(png, off + 4, off + 8 + len) });
    off += 12 + len;
  }
  expect(off).toBe(png.length);
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** A small independent decoder for 8-bit RGBA, non-interlaced PNGs (all five filter types). */
function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array; filters: number[] } {
  const cs = chunks(png);
  const ihdr = cs[0]!;
  expect(ihdr.type).toBe('IHDR');
  const hv = new DataView(ihdr.data.buffer, ihdr.data.byteOffset, 13);
  const width = hv.getUint32(0);
  const height = hv.getUint32(4);
  expect([...ihdr.data.subarray(8)]).toEqual([8, 6, 0, 0, 0]);
  const idat = Buffer.concat(cs.filter((c) => c.type === 'IDAT').map((c) => c.data));
  const raw = new Uint8Array(inflateSync(idat));
  const stride = width * 4;
  expect(raw.length).toBe(height * (stride + 1));
  const rgba = new Uint8Array(width * height * 4);
  const filters: number[] = [];
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    filters.push(f);
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= 4 ? rgba[y * stride + i - 4]! : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + i]! : 0;
      const c = i >= 4 && y > 0 ? rgba[(y - 1) * stride + i - 4]! : 0;
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : paeth(a, b, c);
      rgba[y * stride + i] = (x + pred) & 0xff;
    }
  }
  return { width, height, rgba, filters };
}

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
