import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteError, Rng, ShapeError, TypeMismatchError, ValueRangeError } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { datasetFromArray, meanStd } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function caught(f: () => unknown): Error & { parameter?: string } {
  try {
    f();
  } catch (e) {
    return e as Error & { parameter?: string };
  }
  throw new Error('expected a throw');
}

describe('datasetFromArray', () => {
  const rows = [
    [1, 10, -3],
    [2, 20, -3],
    [3, 40, -3],
    [6, 50, -3],
  ];

  it('normalises each coordinate to mean 0, std 1 (a constant coordinate keeps std 1)', () => {
    const ds = datasetFromArray(rows, 3, { name: 'toy' });
    expect(ds.name).toBe('toy');
    expect(ds.size).toBe(4);
    expect(ds.dim).toBe(3);
    expect(ds.sampleShape).toEqual([3]);
    expect(ds.sigmaData).toBe(1);
    expect(ds.normalised).toBe(true);
    const stored = ds.toArray();
    const { mean, std } = meanStd(stored, 3);
    expect(mean[0]).toBeCloseTo(0, 6);
    expect(mean[1]).toBeCloseTo(0, 6);
    expect(std[0]).toBeCloseTo(1, 6);
    expect(std[1]).toBeCloseTo(1, 6);
    expect(std[2]).toBe(0); // constant column: centred, not scaled
    expect(ds.normalisation.mean).toEqual([3, 30, -3]);
    expect(ds.normalisation.std[0]).toBeCloseTo(Math.sqrt((4 + 1 + 0 + 9) / 4), 12);
    expect(ds.normalisation.std[2]).toBe(1);
    // stored rows are (raw − mean)/std, in the original order
    rows.forEach((r, i) => r.forEach((v, j) => expect(stored[i * 3 + j]).toBeCloseTo((v - ds.normalisation.mean[j]!) / ds.normalisation.std[j]!, 6)));
  });

  it('keeps the raw values with normalise: false; sigmaData is the RMS of the coordinate stds', () => {
    const flat = Float32Array.from(rows.flat());
    const ds = datasetFromArray(flat, 3, { normalise: false });
    expect(ds.toArray()).toEqual(flat);
    expect(ds.normalisation).toEqual({ mean: [0, 0, 0], std: [1, 1, 1] });
    const { std } = meanStd(flat, 3);
    expect(ds.sigmaData).toBeCloseTo(Math.sqrt((std[0]! ** 2 + std[1]! ** 2 + std[2]! ** 2) / 3), 10);
  });

  it('samples stored rows with replacement, uniformly and reproducibly', () => {
    const ds = datasetFromArray(rows, 3);
    const stored = ds.toArray();
    const n = 40_000;
    const draws = ds.sampleArray(n, new Rng(1));
    expect(ds.sampleArray(n, new Rng(1))).toEqual(draws);
    const counts = [0, 0, 0, 0];
    for (let k = 0; k < n; k++) {
      const row = draws.subarray(3 * k, 3 * k + 3);
      const i = [0, 1, 2, 3].find((r) => stored.subarray(3 * r, 3 * r + 3).every((v, j) => v === row[j]));
      expect(i).toBeDefined();
      counts[i!]!++;
    }
    for (const c of counts) expect(Math.abs(c - n / 4)).toBeLessThan(5 * Math.sqrt(n * (3 / 16)));
    const t = ds.sample(5, new Rng(2));
    expect(t.shape).toEqual([5, 3]);
    expect(t.dataSync()).toEqual(ds.sampleArray(5, new Rng(2)));
    t.dispose();
  });

  it('names the first non-finite row and column', () => {
    const flat = Float32Array.of(0, 1, 2, 3, 4, Number.NaN, Number.POSITIVE_INFINITY, 0);
    const e1 = caught(() => datasetFromArray(flat, 2));
    expect(e1).toBeInstanceOf(NonFiniteError);
    expect(e1.message).toContain('row 2, column 1');
    expect(e1.parameter).toBe('values');
    const e2 = caught(() => datasetFromArray([[0, 1], [2, Number.NEGATIVE_INFINITY]], 2));
    expect(e2).toBeInstanceOf(NonFiniteError);
    expect(e2.message).toContain('row 1, column 1');
  });

  it('rejects empty data, wrong row lengths, bad dim and non-numbers', () => {
    expect(caught(() => datasetFromArray([], 2))).toBeInstanceOf(ShapeError);
    expect(caught(() => datasetFromArray(new Float32Array(0), 2))).toBeInstanceOf(ShapeError);
    const e = caught(() => datasetFromArray([[0, 1], [2, 3, 4]], 2));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toContain('values[1]');
    expect(caught(() => datasetFromArray([[0, 1]], 3))).toBeInstanceOf(ShapeError);
    expect(caught(() => datasetFromArray(Float32Array.of(1, 2, 3), 2)).message).toMatch(/multiple of 2/);
    expect(caught(() => datasetFromArray([[0, 1]], 0))).toBeInstanceOf(ValueRangeError);
    expect(caught(() => datasetFromArray([[0, 1]], 1.5)).parameter).toBe('dim');
    expect(caught(() => datasetFromArray([[0, '1' as unknown as number]], 2))).toBeInstanceOf(TypeMismatchError);
    expect(caught(() => datasetFromArray('abc' as unknown as number[][], 2))).toBeInstanceOf(TypeMismatchError);
    const ds = datasetFromArray([[0, 1]], 2);
    expect(caught(() => ds.sample(0, new Rng(0)))).toBeInstanceOf(ValueRangeError);
    expect(caught(() => ds.sampleArray(3, null as unknown as Rng))).toBeInstanceOf(TypeMismatchError);
  });

  it('copies the input (later mutation does not change the dataset)', () => {
    const flat = Float64Array.of(0, 1, 2, 3);
    const ds = datasetFromArray(flat, 2, { normalise: false });
    flat[0] = 99;
    expect(ds.toArray()[0]).toBe(0);
  });
});
