import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { CharacteristicDistiller } from '@charlearn/distill';
import { createMlp } from '@charlearn/nets';
import { defaultRunConfig } from './config';
import { evaluateRun, onceByContent, targetReference } from './evaluate';

describe('onceByContent: one W2 per distinct point set', () => {
  it('computes once for byte-identical sets (another array, another offset), again for any changed value', () => {
    const calls: Float32Array[] = [];
    const w2 = onceByContent((pts) => (calls.push(pts), pts.reduce((a, b) => a + b, 0)));
    const a = Float32Array.from([1, 2, 3, 4]);
    expect(w2(a)).toBe(10);
    expect(w2(Float32Array.from(a))).toBe(10);
    const shared = new Float32Array([9, 1, 2, 3, 4]);
    expect(w2(shared.subarray(1))).toBe(10);
    expect(calls).toHaveLength(1);
    // one changed value, or the same values but one fewer: computed
    expect(w2(Float32Array.from([1, 2, 3, 5]))).toBe(11);
    expect(w2(Float32Array.from([1, 2, 3]))).toBe(6);
    expect(calls).toHaveLength(3);
    // -0 and 0 differ in their bytes: computed (never a wrong reuse, at worst one W2 more)
    w2(Float32Array.from([-0, 2, 3, 4]));
    w2(Float32Array.from([0, 2, 3, 4]));
    expect(calls).toHaveLength(5);
  });

  it('keeps its own copy: a caller writing into an array after the call does not change a later answer', () => {
    const w2 = onceByContent((pts) => pts[0]!);
    const a = Float32Array.from([1, 2]);
    expect(w2(a)).toBe(1);
    a[0] = 7;
    expect(w2(a)).toBe(7);
    expect(w2(Float32Array.from([1, 2]))).toBe(1);
  });
});

describe('evaluateRun: the W2 solves on worker threads', () => {
  it('gives the figures of one thread, bit for bit, and leaks no tensor', async () => {
    await useBackend('wasm');
    const target = getTarget('swiss-roll');
    const distiller = new CharacteristicDistiller({ teacher: createMlp({ dim: 2, hidden: [16], seed: 3 }), dataset: target, config: { gridSize: 4 } });
    const base = defaultRunConfig();
    const config = { ...base, eval: { ...base.eval, samples: 300, teacherSolvers: ['euler', 'heun'], teacherNfe: [1, 3], fewSteps: [1, 2] } };
    try {
      const run = (w2Workers: number) => evaluateRun({ distiller, target: targetReference(target), config, backend: 'wasm', log: () => undefined, w2Workers });
      const here = await run(0); // the first call also fills the caches of the network and the solvers
      const before = tf.memory().numTensors;
      const pooled = await run(2);
      expect(tf.memory().numTensors).toBe(before);
      expect(pooled.metrics.w2).toEqual(here.metrics.w2);
      // the figures are real solves: the untrained generator is far from the data, the teacher at 3 NFE nearer than at 1
      expect(here.metrics.w2.oneStep).toBeGreaterThan(here.metrics.w2.floor);
      expect(Object.keys(here.metrics.w2.teacher).sort()).toEqual(['euler@1', 'euler@3', 'heun@1', 'heun@3'].sort());
    } finally {
      distiller.dispose();
    }
  }, 60_000);
});
