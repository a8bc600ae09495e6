/**
 * Test helpers: a small independent PNG decoder (8-bit RGBA, non-interlaced,
 * all five filter types) that checks the signature, chunk lengths and CRCs.
 */
import { inflateSync } from 'node:zlib';
import { expect } from 'vitest';
import { PNG_SIGNATURE, crc32 } from './png';

export interface Chunk {
  type: string;
  data: Uint8Array;
  crc: number;
  /** CRC recomputed over type + data. */
  actualCrc: number;
}

/** Split a PNG into chunks, checking the signature. */
export function chunks(png: Uint8Array): Chunk[] {
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
export function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array; filters: number[] } {
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

