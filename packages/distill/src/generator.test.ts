import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@charlearn/backend-wasm';
import { CheckpointError, priorSample, registerSolver, solvers, useBackend } from '@charlearn/core';
import { euler } from '@charlearn/solvers';
import { createMlp } from '@charlearn/nets';
import { CharacteristicDistiller, loadCharacteristicGenerator } from './index';
import { mixtureDataset } from './test-helpers';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('loadCharacteristicGenerator', () => {
  it('samples exactly as the distiller does, without the solver it was distilled with', () => {
    const { dataset } = mixtureDataset();
    registerSolver({ ...euler, name: 'test/one-off-euler' }, { override: true });
    const teacher = createMlp({ dim: 2, hidden: [16], timeEmbeddingDim: 8, seed: 2 });
    const d = new CharacteristicDistiller({ teacher, dataset, config: { batchSize: 16, gridSize: 4, teacherSolver: 'test/one-off-euler' }, seed: 3 });
    d.trainStep();
    d.trainStep();
    const ckpt = d.checkpoint();
    solvers.unregister('test/one-off-euler'); // the generator alone needs no solver
    const before = tf.memory().numTensors;
    const g = loadCharacteristicGenerator(ckpt, dataset.sigmaData);
    const z = priorSample([64, 2], 5);
    for (const steps of [1, 2]) {
      const a = d.sample(z, steps);
      const b = g.sample(z, steps);
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([a, b]);
    }
    g.dispose();
    z.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => loadCharacteristicGenerator({ meta: { kind: 'teacher', step: 0 }, arrays: {} }, 1)).toThrow(CheckpointError);
    d.dispose();
    teacher.dispose();
  });
});
