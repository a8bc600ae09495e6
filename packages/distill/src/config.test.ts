import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@charlearn/backend-wasm';
import { ConfigError, configSection, setting, useBackend } from '@charlearn/core';
import { createMlp } from '@charlearn/nets';
import * as v from 'valibot';
import { CharacteristicDistiller, DEFAULT_DISTILL_CONFIG, DEFAULT_ONE_STEP_CONFIG, DEFAULT_TEACHER_CONFIG, OneStepTrainer, TeacherTrainer, registerObjective, teacherFreeObjective } from './index';
import { mixtureDataset } from './test-helpers';

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

beforeAll(async () => {
  await useBackend('wasm');
});

describe('trainer settings are parsed by their schemas', () => {
  const { dataset } = mixtureDataset();
  const net = () => createMlp({ dim: 2, hidden: [8], timeEmbeddingDim: 8 });

  it('an unknown key names the closest valid key, before any tensor is allocated', () => {
    const n = net();
    const before = tf.memory().numTensors;
    expect(message(() => new TeacherTrainer({ net: n, dataset, config: { learningRate: 0.5 } as never }))).toBe(
      "unknown config key 'teacher.learningRate' (keys of 'teacher': steps, batchSize, lr, warmupSteps, lrDecay, gradClip, ema, eps0, eps1)",
    );
    expect(message(() => new TeacherTrainer({ net: n, dataset, config: { stpes: 5 } as never }))).toMatch(/^unknown config key 'teacher.stpes'; did you mean 'teacher.steps'\?/);
    expect(message(() => new CharacteristicDistiller({ teacher: n, dataset, config: { teacherSolvr: 'heun' } as never }))).toMatch(
      /^unknown config key 'distill.teacherSolvr'; did you mean 'distill.teacherSolver'\?/,
    );
    expect(message(() => new CharacteristicDistiller({ teacher: n, dataset, config: { losses: { semigrup: 1 } } as never }))).toMatch(
      /^unknown config key 'distill.losses.semigrup'; did you mean 'distill.losses.semigroup'\?/,
    );
    expect(message(() => new OneStepTrainer({ objective: 'drifting', net: n, dataset, config: { batchsize: 8 } as never }))).toMatch(
      /^unknown config key 'onestep.batchsize'; did you mean 'onestep.batchSize'\?/,
    );
    expect(tf.memory().numTensors).toBe(before);
    n.dispose();
  });

  it('a wrong type is a named error, not a TypeError', () => {
    const n = net();
    expect(message(() => new TeacherTrainer({ net: n, dataset, config: { steps: 'many' } as never }))).toBe("config key 'teacher.steps': expected integer >= 1, got \"many\" (string)");
    expect(message(() => new CharacteristicDistiller({ teacher: n, dataset, config: { losses: { dsm: 'adaptiv' } } as never }))).toBe(
      "config key 'distill.losses.dsm': expected 'adaptive' | number >= 0, got \"adaptiv\" (string)",
    );
    expect(message(() => new CharacteristicDistiller({ teacher: n, dataset, config: { teacherSolver: 3 } as never }))).toMatch(/^config key 'distill.teacherSolver': /);
    expect(message(() => new TeacherTrainer({ net: n, dataset, config: 7 as never }))).toBe("config key 'teacher': expected object, got 7");
    n.dispose();
  });

  it('objective options go through the objective schema, built-in or plugin', () => {
    const n = net();
    expect(message(() => new OneStepTrainer({ objective: 'drifting', objectiveOptions: { temperature: [1] }, net: n, dataset }))).toMatch(
      /^unknown config key 'drifting.temperature'; did you mean 'drifting.temperatures'\?/,
    );
    expect(message(() => new OneStepTrainer({ objective: 'wflow', objectiveOptions: { maxIter: 0 }, net: n, dataset }))).toBe("config key 'wflow.maxIter': expected integer >= 1, got 0");
    let seen: unknown;
    registerObjective(
      {
        name: 'test/scaled',
        description: 'test objective with options',
        optionsSchema: configSection({ gain: setting(v.pipe(v.number(), v.gtValue(0)), 2, 'gain') }),
        create(options, ctx) {
          seen = options;
          return teacherFreeObjective('test/scaled', {}, ctx, (x) => ({ velocity: tf.mul(x, 0) }));
        },
      },
      { override: true },
    );
    expect(message(() => new OneStepTrainer({ objective: 'test/scaled', objectiveOptions: { gian: 1 }, net: n, dataset }))).toMatch(
      /^unknown config key 'test\/scaled.gian'; did you mean 'test\/scaled.gain'\?/,
    );
    new OneStepTrainer({ objective: 'test/scaled', net: n, dataset }).dispose();
    expect(seen).toEqual({ gain: 2 });
    n.dispose();
  });

  it('the defaults are the schemas', () => {
    expect(DEFAULT_TEACHER_CONFIG).toEqual({ steps: 4000, batchSize: 512, lr: 1e-3, warmupSteps: 500, lrDecay: 'constant', gradClip: 1, ema: 0.999, eps0: 1e-5, eps1: 1e-5 });
    expect(DEFAULT_DISTILL_CONFIG.losses).toEqual({ fit: 1, semigroup: 0.1, ctm: 0, dsm: 0 });
    expect(DEFAULT_ONE_STEP_CONFIG.batchSize).toBe(1024);
  });
});
