/**
 * A reference-layout SongUNet teacher end to end through the command: the fixture's tiny MNIST-shaped teacher (a
 * random reference `UNet`, saved as the reference train.py saves a checkpoint and converted by convert_pt.py, so its
 * metadata gives the reference's MNIST units: pixels in [0, 1], σ_data 1) is imported, distilled, sampled in one step
 * and exported. Checked with numbers: the imported denoiser on the run's units equals PyTorch's on the fixture's
 * inputs, and the sample PNG's pixels are the exported generator's one-step outputs mapped from [0, 1] units.
 * (The PyTorch half of the round trip is `npm run bench:interop`, which needs torch.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { decodeTensors, follmer, readSafetensors, Rng, useBackend } from '@charlearn/core';
import { characteristicMap, networkDenoiser, sampleFlowMap, TeacherTrainer, type TrainerCheckpoint } from '@charlearn/distill';
import { loadNetwork } from '@charlearn/nets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './cli-test-helpers';
import { loadRunConfig } from './config';
import { loadRunData } from './run-data';
import { readCheckpoint } from './runtime';

let out: string;
beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'charlearn-songunet-'));
  await useBackend('wasm');
});
afterAll(() => rmSync(out, { recursive: true, force: true }));
const run = cliRunner(() => out);

const fixture = (name: string): string => new URL(`../../distill/fixtures/songunet/${name}.safetensors`, import.meta.url).pathname;
const io = readSafetensors(new Uint8Array(readFileSync(fixture('mnist-io')))).arrays;

/** max |a − b| / max |b|. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

/** The imported teacher's EMA denoiser on the fixture's inputs (NCHW → NHWC, charlearn time 1 − t), as NCHW values. */
function denoiseFixture(ckpt: TrainerCheckpoint, sigmaData: number): Float32Array {
  const trainer = TeacherTrainer.fromCheckpoint(ckpt, { name: 'units', sampleShape: [28, 28, 1], sigmaData, sample: () => tf.zeros([1, 28, 28, 1]) });
  try {
    return tf.tidy(() => {
      const x = tf.transpose(tf.tensor4d(io.x!.values, io.x!.shape as [number, number, number, number]), [0, 2, 3, 1]);
      const d = networkDenoiser(trainer.ema.network, follmer, sigmaData)(x, tf.sub(1, tf.tensor1d(io.t!.values)) as tf.Tensor1D);
      return tf.transpose(d, [0, 3, 1, 2]).dataSync() as Float32Array;
    });
  } finally {
    trainer.dispose();
  }
}

describe('a reference SongUNet teacher through charlearn import / distill / sample / export', () => {
  it('imports it in the units its metadata gives ([0, 1], σ_data 1), and every later command works in them', async () => {
    const base = ['--preset', 'mnist', '--quick', '--set', 'name=song'];
    let r = await run('import', fixture('mnist-teacher'), ...base);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/data units: data\.pixelRange \[0,1\] from .*mnist-teacher\.safetensors's metadata; data\.sigmaData 1 from/);
    expect(r.err).toMatch(/pixels 0\.\.1 are the network's 0\.\.1 \(data\.pixelRange\), σ_data 1 /);
    expect(r.err).toMatch(/imported songunet teacher \(11\d{3} parameters, config from the file\)/);
    const ckpt = decodeTensors(new Uint8Array(readFileSync(join(out, 'song', 'teacher.ckpt'))));
    const recorded = (ckpt.meta as { run: { config: { data: Record<string, unknown> } } }).run.config.data;
    expect(recorded).toMatchObject({ target: 'mnist', pixelRange: [0, 1], sigmaData: 1 });

    // the run's data, rebuilt from what the checkpoint records: MNIST pixels as they are, σ_data 1
    const data = await loadRunData(loadRunConfig({ data: recorded, model: { kind: 'songunet' } }).data);
    expect(data.dataset.sigmaData).toBe(1);
    const drawn = data.dataset.sample(16, new Rng(0));
    const values = drawn.dataSync();
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    drawn.dispose();
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi).toBeGreaterThan(0.9);

    // the imported denoiser, in those units, is PyTorch's D(x, t) (σ_data 1) on the same inputs ...
    const teacherCkpt = await readCheckpoint(join(out, 'song', 'teacher.ckpt'), 'teacher');
    const err = relativeError(denoiseFixture(teacherCkpt, data.dataset.sigmaData), io.D!.values);
    console.log(`imported songunet teacher, D(x, t) in [0, 1] units vs PyTorch: max rel err ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
    // ... and with the σ_data charlearn would measure on [-1, 1] pixels it is not (the units matter)
    const measured = (await loadRunData(loadRunConfig({ data: { target: 'mnist', limit: 256 }, model: { kind: 'unet' } }).data)).dataset.sigmaData;
    expect(relativeError(denoiseFixture(teacherCkpt, measured), io.D!.values)).toBeGreaterThan(1e-2);

    // distill (2 steps): the units come from the teacher checkpoint, the command does not repeat them
    r = await run('distill', ...base, '--set', 'distill.steps=2', '--set', 'distill.batchSize=2');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/data units: data\.pixelRange \[0,1\] from .*teacher\.ckpt; data\.sigmaData 1 from .*teacher\.ckpt/);
    const gen = decodeTensors(new Uint8Array(readFileSync(join(out, 'song', 'generator.ckpt'))));
    expect(gen.meta.step).toBe(2);
    expect((gen.meta as { run: { config: { data: unknown } } }).run.config.data).toMatchObject({ pixelRange: [0, 1], sigmaData: 1 });

    r = await run('sample', ...base, '--steps', '1', '--n', '4');
    expect(r.code, r.err).toBe(0);
    r = await run('export', ...base);
    expect(r.code, r.err).toBe(0);
    const bytes = new Uint8Array(readFileSync(join(out, 'song', 'generator.safetensors')));
    const exported = decodeTensors(bytes);
    expect(exported.meta).toMatchObject({ format: 'charlearn-network', pixelRange: [0, 1], sigmaData: 1, network: { kind: 'songunet', twoTime: true } });
    expect(Object.keys(exported.arrays)).toContain('map_layer0_s.weight'); // the reference module's state_dict names

    // the sample's pixels are the exported generator's one-step outputs on the command's noise (Rng(seed + 7)), mapped
    // from [0, 1] units: clip(x, 0, 1), not clip((x + 1) / 2, 0, 1)
    const pixels = new Float32Array(readFileSync(join(out, 'song', 'samples-1step.f32')).buffer.slice(0));
    const net = loadNetwork(bytes);
    const x = tf.tidy(() => {
      const z = new Rng(7).normalTensor([4, 28, 28, 1]);
      return sampleFlowMap(characteristicMap(net, follmer, 1), z, 1, { eps0: exported.meta.eps0 as number }).dataSync() as Float32Array;
    });
    net.dispose();
    const inUnit = x.map((v) => Math.min(1, Math.max(0, v)));
    const inSigned = x.map((v) => Math.min(1, Math.max(0, (v + 1) / 2)));
    expect(relativeError(pixels, inUnit)).toBeLessThan(1e-5);
    expect(relativeError(pixels, inSigned)).toBeGreaterThan(1e-2);

    // re-importing over the teacher suggests what works for an import (no --resume)
    r = await run('import', fixture('mnist-teacher'), ...base);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/RunExistsError: .*teacher\.ckpt \(step 0\): pass --force to replace it .*or import into a new run folder \(another --set name=\.\.\., or --set runDir=\.\.\.\)/);
    expect(r.err).not.toMatch(/--resume/);
    // a config that says other units than the file is refused before anything is written
    r = await run('import', fixture('mnist-teacher'), ...base, '--force', '--set', 'data.pixelRange=[-1,1]');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/DataUnitsMismatchError: data\.pixelRange: .*mnist-teacher\.safetensors's metadata says the network was trained with pixelRange \[0,1\], the run config gives \[-1,1\]/);
    // a later command that sets other units than the run's generator is refused too
    r = await run('sample', ...base, '--set', 'data.sigmaData=0.5');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ResumeMismatchError: data\.sigmaData: the run's generator .* was trained with 1, the config says 0\.5/);
  }, 120_000);
});
