/**
 * Minimal PNG encoder: 8-bit truecolour + alpha (colour type 6), one IDAT
 * chunk, per-row filter 0 (none) or 1 (sub). Browser-safe: nothing from
 * `node:*` is imported at module load; in Node the IDAT is compressed with
 * `node:zlib` (reached through `process.getBuiltinModule`), elsewhere it is
 * written as stored (uncompressed) deflate blocks, still a valid PNG.
 *
 * @example
 * ```ts
 * import { encodePng } from '@charlearn/metrics';
 * const rgba = new Uint8Array(2 * 1 * 4).fill(255); // 2×1 white, opaque
 * const bytes = encodePng(2, 1, rgba);
 * ```
 * @packageDocumentation
 */
import { ShapeError, ValueRangeError, crc32 } from '@charlearn/core';

/** The 8-byte PNG file signature. */
export const PNG_SIGNATURE: Uint8Array = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** Per-row filter choice: always none, always sub, or per row whichever looks smaller. */
export type PngFilter = 'none' | 'sub' | 'auto';

/** Options of {@link encodePng}. */
export interface EncodePngOptions {
  /** Row filter strategy (default `'auto'`: per row, the smaller sum of absolute filtered bytes). */
  filter?: PngFilter;
  /** zlib compression level 0–9 (default 6); ignored where `node:zlib` is unavailable (stored blocks). */
  level?: number;
  /** `'zlib'` (default: `node:zlib` where available, else stored) or `'stored'` (never compress). */
  deflate?: 'zlib' | 'stored';
}

type DeflateSync = (data: Uint8Array, options: { level: number }) => Uint8Array;

/** `node:zlib`'s `deflateSync` when running in Node (>= 20.16), else undefined; no static `node:*` import. */
function nodeDeflateSync(): DeflateSync | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const zlib = proc?.getBuiltinModule?.('node:zlib') as { deflateSync?: DeflateSync } | undefined;
  return zlib?.deflateSync;
}

/**
 * A zlib stream (RFC 1950) of stored, uncompressed deflate blocks (RFC 1951,
 * BTYPE 00, at most 65,535 bytes each) with its Adler-32 checksum: what
 * {@link encodePng} writes where `node:zlib` is unavailable.
 *
 * @example
 * ```ts
 * zlibStored(Uint8Array.of(1, 2, 3)); // 78 01 | 01 03 00 fc ff 01 02 03 | 00 0d 00 07
 * ```
 */
export function zlibStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / 0xffff));
  const out = new Uint8Array(2 + data.length + 5 * blocks + 4);
  out[0] = 0x78; // CM 8 (deflate), CINFO 7 (32 KiB window)
  out[1] = 0x01; // FLEVEL 0, FCHECK so that 0x7801 % 31 === 0
  let at = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * 0xffff;
    const len = Math.min(0xffff, data.length - start);
    out[at] = b === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00
    out[at + 1] = len & 0xff;
    out[at + 2] = len >>> 8;
    out[at + 3] = ~len & 0xff;
    out[at + 4] = (~len >>> 8) & 0xff;
    out.set(data.subarray(start, start + len), at + 5);
    at += 5 + len;
  }
  let a = 1;
  let s = 0;
  for (let i = 0; i < data.length; i++) {
    a = (a + data[i]!) % 65521;
    s = (s + a) % 65521;
  }
  new DataView(out.buffer).setUint32(at, ((s << 16) | a) >>> 0);
  return out;
}

/** CRC-32 of the PNG chunks: the one implementation in `@charlearn/core` (its tensor files use it too). */
export { crc32 };

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
 * import { writeFileSync } from 'node:fs';
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
  if (options.deflate !== undefined && options.deflate !== 'zlib' && options.deflate !== 'stored') {
    throw new ValueRangeError(`encodePng: deflate must be 'zlib' or 'stored', got ${String(options.deflate)}`, 'deflate');
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
  const deflate = options.deflate === 'stored' ? undefined : nodeDeflateSync();
  const idat = deflate ? new Uint8Array(deflate(raw, { level })) : zlibStored(raw);
  const parts = [PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
