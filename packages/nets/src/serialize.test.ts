import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { CheckpointError, Rng, ShapeError, ValueRangeError, useBackend } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  TENSOR_FILE_MAGIC,
  TENSOR_FILE_VERSION,
  crc32,
  createMlp,
  decodeTensors,
  encodeTensors,
  loadNetwork,
  saveNetwork,
  type NamedArrays,
} from './index';
import { applyValues, randomizeWeights } from './test-helpers';

beforeAll(async () => {
  await useBackend('wasm');
});

const arrays = (): NamedArrays => ({
  'in/w': { shape: [2, 3], values: Float32Array.from([1, -2, 3.5, 1e-30, -0, 6]) },
  odd: { shape: [3], values: Float32Array.from([NaN, Infinity, -Infinity]) },
  empty: { shape: [0, 4], values: new Float32Array(0) },
  scalar: { shape: [], values: Float32Array.from([42]) },
  big: { shape: [100, 7], values: new Rng(1).normalArray(700) },
});
const meta = { step: 1200, name: 'teacher ✓', nested: { list: [1, 'a', null, true, { x: -0.5 }] } };

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

describe('crc32', () => {
  it('matches the standard check values', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(new TextEncoder().encode('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });
});

describe('encodeTensors / decodeTensors', () => {
  it('round-trips arrays bit-exactly (NaN, ±Inf, −0, empty, scalar), in order, with the meta', () => {
    const bytes = encodeTensors(arrays(), meta);
    expect(Array.from(bytes.subarray(0, 8))).toEqual(Array.from(TENSOR_FILE_MAGIC));
    expect(new TextDecoder().decode(bytes.subarray(0, 6))).toBe('CHRLRN');
    const out = decodeTensors(bytes);
    expect(out.meta).toEqual(meta);
    expect(Object.keys(out.arrays)).toEqual(Object.keys(arrays()));
    for (const [name, { shape, values }] of Object.entries(arrays())) {
      expect(out.arrays[name]!.shape, name).toEqual(shape);
      expect(bits(out.arrays[name]!.values), name).toEqual(bits(values));
    }
    // deterministic
    expect(Array.from(encodeTensors(arrays(), meta))).toEqual(Array.from(bytes));
  });

  it('lays out a 4-aligned payload and accepts input at any byte offset', () => {
    const bytes = encodeTensors(arrays(), meta);
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(8, true)).toBe(TENSOR_FILE_VERSION);
    const headerLen = view.getUint32(12, true);
    expect((24 + headerLen) % 8).toBe(0);
    const payload = view.getUint32(16, true);
    expect(bytes.length).toBe(24 + headerLen + payload + 4);
    expect(payload).toBe(4 * (6 + 3 + 0 + 1 + 700));
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const out = decodeTensors(shifted.subarray(3));
    expect(bits(out.arrays.big!.values)).toEqual(bits(arrays().big!.values));
    // the result does not alias the input
    shifted.fill(0);
    expect(out.arrays.scalar!.values[0]).toBe(42);
  });

  it('rejects a wrong magic: "not a charlearn checkpoint"', () => {
    const bytes = encodeTensors(arrays(), meta);
    bytes[0] = 0x50; // 'P'
    expect(errorOf(() => decodeTensors(bytes)).message).toMatch(/not a charlearn checkpoint/);
    expect(errorOf(() => decodeTensors(new TextEncoder().encode('{"weights": []}'))).message).toMatch(/not a charlearn checkpoint/);
    expect(errorOf(() => decodeTensors(new Uint8Array(0))).message).toMatch(/truncated/);
  });

  it('rejects a future (or past) format version naming both versions', () => {
    for (const v of [2, 0]) {
      const bytes = encodeTensors(arrays(), meta);
      new DataView(bytes.buffer).setUint32(8, v, true);
      const e = errorOf(() => decodeTensors(bytes));
      expect(e.message).toMatch(new RegExp(`version ${v}\\b`));
      expect(e.message).toMatch(new RegExp(`reads version ${TENSOR_FILE_VERSION}\\b`));
    }
  });

  it('rejects truncation with expected vs actual bytes, and trailing bytes', () => {
    const bytes = encodeTensors(arrays(), meta);
    for (const n of [bytes.length - 1, bytes.length - 4, Math.floor(bytes.length / 2), 30, 8, 5]) {
      const e = errorOf(() => decodeTensors(bytes.subarray(0, n)));
      expect(e.message, String(n)).toMatch(/truncated/);
      expect(e.message, String(n)).toContain(`got ${n}`);
      if (n >= 28) expect(e.message).toContain(`expected ${bytes.length} bytes`);
    }
    const longer = new Uint8Array(bytes.length + 2);
    longer.set(bytes);
    expect(errorOf(() => decodeTensors(longer)).message).toMatch(/2 unexpected bytes/);
  });

  it('rejects any flipped byte in header, payload or checksum: checksum mismatch', () => {
    const bytes = encodeTensors(arrays(), meta);
    const headerLen = new DataView(bytes.buffer).getUint32(12, true);
    for (const at of [20, 24, 24 + 5, 24 + headerLen - 1, 24 + headerLen, bytes.length - 10, bytes.length - 1]) {
      const bad = bytes.slice();
      bad[at] = bad[at]! ^ 0x01;
      const e = errorOf(() => decodeTensors(bad));
      expect(e.message, String(at)).toMatch(/checksum mismatch/);
    }
  });

  it('rejects a malformed header even with a valid checksum', () => {
    const rebuild = (header: string, payload = 0): Uint8Array => {
      const json = new TextEncoder().encode(header);
      const h = Math.ceil((24 + json.length) / 8) * 8 - 24;
      const out = new Uint8Array(24 + h + payload + 4);
      const v = new DataView(out.buffer);
      out.set(TENSOR_FILE_MAGIC);
      v.setUint32(8, 1, true);
      v.setUint32(12, h, true);
      v.setUint32(16, payload, true);
      out.fill(0x20, 24 + json.length, 24 + h);
      out.set(json, 24);
      v.setUint32(24 + h + payload, crc32(out, 0, 24 + h + payload), true);
      return out;
    };
    expect(decodeTensors(rebuild('{"meta":{},"tensors":[]}'))).toEqual({ meta: {}, arrays: {} });
    const cases: Array<[string, RegExp, number?]> = [
      ['{"meta":{},"tensors":[', /not valid UTF-8 JSON/],
      ['[1,2]', /object \{ meta, tensors \}/],
      ['{"tensors":[]}', /"meta" must be an object/],
      ['{"meta":{},"tensors":{}}', /"tensors" must be an array/],
      ['{"meta":{},"tensors":[{"name":"a","dtype":"float16","shape":[1],"offset":0,"length":2}]}', /dtype "float16"/, 4],
      ['{"meta":{},"tensors":[{"name":"a","dtype":"float32","shape":[2],"offset":0,"length":4}]}', /does not match its shape/, 8],
      ['{"meta":{},"tensors":[{"name":"a","dtype":"float32","shape":[3],"offset":0,"length":12}]}', /outside the 8-byte payload/, 8],
      ['{"meta":{},"tensors":[{"name":"a","dtype":"float32","shape":[1],"offset":2,"length":4}]}', /multiple of 4/, 8],
      ['{"meta":{},"tensors":[{"name":"a","dtype":"float32","shape":[1],"offset":0,"length":4},{"name":"a","dtype":"float32","shape":[1],"offset":4,"length":4}]}', /duplicate tensor name 'a'/, 8],
      ['{"meta":{},"tensors":[{"name":"a","dtype":"float32","shape":[2],"offset":0,"length":8},{"name":"b","dtype":"float32","shape":[1],"offset":4,"length":4}]}', /overlap/, 8],
      ['{"meta":{},"tensors":[{"name":"","dtype":"float32","shape":[1],"offset":0,"length":4}]}', /non-empty string/, 4],
      ['{"meta":{},"tensors":[{"name":"a","dtype":"float32","shape":[-1],"offset":0,"length":4}]}', /non-negative integers/, 4],
    ];
    for (const [header, re, payload] of cases) {
      const e = errorOf(() => decodeTensors(rebuild(header, payload)));
      expect(e.message, header).toMatch(/malformed checkpoint header/);
      expect(e.message, header).toMatch(re);
    }
    const invalidUtf8 = rebuild('{"meta":{"a":"xx"},"tensors":[]}');
    invalidUtf8[24 + 13] = 0xff;
    new DataView(invalidUtf8.buffer).setUint32(invalidUtf8.length - 4, crc32(invalidUtf8, 0, invalidUtf8.length - 4), true);
    expect(errorOf(() => decodeTensors(invalidUtf8)).message).toMatch(/not valid UTF-8/);
    const flags = rebuild('{"meta":{},"tensors":[]}');
    new DataView(flags.buffer).setUint32(20, 1, true);
    new DataView(flags.buffer).setUint32(flags.length - 4, crc32(flags, 0, flags.length - 4), true);
    expect(errorOf(() => decodeTensors(flags)).message).toMatch(/flags must be 0/);
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
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    bad(() => encodeTensors({}, cyclic as never), ValueRangeError, 'meta.self');
    expect(() => decodeTensors([1, 2, 3] as unknown as Uint8Array)).toThrow(CheckpointError);
  });
});

describe('saveNetwork / loadNetwork', () => {
  it('round-trips spec and weights: identical outputs, extra meta kept', () => {
    const net = createMlp({ dim: 3, hidden: [16, 16], activation: 'tanh', seed: 4 }).toTwoTime();
    randomizeWeights(net, 5);
    const bytes = saveNetwork(net, { step: 77, note: 'test' });
    const loaded = loadNetwork(bytes);
    expect(loaded.config).toEqual(net.config);
    expect(loaded.twoTime).toBe(true);
    const rng = new Rng(6);
    const [x, c, cs] = [rng.normalArray(30), rng.uniformArray(10, 0, 999), rng.uniformArray(10, 0, 999)];
    expect(Array.from(applyValues(loaded, x, c, cs))).toEqual(Array.from(applyValues(net, x, c, cs)));
    const { meta } = decodeTensors(bytes);
    expect(meta.step).toBe(77);
    expect(meta.format).toBe('charlearn-network');
    expect(() => saveNetwork(net, { network: 1 })).toThrow(/reserved key 'network'/);
    net.dispose();
    loaded.dispose();
  });

  it('rejects files that are not networks or whose weights do not fit the spec, leaking nothing', () => {
    const net = createMlp({ dim: 2, hidden: [8] });
    expect(errorOf(() => loadNetwork(encodeTensors(net.getWeights(), { step: 1 }))).message).toMatch(/not a network file/);
    expect(errorOf(() => loadNetwork(encodeTensors({}, { format: 'charlearn-network' }))).message).toMatch(/meta.network/);
    expect(errorOf(() => loadNetwork(encodeTensors({}, { format: 'charlearn-network', network: { kind: 'nope' } }))).message).toMatch(
      /unknown network kind 'nope'/,
    );
    const before = tf.memory().numTensors;
    const wrong = encodeTensors(net.getWeights(), { format: 'charlearn-network', network: { ...net.config, hidden: [9] } });
    expect(errorOf(() => loadNetwork(wrong)).message).toMatch(/'temb\/w1' has shape \[64, 8\], expected \[64, 9\]/);
    expect(tf.memory().numTensors).toBe(before);
    const corrupt = saveNetwork(net);
    corrupt[corrupt.length - 20] = corrupt[corrupt.length - 20]! ^ 0xff;
    expect(errorOf(() => loadNetwork(corrupt)).message).toMatch(/checksum mismatch/);
    net.dispose();
  });
});
