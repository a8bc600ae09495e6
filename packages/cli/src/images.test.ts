import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@charlearn/core';
import { imageDataset, loadMnist } from '@charlearn/data/images';
import { CharacteristicDistiller, OneStepTrainer } from '@charlearn/distill';
import { computeFD, gridLayout, loadFeatureNet } from '@charlearn/metrics';
import { cliRunner, readJson } from './cli-test-helpers';
import { loadRunConfig, type RunConfig } from './config';
import type { ImageEvalMetrics } from './evaluate-images';
import { CONFIG_PRESETS, MNIST_PRESET, QUICK_IMAGE_OVERRIDES, QUICK_MODEL_OVERRIDES, QUICK_OVERRIDES } from './presets';
import { createRunNetwork, describeRunNetwork, runNetworkSpec } from './run-network';
import { loadCheckpoint } from './runtime';
import type { HistoryPoint } from './training-loop';

let out: string;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'charlearn-cli-images-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

const run = cliRunner(() => out);

/** Width and height from a PNG's IHDR. */
function pngSize(path: string): { width: number; height: number } {
  const b = readFileSync(path);
  expect([...b.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** The run config `--preset mnist --quick` resolves to (what the CLI trains). */
function quickMnistConfig(name: string): RunConfig {
  return loadRunConfig(MNIST_PRESET, { ...QUICK_OVERRIDES, ...QUICK_IMAGE_OVERRIDES, ...QUICK_MODEL_OVERRIDES.unet, name, outDir: out });
}

describe('charlearn on MNIST (--preset mnist --quick)', () => {
  it('trains a U-Net teacher, distills it, and evaluates by FD(charlearn-mnist-cnn) with sample grids', async () => {
    const { code, err } = await run('demo', '--preset', 'mnist', '--quick', '--set', 'name=mnist-q');
    expect(code, err).toBe(0);
    expect(err).toMatch(/teacher: unet \(channels 8, channelMult \[1,2,2\], numResBlocks 1, attentionResolutions \[7\], .*; 63,489 parameters\), 12 steps, batch 8, mnist/);
    const dir = join(out, 'mnist-q');
    for (const f of ['teacher.ckpt', 'generator.ckpt', 'metrics.json', 'samples.png', 'history.json', 'losses.png', 'config.json']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const m = readJson<ImageEvalMetrics>(join(dir, 'metrics.json'));
    expect(m).toMatchObject({ method: 'characteristic', data: 'mnist', backend: 'wasm', samples: 48, metric: 'FD(charlearn-mnist-cnn)' });
    expect(Object.keys(m.fd.teacher).sort()).toEqual(['exp-integrator@1', 'exp-integrator@2']);
    expect(Object.keys(m.fd.fewStep).sort()).toEqual(['1', '2']);
    expect(m.fd.fewStep['1']).toBe(m.fd.oneStep);
    // Real digits against real digits are far closer than a 12-step model's samples.
    expect(m.fd.floor).toBeGreaterThan(0);
    expect(m.fd.oneStep).toBeGreaterThan(2 * m.fd.floor);
    expect(m.fd.teacher['exp-integrator@1']!).toBeGreaterThan(2 * m.fd.floor);
    expect(m.fd.teacherBest!.fd).toBe(Math.min(...Object.values(m.fd.teacher)));
    expect(m.ratios.oneStepOverTeacherOneNfe).toBeCloseTo(m.fd.oneStep / m.fd.teacher['exp-integrator@1']!, 12);
    expect(m.sampling.teacherSampler).toBe('exp-integrator@2');
    expect(Object.keys(m.sampling.seconds)).toEqual(['generator@1', 'generator@2', 'exp-integrator@1', 'exp-integrator@2']);
    // samples.png: data + 4 samplers, 8 x 8 grids of 28 x 28 (pad 2), four to a row.
    const grid = gridLayout(new Float32Array(48 * 784), { shape: [48, 28, 28, 1], cols: 8, pad: 2 });
    // drawn at 2 pixels a pixel: four grids across (plus spacing), two rows of grids (plus titles) down
    const size = pngSize(join(dir, 'samples.png'));
    expect(size.width).toBeGreaterThan(2 * 4 * grid.width);
    expect(size.width).toBeLessThan(2 * 4 * (grid.width + 40));
    expect(size.height).toBeGreaterThan(2 * 2 * grid.height);
    expect(size.height).toBeLessThan(2 * 2 * (grid.height + 80));
    const history = readJson<{ teacher: HistoryPoint[]; distill: HistoryPoint[] }>(join(dir, 'history.json'));
    expect(history.teacher.map((p) => p.step)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(history.distill.at(-1)!.step).toBe(3);
    expect(history.teacher.every((p) => Number.isFinite(p.loss))).toBe(true);
  }, 180_000);

  it('reports the FD a direct computation gives: same noise, same test images', async () => {
    const config = quickMnistConfig('mnist-q');
    const [train, test] = [await loadMnist({ split: 'train', limit: 256 }), await loadMnist({ split: 'test' })];
    const dataset = imageDataset(train);
    const distiller = CharacteristicDistiller.fromCheckpoint(await loadCheckpoint(join(out, 'mnist-q', 'generator.ckpt'), 'distill'), dataset);
    const net = await loadFeatureNet('mnist');
    const n = config.eval.samples;
    const z = new Rng(config.seed + 3003).normalTensor([n, 28, 28, 1]);
    const x = distiller.sample(z, 1);
    const pixels = tf.clipByValue(tf.add(tf.mul(x, 0.5), 0.5), 0, 1) as tf.Tensor4D;
    const reference = tf.tensor4d(test.images.subarray(0, n * 784), [n, 28, 28, 1]);
    const { fd } = computeFD(net, pixels, reference);
    tf.dispose([z, x, pixels, reference]);
    net.dispose();
    distiller.dispose();
    const m = readJson<ImageEvalMetrics>(join(out, 'mnist-q', 'metrics.json'));
    expect(Math.abs(fd - m.fd.oneStep) / fd).toBeLessThan(1e-4);
  }, 60_000);

  it('eval again gives the same figures; sample writes a grid, the pixels and their shape', async () => {
    const first = readJson<ImageEvalMetrics>(join(out, 'mnist-q', 'metrics.json'));
    const before = tf.memory().numTensors;
    let r = await run('eval', '--preset', 'mnist', '--quick', '--set', 'name=mnist-q');
    expect(r.code, r.err).toBe(0);
    expect(tf.memory().numTensors, 'tensors left behind by eval').toBe(before);
    const again = readJson<ImageEvalMetrics>(join(out, 'mnist-q', 'metrics.json'));
    expect(again.fd).toEqual(first.fd);
    r = await run('sample', '--preset', 'mnist', '--quick', '--set', 'name=mnist-q', '--steps', '2', '--n', '10');
    expect(r.code, r.err).toBe(0);
    expect(tf.memory().numTensors, 'tensors left behind by sample').toBe(before);
    const base = join(out, 'mnist-q', 'samples-2step');
    const meta = readJson<{ steps: number; n: number; shape: number[]; pixels: string }>(`${base}.json`);
    expect(meta).toMatchObject({ steps: 2, n: 10, shape: [10, 28, 28, 1], pixels: 'samples-2step.f32' });
    const raw = readFileSync(`${base}.f32`);
    const pixels = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    expect(pixels.length).toBe(10 * 784);
    expect(pixels.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(new Set(pixels).size).toBeGreaterThan(100);
    const grid = gridLayout(pixels, { shape: [10, 28, 28, 1], cols: 4, scale: 2 });
    expect(pngSize(`${base}.png`)).toEqual({ width: grid.width, height: grid.height });
  }, 120_000);

  it('trains a DiT teacher and its one-step generator (--preset mnist-dit --quick)', async () => {
    const { code, err } = await run('demo', '--preset', 'mnist-dit', '--quick', '--set', 'name=dit-q');
    expect(code, err).toBe(0);
    expect(err).toMatch(/teacher: dit \(patchSize 7, hidden 16, depth 1, heads 2, /);
    const m = readJson<ImageEvalMetrics>(join(out, 'dit-q', 'metrics.json'));
    expect(m.fd.oneStep).toBeGreaterThan(m.fd.floor);
    expect(Number.isFinite(m.fd.oneStep)).toBe(true);
  }, 180_000);

  it('trains a teacher-free generator on images (train --method drifting)', async () => {
    // data.limit keeps 16 training images, fewer than the 48 evaluated: the floor still compares 48 real images.
    const { code, err } = await run('train', '--preset', 'mnist', '--quick', '--method', 'drifting', '--set', 'name=drift-q', '--set', 'data.limit=16');
    expect(code, err).toBe(0);
    expect(err).toMatch(/floor \(48 training vs 48 test images\)/);
    const m = readJson<ImageEvalMetrics>(join(out, 'drift-q', 'metrics.json'));
    expect(m).toMatchObject({ method: 'drifting', metric: 'FD(charlearn-mnist-cnn)', fd: { teacher: {}, fewStep: {}, teacherBest: null }, training: { steps: 4, batchSize: 8 } });
    expect(m.ratios.oneStepOverTeacherBest).toBeNull();
    // The untrained generator G(z) = z + F(z, 0) starts as the identity: its samples are noise, far from digits.
    expect(m.fd.oneStep).toBeGreaterThan(3 * m.fd.floor);
    const trainer = OneStepTrainer.fromCheckpoint(await loadCheckpoint(join(out, 'drift-q', 'generator.ckpt'), 'onestep'), imageDataset(await loadMnist({ split: 'train', limit: 16 })));
    expect(trainer.step).toBe(4);
    trainer.dispose();
  }, 180_000);
});

describe('image configs: clear errors before any training', () => {
  it('names model.kind when the network does not fit the data', async () => {
    let r = await run('train', '--quick', '--set', 'data.target=mnist');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ConfigError: model\.kind 'mlp' trains 2-D targets, but data\.target 'mnist' is an image data set: set model\.kind to 'unet' or 'dit'/);
    r = await run('train', '--quick', '--set', 'model.kind=dit');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/model\.kind 'dit' is an image network, but data\.target 'swiss-roll' is a 2-D target/);
    r = await run('train', '--quick', '--set', 'model.kind=cnn');
    expect(r.err).toMatch(/config key 'model\.kind': expected one of 'mlp', 'unet', 'dit'/);
  });

  it('refuses data keys that would be ignored and image runs too small to evaluate', async () => {
    let r = await run('train', '--preset', 'mnist', '--set', 'data.dir=/tmp');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ConfigError: data\.dir is the folder of Fashion-MNIST's IDX files; data\.target 'mnist' reads no folder/);
    r = await run('train', '--quick', '--set', 'data.limit=100');
    expect(r.err).toMatch(/ConfigError: data\.limit applies to the image data sets; data\.target 'swiss-roll' is not one/);
    r = await run('train', '--quick', '--set', 'data.flip=true');
    expect(r.err).toMatch(/ConfigError: data\.flip applies to the image data sets/);
    r = await run('eval', '--preset', 'mnist', '--set', 'eval.samples=1');
    expect(r.err).toMatch(/ConfigError: eval\.samples: the feature-net FD fits a covariance and needs at least 2 images, got 1/);
    r = await run('train', '--preset', 'mnist', '--set', 'data.limit=1');
    expect(r.err).toMatch(/ConfigError: data\.limit: an image run needs at least 2 training images/);
  });

  it("prints the network's own error for a model.<key> it refuses (the keys are the network's)", async () => {
    let r = await run('train', '--preset', 'mnist', '--set', 'model.heads=3', '--set', 'name=bad-heads');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ValueRangeError: heads = 3 must divide the width/);
    r = await run('train', '--preset', 'mnist', '--set', 'model.attentionResolutions=[9]', '--set', 'name=bad-attn');
    expect(r.err).toMatch(/attentionResolutions\[0\] = 9 .*28, 14, 7/);
    r = await run('train', '--preset', 'mnist', '--set', 'model.channels=12', '--set', 'name=bad-channels');
    expect(r.err).toMatch(/ValueRangeError: groups = 8 must divide every width/);
    r = await run('train', '--preset', 'mnist-dit', '--set', 'model.patchSize=5', '--set', 'name=bad-patch');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ValueRangeError: sampleShape \[28, 28, \.\.\.\] must have height and width divisible by patchSize = 5/);
    r = await run('train', '--preset', 'mnist', '--set', 'model.chanels=8', '--set', 'name=bad-key');
    expect(r.err).toMatch(/ConfigError: unknown config key 'model\.chanels'; did you mean 'model\.channels'\?/);
    expect(existsSync(join(out, 'bad-heads', 'teacher.ckpt'))).toBe(false);
  });

  it('names the preset, the data folder and conflicting flags', async () => {
    let r = await run('train', '--preset', 'mnsit');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--preset: unknown preset 'mnsit'; did you mean 'mnist'\? \(known: demo, mnist, fashion-mnist, mnist-dit\)/);
    const cfg = join(out, 'x.yaml');
    writeFileSync(cfg, 'seed: 1\n');
    r = await run('train', '--preset', 'mnist', '-c', cfg);
    expect(r.err).toMatch(/--preset and --config are alternatives/);
    r = await run('train', '--preset', 'fashion-mnist', '--quick', '--set', `data.dir=${join(out, 'no-such-dir')}`);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/DataFileError: .*no-such-dir/);
    r = await run('train', '--preset', 'mnist', '--set', 'data.limit=0');
    expect(r.err).toMatch(/config key 'data\.limit': expected integer >= 1 \| null, got 0/);
  });
});

describe('presets and the run network', () => {
  it('every preset is a valid config; mnist is the documented run', () => {
    for (const [name, preset] of Object.entries(CONFIG_PRESETS)) expect(() => loadRunConfig(preset), name).not.toThrow();
    const c = loadRunConfig(MNIST_PRESET);
    expect(c.model.kind).toBe('unet');
    const net = createRunNetwork(c, [28, 28, 1]);
    expect(net.parameterCount()).toBe(250_113); // docs/images.md
    expect(describeRunNetwork(c, net)).toMatch(/^unet \(channels 16, channelMult \[1,2,2\], numResBlocks 1, attentionResolutions \[7\], .*; 250,113 parameters\)$/);
    net.dispose();
    expect(runNetworkSpec(loadRunConfig({ data: { target: 'mnist' }, model: { kind: 'dit', timeEmbeddingDim: 32 } }), [28, 28, 1])).toMatchObject({
      kind: 'dit',
      sampleShape: [28, 28, 1],
      patchSize: 2,
      timeEmbeddingDim: 32,
    });
    expect(runNetworkSpec(loadRunConfig({}), [2])).toMatchObject({ kind: 'mlp', dim: 2, hidden: [256, 256, 256] });
  });
});
