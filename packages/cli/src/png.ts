/**
 * Minimal PNG encoder: 8-bit truecolour + alpha (colour type 6), one IDAT
 * chunk compressed with `node:zlib`, per-row filter 0 (none) or 1 (sub).
 *
 * @example
 * ```ts
 * import { encodePng } from './png';
 * const rgba = new Uint8Array(2 * 1 * 4).fill(255); // 2×1 white, opaque
 * const bytes = encodePng(2, 1, rgba);
 * ```
 * @packageDocumentation
 */
import { deflateSync } from 'node:zlib';
import { ShapeError, ValueRangeError } from '@charlearn/core';

/** The 8-byte PNG file signature. */
export const PNG_SIGNATURE: Uint8Array = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** Per-row filter choice: always none, always sub, or per row whichever looks smaller. */
export type PngFilter = 'none' | 'sub' | 'auto';

/** Options of {@link encodePng}. */
export interface EncodePngOptions {
  /** Row filter strategy (default `'auto'`: per row, the smaller sum of absolute filtered bytes). */
  filter?: PngFilter;
  /** zlib compression level 0–9 (default 6). */
  level?: number;
}

let crcTable: Uint32Array | undefined;

function table(): Uint32Array {
  if (crcTable) return crcTable;
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  crcTable = t;
  return t;
}

/**
 * CRC-32 (ISO 3309 / PNG) of `bytes`, as an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * crc32(new TextEncoder().encode('IEND')); // 0xae426082
 * ```
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = table();
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** Filtered scanlines (filter byte + 4·width bytes per row), before compression. */
function filterRows(width: number, height: number, rgba: Uint8Array, filter: PngFilter): Uint8Array {
  const stride = width * 4;
  const out = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const src = y * stride;
    const dst = y * (stride + 1);
    let useSub = filter === 'sub';
    if (filter === 'auto') {
      // Heuristic from the PNG spec: minimise the sum of |signed filtered byte|.
      let sumNone = 0;
      let sumSub = 0;
      for (let i = 0; i < stride; i++) {
        const v = rgba[src + i]!;
        const s = (v - (i >= 4 ? rgba[src + i - 4]! : 0)) & 0xff;
        sumNone += v < 128 ? v : 256 - v;
        sumSub += s < 128 ? s : 256 - s;
      }
      useSub = sumSub < sumNone;
    }
    out[dst] = useSub ? 1 : 0;
    if (useSub) {
      for (let i = 0; i < stride; i++) {
        out[dst + 1 + i] = (rgba[src + i]! - (i >= 4 ? rgba[src + i - 4]! : 0)) & 0xff;
      }
    } else {
      out.set(rgba.subarray(src, src + stride), dst + 1);
    }
  }
  return out;
}

/**
 * Encode an RGBA image (row-major, 4 bytes per pixel, top row first) as a PNG file.
 *
 * @param width - pixels per row, integer ≥ 1
 * @param height - rows, integer ≥ 1
 * @param rgba - `width·height·4` bytes
 * @throws ValueRangeError for a bad size, ShapeError when `rgba` has the wrong length
 *
 * @example
 * ```ts
 * const rgba = new Uint8Array(4 * 4 * 4);
 * rgba.fill(255);
 * writeFileSync('white.png', encodePng(4, 4, rgba));
 * ```
 */
export function encodePng(width: number, height: number, rgba: Uint8Array, options: EncodePngOptions = {}): Uint8Array {
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 0x7fffffff) {
      throw new ValueRangeError(`encodePng: ${name} must be an integer >= 1, got ${String(v)}`, name);
    }
  }
  if (rgba.length !== width * height * 4) {
    throw new ShapeError(
      `encodePng: rgba must have width*height*4 = ${width * height * 4} bytes, got ${rgba.length}`,
      'rgba',
    );
  }
  const level = options.level ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new ValueRangeError(`encodePng: level must be an integer in [0, 9], got ${String(level)}`, 'level');
  }
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: truecolour with alpha
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  const raw = filterRows(width, height, rgba, options.filter ?? 'auto');
  const idat = new Uint8Array(deflateSync(raw, { level }));
  const parts = [PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
