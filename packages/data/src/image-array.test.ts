import { describe, expect, it } from 'vitest';
import { DataFileError, Rng, ValueRangeError } from '@charlearn/core';
import { holdoutRows, selectRows } from './holdout';
import { assertImageArrayShape, imageSetFromArray, pixelRangeOf, pixelsToUnits } from './image-array';

const message = (f: () => unknown, type: new (...a: never[]) => Error = DataFileError): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('image arrays from data files', () => {
  it('the pixel-range rule: uint8 [0, 255], floats in [0, 1] or [-1, 1] as they are, else fitted [min, max]', () => {
    expect(pixelRangeOf(Float64Array.of(0, 3, 9), 'uint8')).toEqual({ low: 0, high: 255 });
    expect(pixelRangeOf(Float64Array.of(0, 0.25, 1), 'float32')).toEqual({ low: 0, high: 1 });
    expect(pixelRangeOf(Float64Array.of(-0.5, 0.25, 1), 'float32')).toEqual({ low: -1, high: 1 });
    expect(pixelRangeOf(Float64Array.of(3, 7.5, 12), 'float64')).toEqual({ low: 3, high: 12 });
  });

  it('round trip: values -> pixels in [0, 1] -> the file units, exactly up to float32', () => {
    const rng = new Rng(3);
    for (const [dtype, make] of [
      ['uint8', () => Math.floor(rng.uniform() * 256)],
      ['float64', () => 100 + 50 * rng.normal()],
    ] as const) {
      const values = Float64Array.from({ length: 4 * 3 * 2 * 3 }, make);
      const { set, pixelRange } = imageSetFromArray(values, [4, 3, 2, 3], { dtype, name: 'x.npy' });
      expect(set.shape).toEqual([3, 2, 3]);
      expect(set.count).toBe(4);
      expect(Math.min(...set.images)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...set.images)).toBeLessThanOrEqual(1);
      const back = pixelsToUnits(set.images, pixelRange);
      const scale = pixelRange.high - pixelRange.low;
      values.forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThan(4e-7 * scale + 1e-9 * Math.abs(v)));
    }
  });

  it('bad shapes and constant images are DataFileErrors naming the problem', () => {
    expect(message(() => assertImageArrayShape([8, 3, 32, 32], 'nchw.npy'))).toBe(
      'nchw.npy: shape [8, 3, 32, 32]: images must be channels-last [N, H, W, C] with C = 1 to 4, got C = 32; it looks channels-first [N, C, H, W]: save np.transpose(x, (0, 2, 3, 1))',
    );
    expect(message(() => assertImageArrayShape([8, 1, 5, 1], 'thin.npy'))).toMatch(/at least 2 x 2 pixels, got 1 x 5/);
    expect(message(() => assertImageArrayShape([8, 2], 'pts.npy'))).toMatch(/is not an image array \[N, H, W, C\]/);
    expect(message(() => imageSetFromArray(new Float64Array(16).fill(0.5), [4, 2, 2, 1], { dtype: 'float32', name: 'flat.npy' }))).toBe(
      'flat.npy: every value is 0.5: constant images have nothing to learn',
    );
  });
});

describe('held-out rows', () => {
  it('a seeded split: round(count · fraction) rows, disjoint, covering, the same for the same seed', () => {
    const a = holdoutRows(50, 0.2, 7);
    expect(a.heldOut).toHaveLength(10);
    expect([...a.train, ...a.heldOut].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(holdoutRows(50, 0.2, 7)).toEqual(a);
    expect(holdoutRows(50, 0.2, 8).heldOut).not.toEqual(a.heldOut);
    expect(holdoutRows(5, 0, 1)).toEqual({ train: [0, 1, 2, 3, 4], heldOut: [] });
    expect(holdoutRows(5, 0.01, 1).heldOut).toHaveLength(1);
    expect(message(() => holdoutRows(1, 0.5, 0), ValueRangeError)).toMatch(/leaves no row to train on/);
    expect(selectRows(Float64Array.of(1, 2, 3, 4, 5, 6), 2, [2, 0])).toEqual(Float64Array.of(5, 6, 1, 2));
  });
});
