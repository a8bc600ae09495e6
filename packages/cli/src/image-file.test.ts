/**
 * The user's own images through `charlearn`: a `.npy` of 32 uint8 images 8 x 8 x 1, written byte-level, trained
 * (U-Net teacher), distilled and sampled; the samples come back in the file's units (the pixel range of the uint8
 * rule, [0, 255], recorded in the checkpoint) with the file's image shape. Bad image arrays and a network that
 * cannot train images are named errors before any training.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTensors, Rng } from '@charlearn/core';
import { cliRunner, readJson } from './cli-test-helpers';

let out: string;
let file: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'charlearn-image-file-'));
  file = join(out, 'squares.npy');
  writeFileSync(file, npyUint8(squares(32), [32, 8, 8, 1]));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));
const run = cliRunner(() => out);

/** A .npy file (format 1.0, C order) of `bytes` as uint8 with `shape`. */
function npyUint8(bytes: Uint8Array, shape: readonly number[]): Uint8Array {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const file = new Uint8Array(10 + header.length + bytes.length);
  file.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(file.buffer).setUint16(8, header.length, true);
  file.set(new TextEncoder().encode(header), 10);
  file.set(bytes, 10 + header.length);
  return file;
}

/** `n` 8 x 8 grey images: a bright 3 x 3 square at a random place on a dark background. */
function squares(n: number): Uint8Array {
  const rng = new Rng(5);
  const px = new Uint8Array(n * 64).fill(20);
  for (let k = 0; k < n; k++) {
    const x0 = rng.int(6);
    const y0 = rng.int(6);
    for (let y = y0; y < y0 + 3; y++) for (let x = x0; x < x0 + 3; x++) px[k * 64 + y * 8 + x] = 230;
  }
  return px;
}

const TINY = [
  'model.kind=unet', 'model.channels=8', 'model.channelMult=[1,2]', 'model.groups=4',
  'teacher.steps=3', 'teacher.batchSize=8', 'teacher.warmupSteps=1',
  'distill.steps=2', 'distill.batchSize=4', 'distill.warmupSteps=1', 'distill.gridSize=4',
  'checkpointEvery=0', 'logEvery=1',
].flatMap((s) => ['--set', s]);

describe('data.file images', () => {
  it('a uint8 .npy [32, 8, 8, 1] trains a U-Net; samples come back in the file units and shape', async () => {
    for (const command of ['train', 'distill']) {
      const r = await run(command, '--set', `data.file=${file}`, '--set', 'name=sq', ...TINY);
      expect(r.code, r.err).toBe(0);
    }
    const meta = decodeTensors(new Uint8Array(readFileSync(join(out, 'sq', 'generator.ckpt')))).meta as { run: { pixelRange: unknown; heldOutRows: number[] } };
    expect(meta.run.pixelRange).toEqual({ low: 0, high: 255 });
    expect(meta.run.heldOutRows).toHaveLength(3); // data.holdout 0.1 of 32 rows: never trained on
    const r = await run('sample', '--set', `data.file=${file}`, '--set', 'name=sq', ...TINY, '--n', '6');
    expect(r.code, r.err).toBe(0);
    const info = readJson<{ shape: number[]; format: string; data: string }>(join(out, 'sq', 'samples-1step.json'));
    expect(info.shape).toEqual([6, 8, 8, 1]);
    expect(info).toMatchObject({ data: 'squares.npy', format: "float32 little-endian, NHWC, in the file's units (pixel range [0, 255])" });
    const bytes = readFileSync(join(out, 'sq', 'samples-1step.f32'));
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    expect(values).toHaveLength(6 * 64);
    // in the file's units: within [0, 255], and not pixels in [0, 1]
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThanOrEqual(255);
    expect(Math.max(...values)).toBeGreaterThan(1);
  }, 120_000);

  it('a channels-first array and an MLP on images are named errors', async () => {
    const nchw = join(out, 'nchw.npy');
    writeFileSync(nchw, npyUint8(squares(4).subarray(0, 4 * 64), [4, 1, 8, 8]));
    let r = await run('train', '--set', `data.file=${nchw}`, '--set', 'name=nchw', ...TINY);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`DataFileError: ${nchw}: shape [4, 1, 8, 8]: images must be channels-last [N, H, W, C] with C = 1 to 4, got C = 8; it looks channels-first`);
    r = await run('train', '--set', `data.file=${file}`, '--set', 'name=mlp');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`ConfigError: model.kind 'mlp' trains points, but data.file '${file}' holds images [8, 8, 1]: set model.kind to 'unet' or 'dit'`);
  });
});

describe('data.file images in the model units of data.pixelRange / data.sigmaData', () => {
  it('are served in those units (as the built-in image sets are); a points file refuses them', async () => {
    const { loadRunData } = await import('./run-data');
    const { loadRunConfig } = await import('./config');
    const given = await loadRunData(loadRunConfig({ data: { file, pixelRange: [0, 1], sigmaData: 1 }, model: { kind: 'unet' } }).data);
    expect(given.kind).toBe('image-file');
    if (given.kind !== 'image-file') return;
    expect([...given.dataset.range]).toEqual([0, 1]);
    expect(given.dataset.sigmaData).toBe(1);
    expect(given.fitted.pixelRange).toEqual({ low: 0, high: 255 }); // the file's units are the rule's, unchanged
    const byDefault = await loadRunData(loadRunConfig({ data: { file }, model: { kind: 'unet' } }).data);
    expect(byDefault.kind === 'image-file' && [...byDefault.dataset.range]).toEqual([-1, 1]);
    const csv = join(out, 'points.csv');
    writeFileSync(csv, 'x,y\n0,1\n1,0\n2,2\n3,1\n');
    await expect(loadRunData(loadRunConfig({ data: { file: csv, pixelRange: [0, 1] } }).data)).rejects.toThrow(
      `data.pixelRange applies to image data; data.file '${csv}' holds points [N, d] (remove data.pixelRange)`,
    );
  });
});
