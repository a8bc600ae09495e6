import { CheckpointError } from './errors';
import { crc32 } from './crc32';
import type { JsonObject } from './json';
import { shapeSize, type NamedArrays } from './named-arrays';

/**
 * Reader of charlearn's tensor format version 1 (written until format
 * version 2, safetensors, replaced it). Layout, all integers little-endian:
 *
 * | offset | bytes | content |
 * |---|---|---|
 * | 0 | 8 | magic `CHRLRN\0\x01` |
 * | 8 | 4 | format version (u32, 1) |
 * | 12 | 4 | header length H (u32; UTF-8 JSON, space-padded) |
 * | 16 | 4 | payload length P (u32) |
 * | 20 | 4 | flags (u32, 0) |
 * | 24 | H | header `{ "meta": {...}, "tensors": [{ name, dtype: "float32", shape, offset, length }] }` |
 * | 24+H | P | payload: float32 little-endian |
 * | 24+H+P | 4 | CRC-32 (IEEE) of bytes `[0, 24+H+P)` |
 */

/** The 8 magic bytes of a version 1 file: `"CHRLRN\0\x01"`. */
export const LEGACY_TENSOR_FILE_MAGIC: Uint8Array = Uint8Array.from([0x43, 0x48, 0x52, 0x4c, 0x52, 0x4e, 0x00, 0x01]);

const TENSOR_FILE_VERSION = 1;

/** Whether `bytes` starts with the version 1 magic (at least its first 6 bytes, "CHRLRN"). */
export function hasLegacyMagic(bytes: Uint8Array): boolean {
  if (bytes.length < 6) return false;
  const n = Math.min(bytes.length, LEGACY_TENSOR_FILE_MAGIC.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== LEGACY_TENSOR_FILE_MAGIC[i]) return false;
  return true;
}

const FIXED = 24; // magic 8 + version 4 + header length 4 + payload length 4 + flags 4
const TRAILER = 4; // CRC-32

interface TableEntry {
  name: string;
  dtype: 'float32';
  shape: number[];
  offset: number;
  length: number;
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function readFloats(bytes: Uint8Array, at: number, count: number): Float32Array {
  if (littleEndianHost) {
    // a copy: independent of the input buffer, aligned whatever the input's byteOffset
    return new Float32Array(bytes.slice(at, at + 4 * count).buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, true);
  return out;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * Decodes a version 1 file. Every defect is a
 * `CheckpointError` with a specific message: not a charlearn file (magic),
 * unsupported format version (both versions named), truncated (expected vs
 * actual bytes), trailing bytes, checksum mismatch (stored vs computed),
 * malformed header (what is wrong). The returned arrays are copies.
 *
 * @example
 * ```ts
 * const { meta, arrays } = decodeTensors(new Uint8Array(await file.arrayBuffer()));
 * ```
 */
export function decodeTensorsV1(bytes: Uint8Array): { meta: JsonObject; arrays: NamedArrays } {
  if (bytes.length < FIXED + TRAILER) {
    throw new CheckpointError(`truncated checkpoint: expected at least ${FIXED + TRAILER} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== TENSOR_FILE_VERSION) {
    throw new CheckpointError(
      `unsupported checkpoint format version ${version}; this reader reads version ${TENSOR_FILE_VERSION}` +
        (version > TENSOR_FILE_VERSION ? '' : ''),
    );
  }
  const headerLen = view.getUint32(12, true);
  const payload = view.getUint32(16, true);
  const expected = FIXED + headerLen + payload + TRAILER;
  if (bytes.length < expected) throw new CheckpointError(`truncated checkpoint: expected ${expected} bytes, got ${bytes.length}`);
  if (bytes.length > expected) {
    throw new CheckpointError(`malformed checkpoint: ${bytes.length - expected} unexpected bytes after the checksum (expected ${expected} bytes in all)`);
  }
  const stored = view.getUint32(expected - TRAILER, true);
  const computed = crc32(bytes, 0, expected - TRAILER);
  if (stored !== computed) {
    throw new CheckpointError(`checkpoint checksum mismatch (stored CRC-32 ${hex(stored)}, computed ${hex(computed)}): the file is corrupt`);
  }
  const flags = view.getUint32(20, true);
  if (flags !== 0) throw new CheckpointError(`malformed checkpoint header: flags must be 0 in format version ${TENSOR_FILE_VERSION}, got ${flags}`);
  const { meta, tensors } = parseHeader(bytes.subarray(FIXED, FIXED + headerLen), payload);
  const arrays: NamedArrays = {};
  for (const t of tensors) arrays[t.name] = { shape: t.shape, values: readFloats(bytes, FIXED + headerLen + t.offset, t.length / 4) };
  return { meta, arrays };
}

function malformed(what: string): CheckpointError {
  return new CheckpointError(`malformed checkpoint header: ${what}`);
}

function parseHeader(raw: Uint8Array, payload: number): { meta: JsonObject; tensors: TableEntry[] } {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (e) {
    throw malformed(`not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw malformed('expected a JSON object { meta, tensors }');
  const { meta, tensors } = header as { meta?: unknown; tensors?: unknown };
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw malformed('"meta" must be an object');
  if (!Array.isArray(tensors)) throw malformed('"tensors" must be an array');
  const names = new Set<string>();
  const table = tensors.map((t: unknown, i): TableEntry => {
    if (typeof t !== 'object' || t === null) throw malformed(`tensors[${i}] must be an object`);
    const { name, dtype, shape, offset, length } = t as Record<string, unknown>;
    if (typeof name !== 'string' || name.length === 0) throw malformed(`tensors[${i}].name must be a non-empty string`);
    if (names.has(name)) throw malformed(`duplicate tensor name '${name}'`);
    names.add(name);
    if (dtype !== 'float32') throw malformed(`tensor '${name}' has dtype ${JSON.stringify(dtype)}; format version ${TENSOR_FILE_VERSION} stores float32 only`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
      throw malformed(`tensor '${name}' shape must be an array of non-negative integers`);
    }
    if (!Number.isInteger(offset) || (offset as number) < 0 || (offset as number) % 4 !== 0) {
      throw malformed(`tensor '${name}' offset must be a non-negative multiple of 4, got ${JSON.stringify(offset)}`);
    }
    const want = 4 * shapeSize(shape as number[]);
    if (length !== want) throw malformed(`tensor '${name}' length ${JSON.stringify(length)} does not match its shape [${shape.join(', ')}] (${want} bytes)`);
    if ((offset as number) + want > payload) throw malformed(`tensor '${name}' [${offset}, ${(offset as number) + want}) lies outside the ${payload}-byte payload`);
    return { name, dtype, shape: shape as number[], offset: offset as number, length: want };
  });
  const sorted = [...table].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.offset < sorted[i - 1]!.offset + sorted[i - 1]!.length) throw malformed(`tensors '${sorted[i - 1]!.name}' and '${sorted[i]!.name}' overlap`);
  }
  return { meta: meta as JsonObject, tensors: table };
}
