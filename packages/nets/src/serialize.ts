import { CheckpointError, typeLabel } from '@charlearn/core';
import { crc32 } from './crc32';
import { assertJsonObject, type JsonObject } from './json';
import type { NamedArrays } from './network';
import { assertNamedArrays, shapeSize } from './weights';

/** The 8 magic bytes every charlearn tensor file starts with: `"CHRLRN\0\x01"`. */
export const TENSOR_FILE_MAGIC: Uint8Array = Uint8Array.from([0x43, 0x48, 0x52, 0x4c, 0x52, 0x4e, 0x00, 0x01]);

/** The format version {@link encodeTensors} writes and {@link decodeTensors} reads. */
export const TENSOR_FILE_VERSION = 1;

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

/**
 * Encodes named float32 arrays and JSON metadata into one self-contained
 * binary (weights, training checkpoints). Works in Node and browsers.
 *
 * Layout (all integers little-endian):
 *
 * | offset | bytes | content |
 * |---|---|---|
 * | 0 | 8 | magic `CHRLRN\0\x01` |
 * | 8 | 4 | format version (u32, 1) |
 * | 12 | 4 | header length H (u32; UTF-8 JSON, space-padded so the payload starts 8-aligned) |
 * | 16 | 4 | payload length P (u32) |
 * | 20 | 4 | flags (u32, 0) |
 * | 24 | H | header `{ "meta": {...}, "tensors": [{ name, dtype: "float32", shape, offset, length }] }` (offset, length in bytes, relative to the payload) |
 * | 24+H | P | payload: float32 little-endian, arrays back to back (4-aligned) |
 * | 24+H+P | 4 | CRC-32 (IEEE) of bytes `[0, 24+H+P)` |
 *
 * `meta` must be JSON that round-trips exactly (finite numbers; no `NaN`,
 * `undefined`, class instances): a `ValueRangeError` names the key otherwise.
 *
 * @example
 * ```ts
 * const bytes = encodeTensors(net.getWeights(), { step: 1000, spec: net.config });
 * const { meta, arrays } = decodeTensors(bytes);
 * ```
 */
export function encodeTensors(arrays: NamedArrays, meta: JsonObject): Uint8Array {
  assertNamedArrays('arrays', arrays);
  assertJsonObject('meta', meta);
  const tensors: TableEntry[] = [];
  let payload = 0;
  for (const [name, { shape, values }] of Object.entries(arrays)) {
    tensors.push({ name, dtype: 'float32', shape: [...shape], offset: payload, length: values.length * 4 });
    payload += values.length * 4;
  }
  const json = new TextEncoder().encode(JSON.stringify({ meta, tensors }));
  const headerLen = Math.ceil((FIXED + json.length) / 8) * 8 - FIXED;
  const total = FIXED + headerLen + payload + TRAILER;
  if (headerLen > 0xffffffff || payload > 0xffffffff) {
    throw new CheckpointError(`too large for format version ${TENSOR_FILE_VERSION}: header ${headerLen} bytes, payload ${payload} bytes (max 4 GiB each)`);
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(TENSOR_FILE_MAGIC, 0);
  view.setUint32(8, TENSOR_FILE_VERSION, true);
  view.setUint32(12, headerLen, true);
  view.setUint32(16, payload, true);
  view.setUint32(20, 0, true);
  out.set(json, FIXED);
  out.fill(0x20, FIXED + json.length, FIXED + headerLen);
  const base = FIXED + headerLen;
  const entries = Object.values(arrays);
  tensors.forEach((t, i) => writeFloats(out, base + t.offset, entries[i]!.values));
  view.setUint32(base + payload, crc32(out, 0, base + payload), true);
  return out;
}

function writeFloats(out: Uint8Array, at: number, values: Float32Array): void {
  if (littleEndianHost) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset);
  for (let i = 0; i < values.length; i++) view.setFloat32(at + 4 * i, values[i]!, true);
}

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
 * Decodes bytes written by {@link encodeTensors}. Every defect is a
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
export function decodeTensors(bytes: Uint8Array): { meta: JsonObject; arrays: NamedArrays } {
  if (!(bytes instanceof Uint8Array)) throw new CheckpointError(`bytes must be the checkpoint as a Uint8Array, got ${typeLabel(bytes)}`, undefined, 'bytes');
  const magicLen = Math.min(bytes.length, TENSOR_FILE_MAGIC.length);
  for (let i = 0; i < magicLen; i++) {
    if (bytes[i] !== TENSOR_FILE_MAGIC[i]) {
      throw new CheckpointError(`not a charlearn checkpoint: wrong magic bytes (expected "CHRLRN\\0\\x01" at the start)`);
    }
  }
  if (bytes.length < FIXED + TRAILER) {
    throw new CheckpointError(`truncated checkpoint: expected at least ${FIXED + TRAILER} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== TENSOR_FILE_VERSION) {
    throw new CheckpointError(
      `unsupported checkpoint format version ${version}; this @charlearn/nets reads version ${TENSOR_FILE_VERSION}` +
        (version > TENSOR_FILE_VERSION ? ' (written by a newer release: upgrade @charlearn/nets)' : ''),
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
