import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GaussianMixture, ShapeError, TypeMismatchError, ValueRangeError, type Dataset } from '@charlearn/core';
import { createMlp } from '@charlearn/nets';
import { CharacteristicDistiller, estimateDataMean, sampleFlowMap, type FlowMap } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// A flow map that returns its input: sampleFlowMap(identity, z, 1, ...) is then the start point itself.
const identity: FlowMap = (x) => tf.clone(x);
const gmm = new GaussianMixture({ means: [[3, 1], [2, 2]], std: 0.3, weights: [1, 1] });
const mean = [2.5, 1.5];
const zs = [0.4, -0.7, -1.1, 0.2, 0.05, 1.3];

function startOf(start: 'prior' | 'reference' | 'noise-step', eps0: number): Float32Array {
  const z = tf.tensor2d(zs, [3, 2]);
  const m = tf.tensor1d(mean);
  const x = sampleFlowMap(identity, z, 1, { eps0, start, dataMean: m });
  const out = x.dataSync() as Float32Array;
  tf.dispose([z, m, x]);
  return out;
}

describe('sampleFlowMap start (the mean shift of the reference sampler)', () => {
  it("'prior' takes z as is, 'reference' is the reference code's z − eps0·E[x1], 'noise-step' z + eps0·E[x1]", () => {
    const eps0 = 1e-3;
    const prior = startOf('prior', eps0);
    const ref = startOf('reference', eps0);
    const step = startOf('noise-step', eps0);
    zs.forEach((z, i) => {
      expect(prior[i]).toBe(Math.fround(z));
      expect(ref[i]).toBeCloseTo(z - eps0 * mean[i % 2]!, 6);
      expect(step[i]).toBeCloseTo(z + eps0 * mean[i % 2]!, 6);
    });
  });

  it("'noise-step' is the exact point at eps0 to O(eps0²); 'prior' and 'reference' are O(eps0·|E[x1]|) off", () => {
    const eps0 = 1e-2;
    const exact = gmm.exactFlow(zs, 0, eps0);
    const err = (x: ArrayLike<number>) => Math.max(...zs.map((_, i) => Math.abs(x[i]! - exact[i]!)));
    expect(err(startOf('noise-step', eps0))).toBeLessThan(2e-4); // the Föllmer O(eps0²) term
    expect(err(startOf('prior', eps0))).toBeGreaterThan(0.8 * eps0 * 2.5);
    expect(err(startOf('reference', eps0))).toBeGreaterThan(1.8 * eps0 * 2.5); // twice: it shifts the other way
  });

  it('names bad starts and missing or mis-shaped means before any tensor math, and leaks nothing', () => {
    const z = tf.tensor2d(zs, [3, 2]);
    const wrong = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    expect(() => sampleFlowMap(identity, z, 1, { start: 'mean' as never })).toThrow(ValueRangeError);
    expect(() => sampleFlowMap(identity, z, 1, { start: 'reference' })).toThrow(TypeMismatchError);
    expect(() => sampleFlowMap(identity, z, 1, { start: 'noise-step', dataMean: wrong })).toThrow(ShapeError);
    expect(tf.memory().numTensors).toBe(before);
    const m = tf.tensor1d(mean);
    const x = sampleFlowMap(identity, z, 4, { start: 'noise-step', dataMean: m });
    x.dispose();
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([z, wrong, m]);
  });

  it('estimateDataMean is the sample mean of its own seeded draws (the training stream is untouched)', () => {
    const dataset: Dataset = { name: 'gmm', sampleShape: [2], sigmaData: 1, sample: (n, rng) => gmm.sampleTensor(n, rng) };
    const m = estimateDataMean(dataset, 4096);
    const got = m.dataSync();
    // mixture std per coordinate ≈ 0.58: 4 standard errors of a 4096-sample mean
    mean.forEach((v, j) => expect(Math.abs(got[j]! - v)).toBeLessThan((4 * 0.6) / 64));
    const again = estimateDataMean(dataset, 4096);
    expect(Array.from(again.dataSync())).toEqual(Array.from(got));
    tf.dispose([m, again]);
    expect(() => estimateDataMean(dataset, 0)).toThrow(ValueRangeError);
  });
});

describe('CharacteristicDistiller.sample start', () => {
  it("shifts the start by the dataset's mean (estimated once, freed by dispose) and names a bad start", () => {
    const dataset: Dataset = { name: 'gmm', sampleShape: [2], sigmaData: 1, sample: (n, rng) => gmm.sampleTensor(n, rng) };
    const distiller = new CharacteristicDistiller({ teacher: createMlp({ dim: 2, hidden: [8], timeEmbeddingDim: 4, seed: 1 }), dataset, seed: 0 });
    const z = tf.tensor2d(zs, [3, 2]);
    const before = tf.memory().numTensors;
    const prior = distiller.sample(z, 1);
    const shifted = distiller.sample(z, 1, { start: 'noise-step' });
    // g(eps0, 1, ·) at the start z + eps0·E[x1] differs from g at z, by O(eps0·|E[x1]|)
    const d = Math.max(...Array.from(prior.dataSync(), (v, i) => Math.abs(v - shifted.dataSync()[i]!)));
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(0.1);
    expect(() => distiller.sample(z, 1, { start: 'mean' as never })).toThrow(ValueRangeError);
    tf.dispose([prior, shifted]);
    expect(tf.memory().numTensors).toBe(before + 1); // the cached data mean
    distiller.dispose();
    z.dispose();
  });
});
