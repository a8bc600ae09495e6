import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@charlearn/backend-wasm';
import {
  CharlearnError,
  NonFiniteError,
  Rng,
  ShapeError,
  UnknownPluginError,
  ValueRangeError,
  ConfigError,
  follmer,
  priorSample,
  timesLike,
  useBackend,
  type Dataset,
} from '@charlearn/core';
import { createMlp, decodeTensors, encodeTensors } from '@charlearn/nets';
import { expIntegratorStep } from '@charlearn/solvers';
import {
  CharacteristicDistiller,
  TeacherTrainer,
  characteristicMap,
  drawPairPlan,
  emaDecayAt,
  learningRateAt,
  networkDenoiser,
  sampleFlowMap,
  sampleTeacher,
  type TrainerCheckpoint,
} from './index';
import { fieldModelFromDenoiser } from '@charlearn/core';
import { mixtureDataset } from './test-helpers';

beforeAll(async () => {
  await useBackend('wasm');
});

const tiny = { dim: 2, hidden: [32, 32], timeEmbeddingDim: 16 };
const { dataset, gmm } = mixtureDataset();

function roundTrip(c: TrainerCheckpoint): TrainerCheckpoint {
  const decoded = decodeTensors(encodeTensors(c.arrays, c.meta as never));
  return { meta: decoded.meta as TrainerCheckpoint['meta'], arrays: decoded.arrays };
}

describe('schedules', () => {
  it('warm-up is linear and EMA decay follows min(ema, (1+k)/(10+k))', () => {
    expect(learningRateAt(0, 1e-3, 100)).toBeCloseTo(1e-5, 12);
    expect(learningRateAt(49, 1e-3, 100)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(500, 1e-3, 100)).toBe(1e-3);
    expect(emaDecayAt(0, 0.999)).toBeCloseTo(0.1, 12);
    expect(emaDecayAt(90, 0.999)).toBeCloseTo(0.91, 12);
    expect(emaDecayAt(1e6, 0.999)).toBe(0.999);
  });
});

describe('characteristic pairs', () => {
  it('draws n with P(n) ∝ n, valid starts, and group sizes that fill the batch', () => {
    const rng = new Rng(0);
    const N = 6;
    const counts = new Array<number>(N).fill(0);
    const draws = 30000;
    for (let k = 0; k < draws; k++) {
      const plan = drawPairPlan(rng, N, 10, 3);
      counts[plan.n]!++;
      expect(plan.groups.reduce((a, g) => a + g.size, 0)).toBe(10);
      for (const g of plan.groups) {
        expect(g.start).toBeGreaterThanOrEqual(0);
        expect(g.start + plan.n).toBeLessThanOrEqual(N - 1);
      }
    }
    const total = ((N - 1) * N) / 2;
    for (let n = 1; n < N; n++) {
      const p = n / total;
      const sd = Math.sqrt((p * (1 - p)) / draws);
      expect(Math.abs(counts[n]! / draws - p)).toBeLessThan(5 * sd);
    }
    expect(counts[0]).toBe(0);
  });

  it('fullJumpShare: that share of batches is the whole-grid jump from start 0; 0 keeps the P(n) ∝ n draws', () => {
    const N = 6;
    const draws = 20000;
    const rng = new Rng(3);
    let full = 0;
    for (let k = 0; k < draws; k++) {
      const plan = drawPairPlan(rng, N, 10, 3, 0.75);
      if (plan.n === N - 1) {
        full++;
        expect(plan.groups.map((g) => g.start)).toEqual([0, 0, 0]);
      }
      expect(plan.groups.reduce((a, g) => a + g.size, 0)).toBe(10);
    }
    // P(full) = 0.75 + 0.25 · P(n = N − 1 | n ∝ n) = 0.75 + 0.25 · (N − 1) / (N(N − 1)/2)
    const p = 0.75 + 0.25 * (2 / N);
    expect(Math.abs(full / draws - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / draws));
    const always = drawPairPlan(new Rng(4), N, 10, 2, 1);
    expect(always).toEqual({ n: N - 1, groups: [{ start: 0, size: 5 }, { start: 0, size: 5 }] });
    // share 0 draws exactly what the 4-argument call draws, from the same stream
    const [a, b] = [new Rng(5), new Rng(5)];
    for (let k = 0; k < 50; k++) expect(drawPairPlan(a, N, 10, 3, 0)).toEqual(drawPairPlan(b, N, 10, 3));
    for (const bad of [-0.1, 1.5, Number.NaN]) expect(() => drawPairPlan(new Rng(0), N, 10, 3, bad)).toThrow(ValueRangeError);
  });
});

describe('the generator g(t, s, x)', () => {
  it('is the identity at s = t and one teacher exponential-integrator step at initialisation', () => {
    const teacher = createMlp({ ...tiny, seed: 3 });
    // give the teacher non-trivial output weights so the check is not vacuous
    const w = teacher.getWeights();
    const out = w['out/w']!;
    out.values = out.values.map((_, i) => Math.sin(i + 1) * 0.3);
    teacher.setWeights(w);
    const student = teacher.toTwoTime();
    const g = characteristicMap(student, follmer);
    const field = fieldModelFromDenoiser(networkDenoiser(teacher, follmer), follmer);
    const x = new Rng(1).normalTensor([16, 2]);
    const same = g(x, timesLike(x, 0.4), timesLike(x, 0.4)).dataSync();
    x.dataSync().forEach((v, i) => expect(same[i]).toBeCloseTo(v, 5));
    const jump = g(x, timesLike(x, 0.2), timesLike(x, 0.7)).dataSync();
    const ei = expIntegratorStep(x, 0.2, 0.7, field).dataSync();
    ei.forEach((v, i) => expect(jump[i]).toBeCloseTo(v, 5));
    const toData = g(x, timesLike(x, 0.2), timesLike(x, 1)).dataSync();
    expect(Array.from(toData).every(Number.isFinite)).toBe(true);
    teacher.dispose();
    student.dispose();
  });

  it('few-step sampling uses exactly `steps` network evaluations', () => {
    const student = createMlp({ ...tiny, twoTime: true });
    let calls = 0;
    const counted = Object.create(student) as typeof student;
    counted.apply = (...args: Parameters<typeof student.apply>) => {
      calls++;
      return student.apply(...args);
    };
    const g = characteristicMap(counted, follmer);
    const z = priorSample([8, 2], 0);
    for (const k of [1, 2, 4, 8]) {
      calls = 0;
      sampleFlowMap(g, z, k).dispose();
      expect(calls).toBe(k);
    }
    expect(() => sampleFlowMap(g, z, 0)).toThrow(ValueRangeError);
    student.dispose();
  });
});

describe('teacher sampling within an NFE budget', () => {
  it('counts NFE: exponential integrator exactly, Heun floor((nfe−1)/2) steps + a final denoise', () => {
    const field = gmm.fieldModel('follmer');
    const z = priorSample([32, 2], 2);
    const ei = sampleTeacher(field, z, 'exp-integrator', 5);
    expect(ei.nfe).toBe(5);
    const heun = sampleTeacher(field, z, 'heun', 20);
    expect([heun.steps, heun.nfe]).toEqual([9, 19]);
    const one = sampleTeacher(field, z, 'euler', 1);
    expect([one.steps, one.nfe]).toEqual([0, 1]);
    tf.dispose([ei.x, heun.x, one.x]);
  });
});

describe('TeacherTrainer', () => {
  it('learns the mixture denoiser: loss and the error against the exact denoiser fall', () => {
    const trainer = new TeacherTrainer({ net: createMlp({ dim: 2, hidden: [64, 64], timeEmbeddingDim: 16 }), dataset, config: { batchSize: 256, warmupSteps: 20, lr: 2e-3 }, seed: 0 });
    const x = gmm.sampleTensor(256, new Rng(9));
    const t = tf.fill([256], 0.6) as tf.Tensor1D;
    const xt = tf.add(tf.mul(x, 0.6), tf.mul(new Rng(10).normalTensor([256, 2]), 0.8));
    const exact = gmm.denoise(xt, t, 'follmer');
    const err = () => tf.tidy(() => tf.mean(tf.square(tf.sub(trainer.denoiser(false)(xt, t), exact))).dataSync()[0]!);
    const before = err();
    const losses: number[] = [];
    for (let i = 0; i < 250; i++) losses.push(trainer.trainStep().loss);
    const after = err();
    // The weighted DSM loss has a large irreducible floor (E‖x1 − E[x1|x_t]‖²/c_out²), so its fall is noisy;
    // the distance to the exact denoiser is the real measure.
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(after).toBeLessThan(0.25 * before);
    trainer.dispose();
  });

  it('resumes from a checkpoint with the same next losses as an uninterrupted run', () => {
    const make = () => new TeacherTrainer({ net: createMlp({ ...tiny, seed: 5 }), dataset, config: { batchSize: 64, warmupSteps: 3 }, seed: 11 });
    const a = make();
    const straight = Array.from({ length: 6 }, () => a.trainStep().loss);
    const b = make();
    for (let i = 0; i < 3; i++) b.trainStep();
    const saved = roundTrip(b.checkpoint());
    b.dispose();
    const c = TeacherTrainer.fromCheckpoint(saved, dataset);
    const resumed = Array.from({ length: 3 }, () => c.trainStep().loss);
    expect(resumed).toEqual(straight.slice(3));
    a.dispose();
    c.dispose();
  });

  it('stops on a NaN loss with the step number, and leaks no tensors', () => {
    let calls = 0;
    const poisoned: Dataset = {
      ...dataset,
      sample: (n, rng) => {
        calls++;
        const x = dataset.sample(n, rng);
        if (calls < 4) return x;
        const bad = tf.mul(x, Number.NaN);
        x.dispose();
        return bad;
      },
    };
    const trainer = new TeacherTrainer({ net: createMlp(tiny), dataset: poisoned, config: { batchSize: 32 }, seed: 0 });
    trainer.trainStep();
    const before = tf.memory().numTensors;
    trainer.trainStep();
    trainer.trainStep();
    expect(tf.memory().numTensors).toBe(before);
    try {
      trainer.trainStep();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NonFiniteError);
      expect((e as NonFiniteError).step).toBe(3);
      expect((e as Error).message).toMatch(/loss is NaN at step 3/);
    }
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
  });

  it('rejects a dataset whose samples do not fit the network and bad config values', () => {
    const wide: Dataset = { ...dataset, sampleShape: [3] };
    expect(() => new TeacherTrainer({ net: createMlp(tiny), dataset: wide })).toThrow(ShapeError);
    for (const [config, parameter] of [
      [{ steps: 0 }, 'teacher.steps'],
      [{ lr: -1 }, 'teacher.lr'],
      [{ batchSize: 2.5 }, 'teacher.batchSize'],
      [{ ema: 1 }, 'teacher.ema'],
    ] as const) {
      try {
        new TeacherTrainer({ net: createMlp(tiny), dataset, config });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(CharlearnError);
        expect((e as CharlearnError).parameter).toBe(parameter);
      }
    }
  });
});

describe('CharacteristicDistiller', () => {
  it('reduces the one-step error against the teacher characteristic', () => {
    const teacherTrainer = new TeacherTrainer({ net: createMlp({ dim: 2, hidden: [64, 64], timeEmbeddingDim: 16 }), dataset, config: { batchSize: 256, warmupSteps: 20, lr: 2e-3 }, seed: 0 });
    for (let i = 0; i < 200; i++) teacherTrainer.trainStep();
    const teacher = teacherTrainer.ema.network;
    const distiller = new CharacteristicDistiller({
      teacher,
      dataset,
      config: { batchSize: 128, gridSize: 8, pairGroups: 2, warmupSteps: 10, lr: 2e-3, ema: 0.9, losses: { fit: 1, semigroup: 0.1, ctm: 0, dsm: 'adaptive' } },
      seed: 1,
    });
    const z = priorSample([256, 2], 3);
    // the teacher's own characteristic end points, finely solved
    const ref = sampleTeacher(distiller.teacherField, z, 'heun', 81, { eps0: 1e-3 }).x;
    const oneStepError = () => tf.tidy(() => tf.mean(tf.norm(tf.sub(distiller.sample(z, 1), ref), 'euclidean', 1)).dataSync()[0]!);
    const before = oneStepError();
    for (let i = 0; i < 150; i++) distiller.trainStep();
    const after = oneStepError();
    expect(after).toBeLessThan(0.5 * before);
    distiller.dispose();
    teacherTrainer.dispose();
    ref.dispose();
  });

  it('resumes from a checkpoint with the same next losses, leaks nothing, and reports every loss term', () => {
    const teacher = createMlp({ ...tiny, seed: 2 });
    const config = { batchSize: 32, gridSize: 6, pairGroups: 2, warmupSteps: 2, losses: { fit: 1, semigroup: 0.5, ctm: 0.5, dsm: 'adaptive' as const } };
    const a = new CharacteristicDistiller({ teacher, dataset, config, seed: 4 });
    a.trainStep();
    const before = tf.memory().numTensors;
    const straight = [a.trainStep(), a.trainStep(), a.trainStep(), a.trainStep()];
    expect(tf.memory().numTensors).toBe(before);
    for (const s of straight) {
      expect(s.fit).toBeGreaterThan(0);
      expect(s.semigroup).toBeGreaterThan(0);
      expect(s.ctm).toBeGreaterThan(0);
      expect(s.dsm).toBeGreaterThan(0);
      expect(s.dsmWeight).toBeGreaterThan(0);
      expect(s.teacherNfe).toBe(s.teacherSteps * 2);
    }
    const b = new CharacteristicDistiller({ teacher: createMlp({ ...tiny, seed: 2 }), dataset, config, seed: 4 });
    for (let i = 0; i < 3; i++) b.trainStep();
    const saved = roundTrip(b.checkpoint());
    b.dispose();
    const c = CharacteristicDistiller.fromCheckpoint(saved, dataset);
    const resumed = [c.trainStep(), c.trainStep()].map((s) => s.loss);
    expect(resumed).toEqual(straight.slice(2).map((s) => s.loss));
    a.dispose();
    // A distiller built from a checkpoint owns its teacher: dispose() frees every tensor it made.
    const beforeRestore = tf.memory().numTensors;
    CharacteristicDistiller.fromCheckpoint(saved, dataset).dispose();
    expect(tf.memory().numTensors).toBe(beforeRestore);
    c.dispose();
    // A teacher handed in stays the caller's unless ownsTeacher says otherwise.
    const kept = createMlp(tiny);
    new CharacteristicDistiller({ teacher: kept, dataset, config }).dispose();
    expect(kept.parameterCount()).toBeGreaterThan(0);
    expect(() => kept.getWeights()).not.toThrow();
    const beforeOwned = tf.memory().numTensors;
    new CharacteristicDistiller({ teacher: createMlp(tiny), ownsTeacher: true, dataset, config }).dispose();
    expect(tf.memory().numTensors).toBe(beforeOwned);
    kept.dispose();
  });

  it('uses any registered solver for the pairs and rejects unknown ones and bad loss weights', () => {
    const teacher = createMlp(tiny);
    const heun = new CharacteristicDistiller({ teacher, dataset, config: { batchSize: 16, gridSize: 5, pairGroups: 1, teacherSolver: 'heun' } });
    for (let k = 0; k < 6; k++) {
      const s = heun.trainStep();
      // 2 NFE a Heun step; a pair that ends at t = 1 finishes with one denoise instead.
      expect([2 * s.teacherSteps, 2 * s.teacherSteps - 1]).toContain(s.teacherNfe);
    }
    heun.dispose();
    expect(() => new CharacteristicDistiller({ teacher, dataset, config: { teacherSolver: 'rk45' } })).toThrow(UnknownPluginError);
    try {
      new CharacteristicDistiller({ teacher, dataset, config: { losses: { fit: -1, semigroup: 0, ctm: 0, dsm: 0 } } });
      expect.unreachable();
    } catch (e) {
      expect((e as CharlearnError).parameter).toBe('distill.losses.fit');
    }
    expect(() => new CharacteristicDistiller({ teacher, dataset, config: { losses: { fit: 0, semigroup: 0, ctm: 0, dsm: 1 } } })).toThrow(ConfigError);
    expect(() => new CharacteristicDistiller({ teacher, dataset, config: { gridSize: 1 } })).toThrow(ConfigError);
  });
});

describe('asynchronous steps (backends without synchronous reads)', () => {
  it('trainStepAsync gives exactly the numbers and weights of trainStep, for the teacher and the distiller', async () => {
    const config = { steps: 10, batchSize: 64, warmupSteps: 2 };
    const a = new TeacherTrainer({ net: createMlp({ ...tiny, seed: 3 }), dataset, seed: 5, config });
    const b = new TeacherTrainer({ net: createMlp({ ...tiny, seed: 3 }), dataset, seed: 5, config });
    for (let i = 0; i < 3; i++) {
      const sync = a.trainStep();
      const async = await b.trainStepAsync();
      expect(async).toEqual(sync);
    }
    const before = tf.memory().numTensors;
    const da = new CharacteristicDistiller({ teacher: a.ema.network, dataset, seed: 7, config: { steps: 5, batchSize: 32, gridSize: 6, warmupSteps: 1 } });
    const db = new CharacteristicDistiller({ teacher: a.ema.network, dataset, seed: 7, config: { steps: 5, batchSize: 32, gridSize: 6, warmupSteps: 1 } });
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) {
      const sync = da.trainStep();
      const async = await db.trainStepAsync();
      expect(async).toEqual(sync);
    }
    expect(tf.memory().numTensors).toBe(n0);
    const wa = da.student.getWeights();
    const wb = db.student.getWeights();
    for (const name of Object.keys(wa)) expect(Array.from(wb[name]!.values)).toEqual(Array.from(wa[name]!.values));
    [da, db, a, b].forEach((t) => t.dispose());
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });
});
