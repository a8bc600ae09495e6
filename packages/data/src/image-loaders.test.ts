import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ConfigError, DataFileError, TypeMismatchError, ValueRangeError } from '@charlearn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CIFAR10_RECORD_BYTES,
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_DEFAULT_DIR,
  loadCifar10,
  loadFashionMnist,
  loadIdxImages,
  parseIdx,
  IDX_LABELS_MAGIC,
} from './images';

/** An IDX file: big-endian magic 0x000008NN, NN big-endian uint32 dims, then the bytes. */
function idx(dims: number[], data: Uint8Array, magic = 0x0800 + dims.length): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, magic);
  dims.forEach((d, k) => v.setUint32(4 + 4 * k, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** n images of h×w with pixel (i, y, x) = (7i + 3y + x) mod 256, and labels i mod 10. */
function fixture(n: number, h: number, w: number): { pixels: Uint8Array; labels: Uint8Array } {
  const pixels = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pixels[(i * h + y) * w + x] = (7 * i + 3 * y + x) % 256;
  return { pixels, labels: Uint8Array.from({ length: n }, (_, i) => i % 10) };
}

let root: string;
const dir = (name: string): string => {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  return d;
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'charlearn-images-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<Error & { path?: string; parameter?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { path?: string };
  }
  throw new Error('expected a rejection');
}

describe('parseIdx', () => {
  it('reads big-endian dims and the data bytes', () => {
    const parsed = parseIdx(idx([2, 3, 256 + 1], new Uint8Array(2 * 3 * 257).fill(9)), 'f', 0x803);
    expect(parsed.dims).toEqual([2, 3, 257]);
    expect(parsed.data.length).toBe(2 * 3 * 257);
    expect(parsed.data.every((b) => b === 9)).toBe(true);
  });

  it('names the path and both magics on a wrong magic, and says truncated / trailing', () => {
    expect(() => parseIdx(idx([3], new Uint8Array(3)), '/x/labels', 0x803)).toThrow(
      '/x/labels: expected IDX magic 0x00000803, got 0x00000801',
    );
    expect(() => parseIdx(idx([4], new Uint8Array(3)), '/x/l', IDX_LABELS_MAGIC)).toThrow('/x/l: truncated: expected 4 data bytes for dims [4], got 3');
    expect(() => parseIdx(idx([2], new Uint8Array(3)), '/x/l', IDX_LABELS_MAGIC)).toThrow('trailing bytes');
    expect(() => parseIdx(Uint8Array.of(0, 0, 8, 3, 0, 0), '/x/i', 0x803)).toThrow(/truncated: 6 bytes, expected a 16-byte IDX header/);
    expect(() => parseIdx(Uint8Array.of(0, 0), '/x/i', 0x803)).toThrow(DataFileError);
  });
});

describe('loadFashionMnist on fixture IDX files', () => {
  const n = 13;
  const { pixels, labels } = fixture(n, 28, 28);

  function writeSet(d: string, prefix: 'train' | 't10k', gz: boolean, img = idx([n, 28, 28], pixels), lab = idx([n], labels)): void {
    const z = (b: Uint8Array): Uint8Array => (gz ? gzipSync(b) : b);
    const ext = gz ? '.gz' : '';
    writeFileSync(join(d, `${prefix}-images-idx3-ubyte${ext}`), z(img));
    writeFileSync(join(d, `${prefix}-labels-idx1-ubyte${ext}`), z(lab));
  }

  it.each([true, false])('reads gzipped (%s) or plain files: pixels / 255 at the right NHWC place, labels, metadata', async (gz) => {
    const d = dir(`fashion-${gz}`);
    writeSet(d, 'train', gz);
    const set = await loadFashionMnist({ dir: d });
    expect(set.name).toBe('fashion-mnist');
    expect(set.split).toBe('train');
    expect(set.shape).toEqual([28, 28, 1]);
    expect(set.count).toBe(n);
    expect(set.images.length).toBe(n * 784);
    expect([...set.labels]).toEqual([...labels]);
    expect(set.classNames).toEqual(FASHION_MNIST_CLASS_NAMES);
    for (const [i, y, x] of [[0, 0, 0], [5, 17, 3], [12, 27, 27]] as const) {
      expect(set.images[(i * 28 + y) * 28 + x]).toBeCloseTo(((7 * i + 3 * y + x) % 256) / 255, 7);
    }
  });

  it('picks the t10k files for the test split and honours limit', async () => {
    const d = dir('fashion-split');
    writeSet(d, 'train', true);
    const m = 4;
    const t = fixture(m, 28, 28);
    writeSet(d, 't10k', true, idx([m, 28, 28], t.pixels.map((b) => 255 - b)), idx([m], t.labels));
    const test = await loadFashionMnist({ dir: d, split: 'test' });
    expect(test.count).toBe(m);
    expect(test.split).toBe('test');
    expect(test.images[0]).toBe(1); // 255 − 0
    const few = await loadFashionMnist({ dir: d, limit: 5 });
    expect(few.count).toBe(5);
    expect([...few.labels]).toEqual([0, 1, 2, 3, 4]);
    expect(few.images.length).toBe(5 * 784);
    expect((await loadFashionMnist({ dir: d, limit: 1000 })).count).toBe(n);
  });

  it('a missing file names the path tried and how to get it', async () => {
    const d = dir('fashion-empty');
    const e = await rejection(loadFashionMnist({ dir: d }));
    expect(e).toBeInstanceOf(DataFileError);
    expect(e.message).toContain(join(d, 'train-images-idx3-ubyte.gz'));
    expect(e.message).toContain('dataset-fashion-mnist');
    expect(e.path).toBe(join(d, 'train-images-idx3-ubyte.gz'));
  });

  it('corrupt files: swapped magic, truncated images, truncated gzip, count mismatch, bad label', async () => {
    const cases: [string, (d: string) => void, RegExp][] = [
      ['magic', (d) => writeSet(d, 'train', true, idx([n], labels)), /train-images-idx3-ubyte\.gz: expected IDX magic 0x00000803, got 0x00000801/],
      ['truncated', (d) => writeSet(d, 'train', false, idx([n, 28, 28], pixels).subarray(0, 16 + 100)), /train-images-idx3-ubyte: truncated: expected 10192 data bytes/],
      [
        'gzip',
        (d) => {
          writeSet(d, 'train', true);
          const full = gzipSync(idx([n, 28, 28], pixels));
          writeFileSync(join(d, 'train-images-idx3-ubyte.gz'), full.subarray(0, full.length >> 1));
        },
        /train-images-idx3-ubyte\.gz: corrupt or truncated gzip stream/,
      ],
      ['count', (d) => writeSet(d, 'train', true, undefined, idx([n - 1], labels.subarray(1))), /train-labels-idx1-ubyte\.gz: 12 labels, expected 13/],
      ['label', (d) => writeSet(d, 'train', true, undefined, idx([n], labels.map((l, i) => (i === 7 ? 10 : l)))), /label 10 of record 7 is not a class id in \[0, 9\]/],
    ];
    for (const [name, write, message] of cases) {
      const d = dir(`fashion-bad-${name}`);
      write(d);
      const e = await rejection(loadFashionMnist({ dir: d }));
      expect(e, name).toBeInstanceOf(DataFileError);
      expect(e.message, name).toMatch(message);
      expect(e.message.startsWith(d), name).toBe(true);
    }
  });

  it('bad options are rejected before any file is read', async () => {
    await expect(loadFashionMnist({ dir: '/nonexistent', split: 'val' as 'test' })).rejects.toThrow(ConfigError);
    await expect(loadFashionMnist({ dir: '/nonexistent', limit: 0 })).rejects.toThrow(ValueRangeError);
    await expect(loadFashionMnist({ dir: '/nonexistent', limit: 2.5 })).rejects.toThrow(/options.limit must be an integer >= 1/);
    await expect(loadFashionMnist({ dir: 3 as unknown as string })).rejects.toThrow(TypeMismatchError);
  });

  it('loadIdxImages takes explicit paths and class names', async () => {
    const d = dir('idx-explicit');
    writeFileSync(join(d, 'a'), idx([2, 3, 4], Uint8Array.from({ length: 24 }, (_, i) => i * 10)));
    writeFileSync(join(d, 'b'), gzipSync(idx([2], Uint8Array.of(1, 0))));
    const set = await loadIdxImages({ images: join(d, 'a'), labels: join(d, 'b'), name: 'toy', split: 'test', classNames: ['a', 'b'] });
    expect(set.shape).toEqual([3, 4, 1]);
    expect(set.images[23]).toBeCloseTo(230 / 255, 7);
    expect([...set.labels]).toEqual([1, 0]);
    const spec = { images: join(d, 'a'), labels: join(d, 'b'), name: 'toy', split: 'test' as const, classNames: ['a', 'b'] };
    expect((await loadIdxImages({ ...spec, limit: 1 })).count).toBe(1);
    await expect(loadIdxImages({ ...spec, limit: -1 })).rejects.toThrow(ValueRangeError);
    await expect(loadIdxImages({ ...spec, images: '' })).rejects.toThrow(TypeMismatchError);
    await expect(loadIdxImages({ ...spec, classNames: ['a'] })).rejects.toThrow(/label 1 of record 0 is not a class id in \[0, 0\]/);
  });
});

describe('loadCifar10 on fixture binary files', () => {
  /** n records; pixel (i, channel c, position p) = (i + 5c + p) mod 256; label (i + offset) mod 10. */
  function batch(n: number, offset: number): Uint8Array {
    const out = new Uint8Array(n * CIFAR10_RECORD_BYTES);
    for (let i = 0; i < n; i++) {
      const r = i * CIFAR10_RECORD_BYTES;
      out[r] = (i + offset) % 10;
      for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) out[r + 1 + c * 1024 + p] = (i + 5 * c + p) % 256;
    }
    return out;
  }

  it('converts CHW planes to NHWC and reads the five train batches in order', async () => {
    const d = dir('cifar');
    for (let b = 1; b <= 5; b++) writeFileSync(join(d, `data_batch_${b}.bin`), batch(2, b));
    writeFileSync(join(d, 'test_batch.bin'), batch(3, 0));
    const train = await loadCifar10({ dir: d });
    expect(train.name).toBe('cifar10');
    expect(train.shape).toEqual([32, 32, 3]);
    expect(train.count).toBe(10);
    expect([...train.labels]).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    expect(train.classNames[0]).toBe('airplane');
    // image 1 of batch 1 (i = 1), pixel (y = 2, x = 5) → position p = 69; channel c at NHWC index ((1·32 + 2)·32 + 5)·3 + c
    for (let c = 0; c < 3; c++) expect(train.images[((1 * 32 + 2) * 32 + 5) * 3 + c]).toBeCloseTo(((1 + 5 * c + 69) % 256) / 255, 7);
    const test = await loadCifar10({ dir: d, split: 'test', limit: 2 });
    expect(test.count).toBe(2);
    expect(test.split).toBe('test');
    expect(test.images.length).toBe(2 * 3072);
  });

  it('stops reading batch files once limit is reached, and finds a cifar-10-batches-bin folder', async () => {
    const d = dir('cifar-nested');
    const inner = dir('cifar-nested/cifar-10-batches-bin');
    writeFileSync(join(inner, 'data_batch_1.bin'), batch(3, 0));
    // batches 2..5 missing: fine while limit <= 3
    const set = await loadCifar10({ dir: d, limit: 3 });
    expect(set.count).toBe(3);
    const e = await rejection(loadCifar10({ dir: d, limit: 4 }));
    expect(e).toBeInstanceOf(DataFileError);
    expect(e.message).toContain(join(inner, 'data_batch_2.bin'));
  });

  it('truncated file, bad label, missing folder, bad options → named errors', async () => {
    const d = dir('cifar-bad');
    writeFileSync(join(d, 'test_batch.bin'), batch(2, 0).subarray(0, CIFAR10_RECORD_BYTES + 100));
    let e = await rejection(loadCifar10({ dir: d, split: 'test' }));
    expect(e).toBeInstanceOf(DataFileError);
    expect(e.message).toMatch(/test_batch\.bin: truncated or not CIFAR-10 binary: 3173 bytes, expected a positive multiple of 3073/);
    const bad = batch(2, 0);
    bad[CIFAR10_RECORD_BYTES] = 11;
    writeFileSync(join(d, 'test_batch.bin'), bad);
    e = await rejection(loadCifar10({ dir: d, split: 'test' }));
    expect(e.message).toMatch(/label 11 of record 1/);
    e = await rejection(loadCifar10({ dir: join(d, 'nope') }));
    expect(e).toBeInstanceOf(DataFileError);
    expect(e.message).toContain(join(d, 'nope', 'data_batch_1.bin'));
    await expect(loadCifar10({} as { dir: string })).rejects.toThrow(TypeMismatchError);
    await expect(loadCifar10({ dir: d, split: 'train ' as 'train' })).rejects.toThrow(ConfigError);
  });
});

const realFashion = existsSync(join(FASHION_MNIST_DEFAULT_DIR, 'train-images-idx3-ubyte.gz'));

describe.skipIf(!realFashion)('loadFashionMnist on the real Debian files', () => {
  it('has 60,000 / 10,000 images, balanced labels and a plausible pixel mean', async () => {
    const [train, test] = await Promise.all([loadFashionMnist(), loadFashionMnist({ split: 'test' })]);
    expect(train.count).toBe(60_000);
    expect(test.count).toBe(10_000);
    const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(train.images)).toBeGreaterThan(0.27); // published: 0.2860
    expect(mean(train.images)).toBeLessThan(0.30);
    expect(mean(test.images)).toBeGreaterThan(0.27);
    const perClass = new Array<number>(10).fill(0);
    for (const l of test.labels) perClass[l]!++;
    expect(perClass).toEqual(new Array<number>(10).fill(1000));
  });
});
