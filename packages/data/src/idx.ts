import { DataFileError } from '@charlearn/core';

/** IDX magic of an unsigned-byte 3-D array (images `[n, rows, cols]`). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** IDX magic of an unsigned-byte 1-D array (labels `[n]`). */
export const IDX_LABELS_MAGIC = 0x00000801;

/** A parsed IDX file: its dimensions and its bytes (a view, not a copy). */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const hex = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

/**
 * Parses an (already gunzipped) IDX file of unsigned bytes: a big-endian
 * magic `0x000008NN` (`NN` = number of dims), NN big-endian uint32 dims, then
 * exactly `∏ dims` bytes. A wrong magic, a header or body that is too short
 * (truncated) or too long → {@link DataFileError} naming `path`.
 *
 * @example
 * ```ts
 * const { dims, data } = parseIdx(bytes, 'train-images-idx3-ubyte', IDX_IMAGES_MAGIC);
 * dims; // [60000, 28, 28]
 * ```
 */
export function parseIdx(bytes: Uint8Array, path: string, magic: number): IdxArray {
  if (bytes.length < 4) throw new DataFileError(`${path}: truncated: ${bytes.length} bytes, expected an IDX header (magic ${hex(magic)})`, path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const got = view.getUint32(0);
  if (got !== magic) throw new DataFileError(`${path}: expected IDX magic ${hex(magic)}, got ${hex(got)}`, path);
  const rank = magic & 0xff;
  const header = 4 + 4 * rank;
  if (bytes.length < header) {
    throw new DataFileError(`${path}: truncated: ${bytes.length} bytes, expected a ${header}-byte IDX header with ${rank} dims`, path);
  }
  const dims: number[] = [];
  for (let k = 0; k < rank; k++) dims.push(view.getUint32(4 + 4 * k));
  const size = dims.reduce((a, d) => a * d, 1);
  const body = bytes.length - header;
  if (body !== size) {
    const what = body < size ? 'truncated' : 'trailing bytes';
    throw new DataFileError(`${path}: ${what}: expected ${size} data bytes for dims [${dims.join(', ')}], got ${body}`, path);
  }
  return { dims, data: bytes.subarray(header) };
}

/** A 256-entry table `b → b / 255` in float32. */
export const BYTE_TO_UNIT: Float32Array = Float32Array.from({ length: 256 }, (_, b) => b / 255);

/**
 * Bytes `0..255` → float32 pixels `b / 255` in [0, 1].
 *
 * @example
 * ```ts
 * bytesToUnit(Uint8Array.of(0, 255)); // Float32Array [0, 1]
 * ```
 */
export function bytesToUnit(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = BYTE_TO_UNIT[bytes[i]!]!;
  return out;
}

/**
 * Checks that every label is below `classes`, else a {@link DataFileError}
 * naming `path` and the first bad record.
 *
 * @example
 * ```ts
 * assertLabels(Uint8Array.of(0, 9), 10, 'labels.idx'); // ok
 * ```
 */
export function assertLabels(labels: Uint8Array, classes: number, path: string): void {
  const bad = labels.findIndex((l) => l >= classes);
  if (bad >= 0) throw new DataFileError(`${path}: label ${labels[bad]} of record ${bad} is not a class id in [0, ${classes - 1}]`, path);
}
