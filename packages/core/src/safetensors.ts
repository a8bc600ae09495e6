import { CheckpointError } from './errors';
import { bfloat16ToFloat, halfToFloat } from './half-floats';
import { shapeSize, type NamedArrays } from './named-arrays';

/**
 * The safetensors layout (https://github.com/huggingface/safetensors), read
 * and written without dependencies:
 *
 * | bytes | content |
 * |---|---|
 * | 8 | `N`, the header length (u64, little-endian) |
 * | N | UTF-8 JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, ..., "__metadata__": { string: string } }`, space-padded |
 * | rest | the tensors' bytes, little-endian, row-major; `data_offsets` are relative to here |
 *
 * Rules enforced on reading (those of the format's reference
 * implementation): the header starts with `{` after optional whitespace and
 * is at most 100 MB; `__metadata__` maps strings to strings; the byte
 * buffer is covered exactly, tensor after tensor, with no hole, overlap or
 * trailing byte; each tensor's byte length equals its shape times its dtype
 * size. Writers pad the header with spaces so that the data start at a
 * multiple of 8 bytes.
 */

/** The `__metadata__` key of a safetensors header. */
export const SAFETENSORS_METADATA_KEY = '__metadata__';

/** The largest header the reference implementation reads (bytes). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** Dtypes whose values charlearn reads (as float32). */
export const SAFETENSORS_READABLE_DTYPES = ['F32', 'F16', 'BF16'] as const;

/** A dtype charlearn reads: `F32`, `F16` or `BF16`. */
export type SafetensorsReadableDtype = (typeof SAFETENSORS_READABLE_DTYPES)[number];

/** Bytes per element of every dtype of the format (sub-byte float types omitted). */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8, C64: 8,
};

/** One tensor of a safetensors header: dtype, shape and where its bytes lie in the buffer. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
  /** `[begin, end)` in bytes, relative to the start of the data buffer. */
  readonly dataOffsets: readonly [number, number];
}

/** A parsed safetensors header: the tensors (in file order of their bytes), the metadata map, where the data start. */
export interface SafetensorsHeader {
  readonly entries: SafetensorsEntry[];
  readonly metadata: Record<string, string>;
  /** Byte offset of the data buffer in the file (8 + header length). */
  readonly dataStart: number;
  /** The header object as parsed (tensor entries and `__metadata__`). */
  readonly raw: Record<string, unknown>;
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `count` little-endian float32 at byte `at`, bit-exact (NaN payloads kept), whatever the alignment. */
function readFloat32(bytes: Uint8Array, view: DataView, at: number, count: number): Float32Array {
  if (littleEndianHost) {
    // a fresh copy (not bytes.slice: on a Node Buffer that is a view of the whole pool)
    const copy = new Uint8Array(4 * count);
    copy.set(bytes.subarray(at, at + 4 * count));
    return new Float32Array(copy.buffer);
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, true);
  return out;
}

function read16(view: DataView, at: number, count: number, toFloat: (bits: number) => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = toFloat(view.getUint16(at + 2 * i, true));
  return out;
}

function bad(what: string): CheckpointError {
  return new CheckpointError(`malformed safetensors file: ${what}`);
}

/**
 * Whether `bytes` could be a safetensors file: at least 8 bytes and the
 * first byte after the length is `{` or JSON whitespace.
 *
 * @example
 * ```ts
 * looksLikeSafetensors(writeSafetensors({}, {})); // true
 * ```
 */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  const c = bytes[8];
  return bytes.length > 8 && (c === 0x7b || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d);
}

/**
 * Parses and validates the header of a safetensors file (see the rules
 * above); reads no tensor data. Throws a `CheckpointError` that says what is
 * wrong: a truncated length or header, a header length past the end, a
 * header that is not UTF-8 JSON, a tensor entry with a bad dtype, shape or
 * offsets, offsets that overlap, leave a hole or run past the buffer,
 * trailing bytes, non-string metadata.
 *
 * @example
 * ```ts
 * const { entries, metadata } = parseSafetensorsHeader(bytes);
 * entries.map((e) => `${e.name} ${e.dtype} [${e.shape}]`);
 * ```
 */
export function parseSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) throw new CheckpointError('bytes must be the file as a Uint8Array', undefined, 'bytes');
  if (bytes.length < 8) throw new CheckpointError(`truncated safetensors file: ${bytes.length} bytes, fewer than the 8 of the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > SAFETENSORS_MAX_HEADER_BYTES) throw bad(`header length ${n} bytes is more than the ${SAFETENSORS_MAX_HEADER_BYTES} allowed`);
  if (8 + n > bytes.length) {
    throw new CheckpointError(`truncated safetensors file: the header length says ${n} bytes, but only ${bytes.length - 8} follow the length`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('the header must be a JSON object');
  const raw = header as Record<string, unknown>;
  const metadata = parseMetadata(raw[SAFETENSORS_METADATA_KEY]);
  const entries = Object.entries(raw)
    .filter(([name]) => name !== SAFETENSORS_METADATA_KEY)
    .map(([name, info]) => parseEntry(name, info))
    .sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let end = 0;
  for (const e of entries) {
    const [begin, stop] = e.dataOffsets;
    if (begin !== end) {
      throw bad(begin < end ? `tensor '${e.name}' [${begin}, ${stop}) overlaps the tensor before it (which ends at ${end})` : `a hole of ${begin - end} bytes before tensor '${e.name}' (the buffer must be covered exactly)`);
    }
    end = stop;
  }
  const dataStart = 8 + n;
  const available = bytes.length - dataStart;
  if (end > available) throw new CheckpointError(`truncated safetensors file: the tensors need ${end} bytes of data, ${available} follow the header`);
  if (end < available) throw bad(`${available - end} bytes after the last tensor (the buffer must be covered exactly)`);
  return { entries, metadata, dataStart, raw };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw bad(`"${SAFETENSORS_METADATA_KEY}" must be an object of strings`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw bad(`"${SAFETENSORS_METADATA_KEY}".${k} must be a string, got ${JSON.stringify(v)}`);
  }
  return { ...(value as Record<string, string>) };
}

function parseEntry(name: string, info: unknown): SafetensorsEntry {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) throw bad(`tensor '${name}' must be { dtype, shape, data_offsets }`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) throw bad(`tensor '${name}' has an unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw bad(`tensor '${name}' shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) || offsets[1] < offsets[0]) {
    throw bad(`tensor '${name}' data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
  }
  const bytes = shapeSize(shape as number[]) * DTYPE_BYTES[dtype]!;
  if (!Number.isSafeInteger(bytes)) throw bad(`tensor '${name}' shape [${shape.join(', ')}] is too large`);
  const [begin, end] = offsets as [number, number];
  if (end - begin !== bytes) {
    throw bad(`tensor '${name}' data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} [${shape.join(', ')}] needs ${bytes}`);
  }
  return { name, dtype, shape: shape as number[], dataOffsets: [begin, end] };
}

/**
 * Reads every tensor of a safetensors file as float32 (`F32` copied, `F16`
 * and `BF16` converted exactly), with the `__metadata__` map and each
 * tensor's stored dtype. Any other dtype is refused with a `CheckpointError`
 * naming the tensor and its dtype, as is every defect
 * {@link parseSafetensorsHeader} finds. The arrays are copies.
 *
 * @example
 * ```ts
 * const { arrays, metadata, dtypes } = readSafetensors(new Uint8Array(readFileSync('model.safetensors')));
 * arrays['map_layer0.weight']?.shape; // e.g. [128, 32]
 * ```
 */
export function readSafetensors(bytes: Uint8Array): { arrays: NamedArrays; metadata: Record<string, string>; dtypes: Record<string, SafetensorsReadableDtype> } {
  const header = parseSafetensorsHeader(bytes);
  const arrays: NamedArrays = {};
  const dtypes: Record<string, SafetensorsReadableDtype> = {};
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const e of header.entries) {
    if (!(SAFETENSORS_READABLE_DTYPES as readonly string[]).includes(e.dtype)) {
      throw new CheckpointError(
        `unsupported dtype ${e.dtype} of tensor '${e.name}': charlearn reads ${SAFETENSORS_READABLE_DTYPES.join(', ')} (convert it, e.g. tensor.float() in PyTorch, and save again)`,
      );
    }
    const at = header.dataStart + e.dataOffsets[0];
    const count = shapeSize(e.shape);
    const values = e.dtype === 'F32' ? readFloat32(bytes, view, at, count) : read16(view, at, count, e.dtype === 'F16' ? halfToFloat : bfloat16ToFloat);
    arrays[e.name] = { shape: [...e.shape], values };
    dtypes[e.name] = e.dtype as SafetensorsReadableDtype;
  }
  return { arrays, metadata: header.metadata, dtypes };
}

/**
 * Writes float32 arrays and a string metadata map as a safetensors file
 * (`F32`, tensors in the order given, header space-padded so that the data
 * start 8-aligned). `safetensors.torch.load_file` opens the result.
 *
 * @example
 * ```ts
 * const bytes = writeSafetensors({ w: { shape: [2], values: Float32Array.of(1, 2) } }, { step: '10' });
 * ```
 */
export function writeSafetensors(arrays: NamedArrays, metadata: Record<string, string>): Uint8Array {
  return layoutSafetensors(arrays, metadata).bytes;
}

/**
 * The bytes of {@link writeSafetensors}, with the header object it wrote
 * (for callers that checksum the header).
 */
export function layoutSafetensors(arrays: NamedArrays, metadata: Record<string, string>): { bytes: Uint8Array; header: Record<string, unknown> } {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header[SAFETENSORS_METADATA_KEY] = { ...metadata };
  let offset = 0;
  for (const [name, { shape, values }] of Object.entries(arrays)) {
    if (name === SAFETENSORS_METADATA_KEY) throw new CheckpointError(`a tensor must not be named '${SAFETENSORS_METADATA_KEY}'`, undefined, 'arrays');
    header[name] = { dtype: 'F32', shape: [...shape], data_offsets: [offset, offset + 4 * values.length] };
    offset += 4 * values.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil((8 + json.length) / 8) * 8 - 8;
  if (n > SAFETENSORS_MAX_HEADER_BYTES) throw new CheckpointError(`the safetensors header would be ${n} bytes, more than the ${SAFETENSORS_MAX_HEADER_BYTES} allowed`);
  const out = new Uint8Array(8 + n + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, n, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let at = 8 + n;
  for (const { values } of Object.values(arrays)) {
    if (littleEndianHost) out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
    else for (let i = 0; i < values.length; i++) view.setFloat32(at + 4 * i, values[i]!, true);
    at += 4 * values.length;
  }
  return { bytes: out, header };
}
