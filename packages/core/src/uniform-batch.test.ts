import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { edmCoefficients, edmNoiseLevel, follmer, isUniformBatch, tausLike, timeBatch, timesLike, uniformBatch } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('uniform time batches (one time for the whole batch)', () => {
  it('timesLike, tausLike and uniformBatch build marked [batch] tensors of the given value', () => {
    const x = tf.zeros([5, 2]);
    const t = timesLike(x, 0.25);
    const tau = tausLike(x, 0.25);
    const u = uniformBatch(5, -3);
    expect([t, tau, u].map((v) => isUniformBatch(v))).toEqual([true, true, true]);
    expect(Array.from(t.dataSync())).toEqual(new Array(5).fill(0.25));
    expect(Array.from(tau.dataSync())).toEqual(new Array(5).fill(0.75));
    expect(Array.from(u.dataSync())).toEqual(new Array(5).fill(-3));
    tf.dispose([x, t, tau, u]);
  });

  it('host time batches, clones and hand-made fills are not marked (a mark is lost, never wrong)', () => {
    const b = timeBatch([0.5, 0.5, 0.5]);
    const fill = tf.fill([3], 0.5);
    const clone = tf.clone(uniformBatch(3, 0.5));
    expect([b.t, b.tau, fill, clone].map((v) => isUniformBatch(v))).toEqual([false, false, false, false]);
    tf.dispose([b.t, b.tau, fill, clone]);
  });

  it('edmNoiseLevel is 999·τ and uniform exactly when the times it reads are', () => {
    tf.tidy(() => {
      const x = tf.zeros([4, 2]);
      const marked = edmNoiseLevel(timesLike(x, 1 - 1e-6), tausLike(x, 1 - 1e-6));
      expect(isUniformBatch(marked)).toBe(true);
      expect(marked.dataSync()[0]).toBeCloseTo(999e-6, 10);
      expect(isUniformBatch(edmNoiseLevel(timesLike(x, 0.5)))).toBe(true);
      // with tau given, c_noise is read from tau alone
      expect(isUniformBatch(edmNoiseLevel(tf.fill([4], 0.5) as tf.Tensor1D, tausLike(x, 0.5)))).toBe(true);
      expect(isUniformBatch(edmNoiseLevel(timesLike(x, 0.5), tf.fill([4], 0.5) as tf.Tensor1D))).toBe(false);
      expect(isUniformBatch(edmNoiseLevel(timeBatch([0.1, 0.2, 0.3, 0.4]).t))).toBe(false);
    });
  });

  it('edmCoefficients marks its four coefficients when t and tau are uniform, with the same values as unmarked times', () => {
    tf.tidy(() => {
      const x = tf.zeros([3, 2]);
      const a = edmCoefficients(timesLike(x, 0.3), follmer, 0.5, tausLike(x, 0.3));
      const b = edmCoefficients(tf.fill([3], 0.3) as tf.Tensor1D, follmer, 0.5, tf.fill([3], 0.7) as tf.Tensor1D);
      for (const k of ['cIn', 'cOut', 'cSkip', 'cNoise'] as const) {
        expect(isUniformBatch(a[k]), k).toBe(true);
        expect(isUniformBatch(b[k]), k).toBe(false);
        expect(Array.from(a[k].dataSync())).toEqual(Array.from(b[k].dataSync()));
      }
      const mixed = edmCoefficients(timesLike(x, 0.3), follmer, 1, tf.fill([3], 0.7) as tf.Tensor1D);
      expect(isUniformBatch(mixed.cIn)).toBe(false);
    });
  });
});
