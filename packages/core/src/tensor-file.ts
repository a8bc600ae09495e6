import { CheckpointError } from './errors';
import { typeLabel } from './validate';
import { crc32 } from './crc32';
import { assertJsonObject, type JsonObject, type JsonValue } from './json';
import { assertNamedArrays, type NamedArrays } from './named-arrays';
import { SAFETENSORS_METADATA_KEY, layoutSafetensors, looksLikeSafetensors, parseSafetensorsHeader, readSafetensors } from './safetensors';
import { LEGACY_TENSOR_FILE_MAGIC, decodeTensorsV1, hasLegacyMagic } from './tensor-file-v1';

/**
 * The format version {@link encodeTensors} writes: 2, the safetensors layout
 * with charlearn's metadata in `__metadata__`. Version 1 (charlearn's own
 * layout, magic `CHRLRN\0\x01`) is still read.
 */
export const TENSOR_FILE_VERSION = 2;

/** `__metadata__` key holding the format version (`"2"`); its presence marks a charlearn file. */
export const TENSOR_FILE_VERSION_KEY = 'charlearn.format_version';

/** `__metadata__` key holding the CRC-32 (8 hex digits) of the canonical header and the data. */
export const TENSOR_FILE_CRC_KEY = 'charlearn.crc32';

/**
 * The magic of format version 1 files. Files written today are safetensors
 * and start with the header length instead.
 *
 * @deprecated Version 2 files have no magic; kept to recognise version 1 files.
 */
export const TENSOR_FILE_MAGIC: Uint8Array = LEGACY_TENSOR_FILE_MAGIC;

const hex = (n: number): string => n.toString(16).padStart(8, '0');

/** Options of {@link decodeTensors}. */
export interface DecodeTensorsOptions {
  /** Receives a one-line note when an older format version is read (default: `console.warn`). */
  readonly onNote?: (message: string) => void;
}

/** What {@link decodeTensors} returns: the metadata, the arrays (float32 copies), the file's format version. */
export interface DecodedTensors {
  readonly meta: JsonObject;
  readonly arrays: NamedArrays;
  /** 2 for a charlearn safetensors file, 1 for the legacy layout, 0 for a safetensors file not written by charlearn. */
  readonly version: 0 | 1 | 2;
}

/**
 * The bytes the CRC covers before the data: the header as JSON with sorted
 * keys at every level and without the CRC entry. Canonical, so any reader
 * (the repo's Python scripts too) recomputes it from the parsed header.
 */
export function canonicalHeaderBytes(header: Record<string, unknown>): Uint8Array {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) if (k !== TENSOR_FILE_CRC_KEY) out[k] = sorted((v as Record<string, unknown>)[k]);
    return out;
  };
  return new TextEncoder().encode(JSON.stringify(sorted(header)));
}

function checksum(header: Record<string, unknown>, bytes: Uint8Array, dataStart: number): number {
  const h = canonicalHeaderBytes(header);
  const joined = new Uint8Array(h.length + bytes.length - dataStart);
  joined.set(h, 0);
  joined.set(bytes.subarray(dataStart), h.length);
  return crc32(joined);
}

/**
 * Encodes named float32 arrays and JSON metadata as a safetensors file
 * (format version 2; Node and browsers). `safetensors.torch.load_file`
 * and `safe_open` open it; the repo's Python scripts read it without the
 * `safetensors` package.
 *
 * `__metadata__` holds, as strings: each top-level key of `meta` as its
 * JSON text (e.g. `"step": "1200"`, `"network": "{\"kind\":\"mlp\",...}"`),
 * `charlearn.format_version` (`"2"`) and `charlearn.crc32`, the CRC-32 of
 * the canonical header (sorted keys, without the CRC entry) followed by the
 * data bytes, so a flipped bit anywhere is caught.
 *
 * `meta` must be JSON that round-trips exactly (finite numbers; no `NaN`,
 * `undefined`, class instances): a `ValueRangeError` names the key otherwise.
 * Keys starting with `charlearn.` are reserved.
 *
 * @example
 * ```ts
 * const bytes = encodeTensors({ w: { shape: [2], values: Float32Array.of(1, 2) } }, { step: 1000 });
 * const { meta, arrays } = decodeTensors(bytes);
 * ```
 */
export function encodeTensors(arrays: NamedArrays, meta: JsonObject): Uint8Array {
  assertNamedArrays('arrays', arrays);
  assertJsonObject('meta', meta);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (k.startsWith('charlearn.')) throw new CheckpointError(`meta key '${k}' is reserved (keys starting with 'charlearn.')`, undefined, `meta.${k}`);
    metadata[k] = JSON.stringify(v);
  }
  metadata[TENSOR_FILE_VERSION_KEY] = String(TENSOR_FILE_VERSION);
  metadata[TENSOR_FILE_CRC_KEY] = '00000000';
  const { bytes, header } = layoutSafetensors(arrays, metadata);
  const n = bytes.length - Object.values(arrays).reduce((s, a) => s + 4 * a.values.length, 0);
  const crc = hex(checksum(header, bytes, n));
  // patch the placeholder in place: same length, so the layout is unchanged
  const placeholder = new TextEncoder().encode(`"${TENSOR_FILE_CRC_KEY}":"00000000"`);
  const at = indexOf(bytes, placeholder, 8, n);
  bytes.set(new TextEncoder().encode(crc), at + placeholder.length - 9);
  return bytes;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number, to: number): number {
  outer: for (let i = from; i + needle.length <= to; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('internal: CRC placeholder not found in the header');
}

/**
 * Decodes a tensor file: a charlearn safetensors file (format version 2:
 * CRC checked, metadata parsed back to JSON), a version 1 file (recognised
 * by its magic; `onNote` is told once to re-save it), or a safetensors file
 * written elsewhere (e.g. `safetensors.torch.save_file`; `F32`, `F16`,
 * `BF16` read as float32, metadata kept as strings, no CRC to check; a
 * file is charlearn's when its `__metadata__` has `charlearn.format_version`
 * or `charlearn.crc32`).
 * Every defect is a `CheckpointError` saying what is wrong (truncated,
 * header length past the end, malformed header, overlapping or
 * out-of-range offsets, unsupported dtype, checksum mismatch). The returned
 * arrays are copies.
 *
 * @example
 * ```ts
 * const { meta, arrays, version } = decodeTensors(new Uint8Array(await file.arrayBuffer()));
 * ```
 */
export function decodeTensors(bytes: Uint8Array, options: DecodeTensorsOptions = {}): DecodedTensors {
  if (!(bytes instanceof Uint8Array)) throw new CheckpointError(`bytes must be the checkpoint as a Uint8Array, got ${typeLabel(bytes)}`, undefined, 'bytes');
  if (hasLegacyMagic(bytes)) {
    const { meta, arrays } = decodeTensorsV1(bytes);
    (options.onNote ?? console.warn)('note: this file has charlearn tensor format version 1; it loads, but re-save it to get version 2 (safetensors), which PyTorch tools open');
    return { meta, arrays, version: 1 };
  }
  if (!looksLikeSafetensors(bytes)) {
    if (bytes.length < 9) throw new CheckpointError(`truncated checkpoint: expected at least 9 bytes, got ${bytes.length}`);
    throw new CheckpointError('not a charlearn checkpoint: neither a safetensors file (8-byte header length, then a JSON header) nor format version 1 (magic "CHRLRN\\0\\x01")');
  }
  const header = parseSafetensorsHeader(bytes);
  const { [TENSOR_FILE_VERSION_KEY]: version, [TENSOR_FILE_CRC_KEY]: stored, ...rest } = header.metadata;
  if (version === undefined && stored === undefined) {
    const { arrays } = readSafetensors(bytes);
    return { meta: rest, arrays, version: 0 };
  }
  if (version === undefined) throw new CheckpointError(`malformed checkpoint header: '${TENSOR_FILE_CRC_KEY}' without '${TENSOR_FILE_VERSION_KEY}' in __metadata__`);
  if (version !== String(TENSOR_FILE_VERSION)) {
    throw new CheckpointError(
      `unsupported checkpoint format version ${version}; this @charlearn/core reads versions 1 and ${TENSOR_FILE_VERSION}` +
        (Number(version) > TENSOR_FILE_VERSION ? ' (written by a newer release: upgrade @charlearn/core)' : ''),
    );
  }
  const computed = hex(checksum(header.raw, bytes, header.dataStart));
  if (stored !== computed) {
    throw new CheckpointError(`checkpoint checksum mismatch (stored CRC-32 ${stored === undefined ? 'missing' : `0x${stored}`}, computed 0x${computed}): the file is corrupt`);
  }
  const meta: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(rest)) {
    try {
      meta[k] = JSON.parse(v) as JsonValue;
    } catch {
      throw new CheckpointError(`malformed checkpoint header: metadata '${k}' is not JSON text`);
    }
  }
  return { meta, arrays: readSafetensors(bytes).arrays, version: 2 };
}
