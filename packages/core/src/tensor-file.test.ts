import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  Rng,
  ShapeError,
  TENSOR_FILE_CRC_KEY,
  TENSOR_FILE_VERSION,
  TENSOR_FILE_VERSION_KEY,
  ValueRangeError,
  bfloat16ToFloat,
  crc32,
  decodeTensors,
  encodeTensors,
  floatToBfloat16,
  floatToHalf,
  halfToFloat,
  parseSafetensorsHeader,
  readSafetensors,
  writeSafetensors,
  type NamedArrays,
} from './index';

const arrays = (): NamedArrays => ({
  'in/w': { shape: [2, 3], values: Float32Array.from([1, -2, 3.5, 1e-30, -0, 6]) },
  odd: { shape: [3], values: Float32Array.from([NaN, Infinity, -Infinity]) },
  empty: { shape: [0, 4], values: new Float32Array(0) },
  scalar: { shape: [], values: Float32Array.from([42]) },
  big: { shape: [100, 7], values: new Rng(1).normalArray(700) },
});
const meta = { step: 1200, name: 'teacher ✓', nested: { list: [1, 'a', null, true, { x: -0.5 }] } };
const quiet = { onNote: () => undefined };

function errorOf(f: () => unknown): CheckpointError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return e as CheckpointError;
  }
  throw new Error('expected a CheckpointError');
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** A safetensors file from a header text (written as the reference tests write theirs) and `data` bytes. */
function file(header: string, data: number | number[] = 0, length?: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const payload = typeof data === 'number' ? new Uint8Array(data) : Uint8Array.from(data);
  const out = new Uint8Array(8 + json.length + payload.length);
  new DataView(out.buffer).setUint32(0, length ?? json.length, true);
  out.set(json, 8);
  out.set(payload, 8 + json.length);
  return out;
}

function headerLength(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
}

describe('crc32', () => {
  it('matches the standard check values', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(new TextEncoder().encode('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });
});

describe('16-bit floats', () => {
  it('decode the IEEE half and bfloat16 reference values exactly', () => {
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x3555, 0x8000].map(halfToFloat)).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, 0.333251953125, -0]);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect([0x3f80, 0xc000, 0x4049, 0x0001].map(bfloat16ToFloat)).toEqual([1, -2, 3.140625, 2 ** -133]);
  });

  it('encode every half and bfloat16 pattern back to itself, and round to nearest even', () => {
    const wrong: string[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const isNan = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (!isNan && floatToHalf(halfToFloat(h)) !== h) wrong.push(`F16 ${h}`);
      const bNan = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
      if (!bNan && floatToBfloat16(bfloat16ToFloat(h)) !== h) wrong.push(`BF16 ${h}`);
    }
    expect(wrong).toEqual([]);
    // halfway between 1 and the next half (1 + 2^-10): ties to even (1); just above: up
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00);
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalf(65520)).toBe(0x7c00);
    expect(floatToHalf(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal
    expect(floatToHalf(1.5 * 2 ** -25)).toBe(1);
    expect(floatToBfloat16(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });
});

describe('the safetensors layout: cases of the format reference test suite (as data)', () => {
  const i32 = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';

  it('parses valid headers: shapes [2, 2], [] and [2, 0], whitespace padding before and after', () => {
    expect(parseSafetensorsHeader(file(i32, 16)).entries).toEqual([{ name: 'test', dtype: 'I32', shape: [2, 2], dataOffsets: [0, 16] }]);
    expect(parseSafetensorsHeader(file('{"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}', 4)).entries[0]!.shape).toEqual([]);
    expect(parseSafetensorsHeader(file('{"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}}')).entries[0]!.shape).toEqual([2, 0]);
    expect(parseSafetensorsHeader(file('{}\r \t\n')).entries).toEqual([]);
    expect(parseSafetensorsHeader(file('\t\n{}\r ')).entries).toEqual([]);
  });

  it('refuses a truncated length, a header length past the end, and a header too large', () => {
    expect(errorOf(() => parseSafetensorsHeader(new Uint8Array(0))).message).toMatch(/truncated safetensors file: 0 bytes/);
    expect(errorOf(() => parseSafetensorsHeader(file(i32, 16).subarray(0, 8))).message).toMatch(/header length says 60 bytes, but only 0 follow/);
    const huge = file(i32, 16);
    huge.set([0xff, 0xff, 0xff], 5);
    expect(errorOf(() => parseSafetensorsHeader(huge)).message).toMatch(/header length \d+ bytes is more than the 100000000 allowed/);
  });

  it('refuses a header that is not UTF-8 JSON', () => {
    expect(errorOf(() => parseSafetensorsHeader(file('', [0xff], 1))).message).toMatch(/not UTF-8 JSON/);
    expect(errorOf(() => parseSafetensorsHeader(file('{'))).message).toMatch(/not UTF-8 JSON/);
    expect(errorOf(() => parseSafetensorsHeader(file('[1]'))).message).toMatch(/must be a JSON object/);
  });

  it('refuses a buffer with missing or extra bytes (polyglot files)', () => {
    expect(errorOf(() => parseSafetensorsHeader(file(i32, 14))).message).toMatch(/truncated safetensors file: the tensors need 16 bytes of data, 14 follow/);
    const polyglot = file(i32, [...new Uint8Array(16), ...new TextEncoder().encode('extra_bogus_data_for_polyglot_file')]);
    expect(errorOf(() => parseSafetensorsHeader(polyglot)).message).toMatch(/34 bytes after the last tensor/);
  });

  it('refuses overlapping offsets (ten tensors on [0, 16)), holes, offsets that do not fit the shape, overflowing shapes', () => {
    const attack = `{${Array.from({ length: 10 }, (_, i) => `"weight_${i}":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}`).join(',')}}`;
    expect(errorOf(() => parseSafetensorsHeader(file(attack, 16))).message).toMatch(/tensor 'weight_\d' \[0, 16\) overlaps the tensor before it/);
    expect(errorOf(() => parseSafetensorsHeader(file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8))).message).toMatch(/hole of 4 bytes before tensor 'a'/);
    expect(errorOf(() => parseSafetensorsHeader(file('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}}'))).message).toMatch(
      /data_offsets \[0, 4\] hold 4 bytes, but I32 \[2, 2\] needs 16/,
    );
    expect(errorOf(() => parseSafetensorsHeader(file('{"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}', 16))).message).toMatch(
      /shape must be an array of non-negative integers/,
    );
    expect(errorOf(() => parseSafetensorsHeader(file('{"test":{"dtype":"I32","shape":[2,9007199254740991],"data_offsets":[0,16]}}', 16))).message).toMatch(/too large/);
    expect(errorOf(() => parseSafetensorsHeader(file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}', 8))).message).toMatch(/0 <= begin <= end/);
    expect(errorOf(() => parseSafetensorsHeader(file('{"a":{"dtype":"Q9","shape":[1],"data_offsets":[0,4]}}', 4))).message).toMatch(/unknown dtype "Q9"/);
    expect(errorOf(() => parseSafetensorsHeader(file('{"__metadata__":{"step":3}}'))).message).toMatch(/"__metadata__".step must be a string/);
  });

  it('reads F32, F16 and BF16 as float32 and refuses other dtypes naming the tensor', () => {
    const f16 = [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00];
    const bf16 = [0x80, 0x3f, 0x49, 0x40];
    const f32 = Array.from(new Uint8Array(Float32Array.of(0.1, -3).buffer));
    const bytes = file(
      '{"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},"f":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},"__metadata__":{"format":"pt"}}',
      [...f16, ...bf16, ...f32],
    );
    const { arrays: out, metadata, dtypes } = readSafetensors(bytes);
    expect(Array.from(out.h!.values)).toEqual([1, -2, 65504, 2 ** -24]);
    expect(out.h!.shape).toEqual([2, 2]);
    expect(Array.from(out.b!.values)).toEqual([1, 3.140625]);
    expect(Array.from(out.f!.values)).toEqual([Math.fround(0.1), -3]);
    expect(metadata).toEqual({ format: 'pt' });
    expect(dtypes).toEqual({ h: 'F16', b: 'BF16', f: 'F32' });
    for (const dtype of ['I32', 'F64', 'U8']) {
      const size = { I32: 4, F64: 8, U8: 1 }[dtype]!;
      const e = errorOf(() => readSafetensors(file(`{"w":{"dtype":"${dtype}","shape":[2],"data_offsets":[0,${2 * size}]}}`, 2 * size)));
      expect(e.message).toMatch(new RegExp(`unsupported dtype ${dtype} of tensor 'w': charlearn reads F32, F16, BF16`));
    }
  });

  it('writes what it reads, 8-aligned, with the metadata', () => {
    const bytes = writeSafetensors(arrays(), { kind: 'teacher' });
    expect((8 + headerLength(bytes)) % 8).toBe(0);
    const { arrays: out, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ kind: 'teacher' });
    for (const [name, { shape, values }] of Object.entries(arrays())) {
      expect(out[name]!.shape, name).toEqual(shape);
      expect(bits(out[name]!.values), name).toEqual(bits(values));
    }
  });
});

describe('encodeTensors / decodeTensors (format version 2: safetensors with charlearn metadata)', () => {
  it('round-trips arrays bit-exactly (NaN, ±Inf, −0, empty, scalar), in order, with the meta', () => {
    const bytes = encodeTensors(arrays(), meta);
    const out = decodeTensors(bytes);
    expect(out.version).toBe(TENSOR_FILE_VERSION);
    expect(out.meta).toEqual(meta);
    expect(Object.keys(out.arrays)).toEqual(Object.keys(arrays()));
    for (const [name, { shape, values }] of Object.entries(arrays())) {
      expect(out.arrays[name]!.shape, name).toEqual(shape);
      expect(bits(out.arrays[name]!.values), name).toEqual(bits(values));
    }
    expect(Array.from(encodeTensors(arrays(), meta))).toEqual(Array.from(bytes)); // deterministic
  });

  it('is a safetensors file whose __metadata__ holds each meta key as JSON text, the version and the CRC', () => {
    const bytes = encodeTensors(arrays(), meta);
    const { metadata, entries, dataStart } = parseSafetensorsHeader(bytes);
    expect(dataStart % 8).toBe(0);
    expect(metadata.step).toBe('1200');
    expect(JSON.parse(metadata.nested!)).toEqual(meta.nested);
    expect(metadata[TENSOR_FILE_VERSION_KEY]).toBe('2');
    expect(metadata[TENSOR_FILE_CRC_KEY]).toMatch(/^[0-9a-f]{8}$/);
    expect(entries.map((e) => e.dtype)).toEqual(['F32', 'F32', 'F32', 'F32', 'F32']);
    expect(bytes.length).toBe(dataStart + 4 * (6 + 3 + 0 + 1 + 700));
  });

  it('accepts input at any byte offset and returns copies', () => {
    const bytes = encodeTensors(arrays(), meta);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const out = decodeTensors(shifted.subarray(3));
    expect(bits(out.arrays.big!.values)).toEqual(bits(arrays().big!.values));
    shifted.fill(0);
    expect(out.arrays.scalar!.values[0]).toBe(42);
  });

  it('refuses every single-bit flip of a small file (header, padding or data): checksum mismatch or a malformed header', () => {
    const bytes = encodeTensors({ w: { shape: [2, 2], values: Float32Array.of(1, 2, 3, 4) } }, { step: 3, kind: 'teacher' });
    for (let at = 0; at < bytes.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = bytes.slice();
        bad[at] = bad[at]! ^ (1 << bit);
        expect(() => decodeTensors(bad, quiet), `byte ${at} bit ${bit}`).toThrow(CheckpointError);
      }
    }
    const data = bytes.slice();
    data[data.length - 1] = data[data.length - 1]! ^ 0x01;
    expect(errorOf(() => decodeTensors(data)).message).toMatch(/checksum mismatch \(stored CRC-32 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)/);
  });

  it('refuses truncation, trailing bytes, a wrong or future version and non-files, with the reason', () => {
    const bytes = encodeTensors(arrays(), meta);
    for (const n of [bytes.length - 1, Math.floor(bytes.length / 2), 30]) expect(errorOf(() => decodeTensors(bytes.subarray(0, n))).message, String(n)).toMatch(/truncated/);
    expect(errorOf(() => decodeTensors(bytes.subarray(0, 5))).message).toMatch(/truncated checkpoint: expected at least 9 bytes, got 5/);
    const longer = new Uint8Array(bytes.length + 2);
    longer.set(bytes);
    expect(errorOf(() => decodeTensors(longer)).message).toMatch(/2 bytes after the last tensor/);
    const future = writeSafetensors({}, { [TENSOR_FILE_VERSION_KEY]: '3' });
    expect(errorOf(() => decodeTensors(future)).message).toMatch(/unsupported checkpoint format version 3; this @charlearn\/core reads versions 1 and 2 \(written by a newer release/);
    expect(errorOf(() => decodeTensors(new TextEncoder().encode('{"weights": []}'))).message).toMatch(/not a charlearn checkpoint/);
    expect(errorOf(() => decodeTensors(writeSafetensors({}, { [TENSOR_FILE_VERSION_KEY]: '2' }))).message).toMatch(/stored CRC-32 missing/);
  });

  it('reads a safetensors file written elsewhere: metadata kept as strings, no CRC required', () => {
    const out = decodeTensors(writeSafetensors({ w: { shape: [1], values: Float32Array.of(5) } }, { format: 'pt', step: '7' }));
    expect(out).toEqual({ version: 0, meta: { format: 'pt', step: '7' }, arrays: { w: { shape: [1], values: Float32Array.of(5) } } });
  });

  it('loads a file of format version 1 (the committed fixture) with a one-line note to re-save', () => {
    const v1 = new Uint8Array(readFileSync(new URL('../fixtures/tensor-file-v1.bin', import.meta.url)));
    const notes: string[] = [];
    const out = decodeTensors(v1, { onNote: (m) => notes.push(m) });
    expect(out.version).toBe(1);
    expect(out.meta).toEqual({ kind: 'teacher', step: 7, note: 'format version 1' });
    expect(Array.from(out.arrays['in/w']!.values)).toEqual([1, -2, 3.5, Math.fround(1e-30), -0, 6]);
    expect(out.arrays.scalar).toEqual({ shape: [], values: Float32Array.of(42) });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^note: .*format version 1.*re-save/);
    expect(notes[0]).not.toContain('\n');
    const flipped = v1.slice();
    flipped[40] = flipped[40]! ^ 0x04;
    expect(errorOf(() => decodeTensors(flipped, quiet)).message).toMatch(/checksum mismatch|malformed/);
    // re-saved, it is version 2 with the same content
    const again = decodeTensors(encodeTensors(out.arrays, out.meta));
    expect(again.version).toBe(2);
    expect(again.meta).toEqual(out.meta);
  });

  it('validates its inputs before encoding', () => {
    const bad = (f: () => unknown, type: new (...a: never[]) => Error, parameter: string) => {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(type);
        expect((e as { parameter?: string }).parameter).toBe(parameter);
      }
    };
    bad(() => encodeTensors({ w: { shape: [2], values: [1, 2] as unknown as Float32Array } }, {}), ShapeError, "arrays['w']");
    bad(() => encodeTensors({ w: { shape: [3], values: new Float32Array(2) } }, {}), ShapeError, "arrays['w']");
    bad(() => encodeTensors({ w: { shape: [1.5], values: new Float32Array(1) } }, {}), ShapeError, "arrays['w']");
    bad(() => encodeTensors(null as unknown as NamedArrays, {}), ShapeError, 'arrays');
    bad(() => encodeTensors({}, { loss: NaN }), ValueRangeError, 'meta.loss');
    bad(() => encodeTensors({}, { rng: [1, 2, 3, 4, NaN] }), ValueRangeError, 'meta.rng[4]');
    bad(() => encodeTensors({}, { when: new Date() } as never), ValueRangeError, 'meta.when');
    bad(() => encodeTensors({}, { f: undefined } as never), ValueRangeError, 'meta.f');
    bad(() => encodeTensors({}, [] as never), ValueRangeError, 'meta');
    bad(() => encodeTensors({}, { 'charlearn.crc32': 'x' }), CheckpointError, 'meta.charlearn.crc32');
    bad(() => encodeTensors({ __metadata__: { shape: [1], values: new Float32Array(1) } }, {}), CheckpointError, 'arrays');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    bad(() => encodeTensors({}, cyclic as never), ValueRangeError, 'meta.self');
    expect(() => decodeTensors([1, 2, 3] as unknown as Uint8Array)).toThrow(CheckpointError);
  });
});
