import { describe, expect, it } from 'vitest';
import { DataFileError } from '@charlearn/core';
import { parseNpy, parsePointsCsv, parsePointsJson } from './points-file';

/** A .npy file (format 1.0) of `values` with `shape`, `descr` '<f4' | '<f8' | '>f8' | '|u1'. */
function npy(values: number[], shape: number[], descr = '<f8', fortran = false): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const width = descr.endsWith('4') ? 4 : descr.endsWith('1') ? 1 : 8;
  const out = new Uint8Array(10 + header.length + values.length * width);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  if (width === 1) out.set(values, 10 + header.length);
  else values.forEach((v, k) => (width === 4 ? view.setFloat32(10 + header.length + 4 * k, v, !descr.startsWith('>')) : view.setFloat64(10 + header.length + 8 * k, v, !descr.startsWith('>'))));
  return out;
}

const fails = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataFileError);
    return (e as Error).message;
  }
  throw new Error('expected a DataFileError');
};

describe('data files', () => {
  it('CSV with and without a header, any d', () => {
    expect(parsePointsCsv('x,y\n1,2\n3.5,-4e-1\n', 'a.csv')).toEqual({ values: Float64Array.of(1, 2, 3.5, -0.4), shape: [2, 2], dtype: 'float64' });
    expect(parsePointsCsv('1,2,3\n\n4,5,6\n', 'b.csv')).toEqual({ values: Float64Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3], dtype: 'float64' });
    expect(fails(() => parsePointsCsv('x,y\n1,2\n3,oops\n', 'c.csv'))).toBe("c.csv: row 3, column 2 ('y'): expected a finite number, got \"oops\"");
    expect(fails(() => parsePointsCsv('x,y\n1,2,3\n', 'd.csv'))).toBe('d.csv: row 2 has 3 values but the header names 2 columns (x, y)');
    expect(fails(() => parsePointsCsv('1,2\n3\n', 'e.csv'))).toBe('e.csv: row 2 has 1 values, expected 2 (as in row 1)');
    expect(fails(() => parsePointsCsv('x,2\n1,2\n', 'f.csv'))).toMatch(/line 1 mixes numbers and names/);
    expect(fails(() => parsePointsCsv('x,y\n', 'g.csv'))).toBe('g.csv: no data rows');
  });

  it('JSON arrays of rows', () => {
    expect(parsePointsJson('[[1, 2], [3, 4]]', 'a.json')).toEqual({ values: Float64Array.of(1, 2, 3, 4), shape: [2, 2], dtype: 'float64' });
    expect(fails(() => parsePointsJson('[[1, 2], [3, "4"]]', 'b.json'))).toBe('b.json: row 2, column 2: expected a finite number, got "4"');
    expect(fails(() => parsePointsJson('{"x": 1}', 'c.json'))).toMatch(/expected an array of rows/);
    expect(fails(() => parsePointsJson('[[1,', 'd.json'))).toMatch(/^d\.json: not valid JSON/);
  });

  it('.npy float32 / float64, both byte orders, [N, d] and [N, H, W, C]', () => {
    expect(parseNpy(npy([1, 2, 3, 4, 5, 6], [3, 2]), 'a.npy')).toEqual({ values: Float64Array.of(1, 2, 3, 4, 5, 6), shape: [3, 2], dtype: 'float64' });
    expect(parseNpy(npy([0.5, -1.25], [1, 2], '<f4'), 'b.npy').values).toEqual(Float64Array.of(0.5, -1.25));
    expect(parseNpy(npy([7, 8], [2, 1], '>f8'), 'c.npy').values).toEqual(Float64Array.of(7, 8));
    expect(parseNpy(npy(new Array(8).fill(0.25), [2, 2, 2, 1]), 'img.npy').shape).toEqual([2, 2, 2, 1]);
    expect(fails(() => parseNpy(npy([1, 2], [2], '<f8'), 'd.npy'))).toMatch(/header shape \(2,\): expected \[N, d\] points or \[N, H, W, C\] images/);
    expect(fails(() => parseNpy(npy([1, 2], [1, 2], '<i8'), 'e.npy'))).toMatch(/header descr '<i8': expected float32/);
    expect(fails(() => parseNpy(npy([1, 2], [1, 2], '<f8', true), 'f.npy'))).toMatch(/fortran_order True/);
    expect(fails(() => parseNpy(npy([1, Number.NaN], [1, 2]), 'g.npy'))).toBe('g.npy: row 1, column 2: non-finite value NaN');
    expect(fails(() => parseNpy(npy([1, 2], [2, 2]), 'h.npy'))).toMatch(/16 data bytes, expected 32/);
    expect(fails(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'i.npy'))).toMatch(/not a \.npy file/);
  });

  it('.npy uint8 images, and a hint for [N, H, W] grey images', () => {
    expect(parseNpy(npy([0, 17, 255, 3], [1, 2, 2, 1], '|u1'), 'u.npy')).toEqual({ values: Float64Array.of(0, 17, 255, 3), shape: [1, 2, 2, 1], dtype: 'uint8' });
    expect(parseNpy(npy([0.5, 1], [1, 2], '<f4'), 'b.npy').dtype).toBe('float32');
    expect(fails(() => parseNpy(npy([0, 1, 2, 3], [1, 2, 2], '|u1'), 'grey.npy'))).toMatch(/for grey images \[N, H, W\] add the channel axis \(x\[\.\.\., None\]\)/);
  });
});
