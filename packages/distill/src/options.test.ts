/** The trainers' constructor options (besides `config`) are schema-checked: a ConfigError in the CLI's text, before any tensor. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@charlearn/backend-wasm';
import { ConfigError, useBackend } from '@charlearn/core';
import { createMlp } from '@charlearn/nets';
import { CharacteristicDistiller, OneStepTrainer, TeacherTrainer } from './index';
import { mixtureDataset } from './test-helpers';

/** The ConfigError `f` throws, with no tensor left behind. */
const configError = (f: () => unknown): ConfigError => {
  const before = tf.memory().numTensors;
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect(tf.memory().numTensors).toBe(before);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

beforeAll(async () => {
  await useBackend('wasm');
});

describe('constructor options are checked by a schema', () => {
  const { dataset } = mixtureDataset();
  let net: ReturnType<typeof createMlp>;
  beforeAll(() => {
    net = createMlp({ dim: 2, hidden: [8], timeEmbeddingDim: 8 });
  });

  it('new TeacherTrainer: an unknown key names the closest valid one; a wrong or missing network is named', () => {
    const e = configError(() => new TeacherTrainer({ network: net, dataset } as never));
    expect(e.message).toBe("unknown config key 'TeacherTrainer.network'; did you mean 'TeacherTrainer.net'? (keys of 'TeacherTrainer': net, dataset, config, interpolant, seed, gradients)");
    expect(e.parameter).toBe('TeacherTrainer.network');
    expect(configError(() => new TeacherTrainer({ net: 'mlp', dataset } as never)).message).toBe(
      "config key 'TeacherTrainer.net': expected a network of @charlearn/nets (e.g. createMlp(...)), got \"mlp\" (string)",
    );
    expect(configError(() => new TeacherTrainer({ dataset } as never)).message).toBe("config key 'TeacherTrainer.net' is required (expected Network)");
    expect(configError(() => new TeacherTrainer({ net, dataset, seed: -1 })).message).toBe("config key 'TeacherTrainer.seed': expected integer in [0, 4294967295], got -1");
  });

  it('new CharacteristicDistiller: an unknown key names the closest valid one; a wrong data set is named', () => {
    expect(configError(() => new CharacteristicDistiller({ teacher: net, dataset, seeed: 1 } as never)).message).toBe(
      "unknown config key 'CharacteristicDistiller.seeed'; did you mean 'CharacteristicDistiller.seed'? (keys of 'CharacteristicDistiller': teacher, dataset, config, interpolant, seed, student, ownsTeacher)",
    );
    expect(configError(() => new CharacteristicDistiller({ teacher: net, dataset: [[0, 1]] } as never)).message).toMatch(/^config key 'CharacteristicDistiller\.dataset': expected a Dataset/);
  });

  it('new OneStepTrainer: an unknown key names the closest valid one', () => {
    expect(configError(() => new OneStepTrainer({ objective: 'drifting', dataset, network: net } as never)).message).toBe(
      "unknown config key 'OneStepTrainer.network'; did you mean 'OneStepTrainer.networks'? (keys of 'OneStepTrainer': objective, objectiveOptions, dataset, net, networks, config, seed, savedResources)",
    );
  });
});
