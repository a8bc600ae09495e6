import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, TypeMismatchError, ValueRangeError } from '@charlearn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gridLayout, imageGrid, imageGridPng, writeImageGrid } from './image-grid';
import { decodePng } from './png-test-utils';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'charlearn-grid-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** RGBA of output pixel (x, y). */
function px(img: { width: number; rgba: Uint8Array }, x: number, y: number): number[] {
  const o = (y * img.width + x) * 4;
  return [...img.rgba.subarray(o, o + 4)];
}

describe('imageGrid / imageGridPng', () => {
  // 5 grey images 2×3: pixel (i, y, x) = (10 i + 3 y + x) / 100
  const grey = Float32Array.from({ length: 5 * 2 * 3 }, (_, k) => {
    const i = Math.floor(k / 6);
    const y = Math.floor((k % 6) / 3);
    return (10 * i + 3 * y + (k % 3)) / 100;
  });

  it('lays images out row-major with padding and integer upscaling; the PNG decodes to the same pixels', () => {
    const opts = { shape: [5, 2, 3, 1] as const, cols: 2, scale: 2, pad: 1, background: 0 };
    const png = imageGridPng(grey, opts);
    const img = decodePng(png);
    // 2 cols, ceil(5/2) = 3 rows: width 2·3·2 + 3·1 = 15, height 3·2·2 + 4·1 = 16
    expect([img.width, img.height]).toEqual([15, 16]);
    expect(Buffer.from(img.rgba).equals(Buffer.from(imageGrid(grey, opts).rgba))).toBe(true);
    const byte = (v: number): number => Math.round(v * 255);
    // image 3 → row 1, col 1: origin (1 + 7, 1 + 5) = (8, 6); its pixel (y = 1, x = 2) covers output (8 + 4..5, 6 + 2..3)
    for (const [dx, dy] of [[4, 2], [5, 2], [4, 3], [5, 3]] as const) expect(px(img, 8 + dx, 6 + dy)).toEqual([byte(0.35), byte(0.35), byte(0.35), 255]);
    expect(px(img, 1, 1)).toEqual([0, 0, 0, 255]); // image 0, pixel (0, 0) = 0
    expect(px(img, 0, 0)).toEqual([0, 0, 0, 255]); // padding
    // the empty sixth cell is background
    expect(px(img, 8, 11)).toEqual([0, 0, 0, 255]);
    expect(px(img, 1, 11)).toEqual([byte(0.4), byte(0.4), byte(0.4), 255]); // image 4 at (1, 11)
  });

  it('maps range [-1, 1], clips out-of-range values, draws NaN black, keeps RGB channels apart', () => {
    const rgb = Float32Array.of(-1, 0, 1, 2, -3, NaN, 0.5, -0.5, 0.25, 1, 1, -1); // 1 image 2×2×3
    const img = imageGrid(rgb, { shape: [1, 2, 2, 3], pad: 0, range: [-1, 1] });
    expect([img.width, img.height]).toEqual([2, 2]);
    expect(px(img, 0, 0)).toEqual([0, 128, 255, 255]);
    expect(px(img, 1, 0)).toEqual([255, 0, 0, 255]);
    expect(px(img, 0, 1)).toEqual([191, 64, 159, 255]);
    expect(px(img, 1, 1)).toEqual([255, 255, 0, 255]);
  });

  it('takes a tensor [n, H, W, C] (read, not disposed, no tensors created) like the same Float32Array', () => {
    const x = tf.tensor4d(grey, [5, 2, 3, 1]);
    const before = tf.memory().numTensors;
    const fromTensor = imageGridPng(x, { rows: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(x.isDisposed).toBe(false);
    expect(Buffer.from(fromTensor).equals(Buffer.from(imageGridPng(grey, { shape: [5, 2, 3, 1], rows: 1 })))).toBe(true);
    expect(decodePng(fromTensor).width).toBe(5 * 3 + 6 * 2);
    x.dispose();
  });

  it('default layout is ceil(√n) columns; rows·cols < n draws only the first rows·cols images', () => {
    expect(gridLayout(new Float32Array(10 * 4), { shape: [10, 2, 2, 1], pad: 1 })).toMatchObject({ rows: 3, cols: 4, width: 4 * 2 + 5, height: 3 * 2 + 4 });
    const img = imageGrid(grey, { shape: [5, 2, 3, 1], rows: 1, cols: 2, pad: 0 });
    expect([img.width, img.height]).toEqual([6, 2]);
    expect(px(img, 3, 0)).toEqual([26, 26, 26, 255]); // image 1 pixel (0, 0) = 0.1
  });

  it('bad shapes → ShapeError, bad options → ValueRangeError, before any pixel is read', () => {
    const t3 = tf.zeros([2, 4, 4]);
    expect(() => imageGridPng(t3)).toThrow(ShapeError);
    t3.dispose();
    const t2c = tf.zeros([2, 4, 4, 2]);
    expect(() => imageGridPng(t2c)).toThrow(/C = 1 \(grey\) or 3 \(RGB\), got \[2, 4, 4, 2\]/);
    expect(() => imageGridPng(t2c, { shape: [2, 4, 4, 1] })).toThrow(ShapeError);
    t2c.dispose();
    const gone = tf.zeros([1, 2, 2, 1]);
    gone.dispose();
    expect(() => imageGridPng(gone)).toThrow(/disposed/);
    expect(() => imageGridPng(grey)).toThrow(/options.shape .* is required/);
    expect(() => imageGridPng(grey, { shape: [5, 2, 3, 3] })).toThrow(/must hold n·H·W·C = 5·2·3·3 = 90 values/);
    expect(() => imageGridPng(grey, { shape: [0, 2, 3, 1] })).toThrow(ShapeError);
    expect(() => imageGridPng([1, 2] as unknown as Float32Array)).toThrow(ShapeError);
    const s = { shape: [5, 2, 3, 1] as const };
    expect(() => imageGridPng(grey, { ...s, scale: 1.5 })).toThrow(ValueRangeError);
    expect(() => imageGridPng(grey, { ...s, rows: 0 })).toThrow(ValueRangeError);
    expect(() => imageGridPng(grey, { ...s, pad: -1 })).toThrow(ValueRangeError);
    expect(() => imageGridPng(grey, { ...s, range: [1, 1] })).toThrow(/options.range/);
    expect(() => imageGridPng(grey, { ...s, background: 2 })).toThrow(ValueRangeError);
  });
});

describe('writeImageGrid', () => {
  it('writes the PNG atomically (no temp file left), creating folders, and replaces an existing file', async () => {
    const path = join(dir, 'nested', 'grid.png');
    const images = new Float32Array(4 * 3 * 3).fill(1);
    await writeImageGrid(path, images, { shape: [4, 3, 3, 1] });
    expect(readdirSync(join(dir, 'nested'))).toEqual(['grid.png']);
    const first = decodePng(new Uint8Array(readFileSync(path)));
    expect([first.width, first.height]).toEqual([2 * 3 + 3 * 2, 2 * 3 + 3 * 2]);
    await writeImageGrid(path, images, { shape: [4, 3, 3, 1], cols: 4 });
    expect(readdirSync(join(dir, 'nested'))).toEqual(['grid.png']);
    expect(decodePng(new Uint8Array(readFileSync(path))).width).toBe(4 * 3 + 5 * 2);
  });

  it('rejects a bad path or bad images without touching the file system', async () => {
    await expect(writeImageGrid('', new Float32Array(1), { shape: [1, 1, 1, 1] })).rejects.toThrow(TypeMismatchError);
    await expect(writeImageGrid(join(dir, 'never', 'x.png'), new Float32Array(3), { shape: [1, 1, 1, 1] })).rejects.toThrow(ShapeError);
    expect(readdirSync(dir)).not.toContain('never');
  });
});
