import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@charlearn/backend-wasm';
import { Rng, useBackend, ValueRangeError } from '@charlearn/core';
import { createMlp, decodeTensors, encodeTensors, type Network } from '@charlearn/nets';
import { CharacteristicDistiller, CharacteristicTeacher, DEFAULT_ROLLOUT_CACHE, OneStepTrainer, RolloutCache, type TrainerCheckpoint } from './index';
import { mixtureDataset } from './test-helpers';

beforeAll(async () => {
  await useBackend('wasm');
});

const tiny = { dim: 2, hidden: [32, 32], timeEmbeddingDim: 16 };
const { dataset } = mixtureDataset();

/** A teacher whose output layer is not zero, so its characteristics bend. */
function bentTeacher(seed = 2): Network {
  const net = createMlp({ ...tiny, seed });
  tf.tidy(() => net.lastLayerWeight().assign(tf.mul(tf.randomNormal(net.lastLayerWeight().shape, 0, 1, 'float32', seed), 0.3)));
  return net;
}

/** Trajectory m of a cache as nested arrays (the tensor freed). */
function trajectoryOf(cache: RolloutCache, m: number): number[][] {
  const t = cache.trajectory(m);
  const a = t.arraySync() as number[][];
  t.dispose();
  return a;
}

const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

function roundTrip(c: TrainerCheckpoint): TrainerCheckpoint {
  const decoded = decodeTensors(encodeTensors(c.arrays, c.meta as never));
  return { meta: decoded.meta as TrainerCheckpoint['meta'], arrays: decoded.arrays };
}

describe('rollout cache', () => {
  it('holds points of the teacher solved characteristics: every cached pair is a direct rollout', () => {
    const teacher = bentTeacher();
    const frozen = new CharacteristicTeacher({ teacher, dataset, config: { gridSize: 6 } });
    const G = frozen.grid.length;
    const cache = frozen.rolloutCache(dataset, { trajectories: 6, lifetime: 2, seed: 3 });
    expect(cache.advance(0)).toBe(2 * (G - 1));
    for (let m = 0; m < cache.size; m++) {
      const traj = cache.trajectory(m);
      const x0 = tf.slice(traj, [0, 0], [1, 2]);
      for (let k = 1; k < G; k++) {
        const direct = frozen.rollout(x0, 0, k);
        const cached = tf.slice(traj, [k, 0], [1, 2]);
        expect(maxAbs(direct.x, cached)).toBeLessThan(1e-6);
        expect(direct.nfe).toBe(k);
        tf.dispose([direct.x, cached]);
      }
      tf.dispose([traj, x0]);
    }
    // Pairs from an inner start and into t = 1, against rollouts of the pairs' own starting points.
    const rng = new Rng(1);
    for (const [start, n] of [[1, 3], [2, G - 3], [G - 2, 1]] as const) {
      const { xt, target } = cache.pairs(start, n, 10, rng);
      expect(xt.shape).toEqual([10, 2]);
      const direct = frozen.rollout(xt, start, n);
      expect(maxAbs(direct.x, target)).toBeLessThan(1e-5);
      // the pair moved: the teacher's characteristic is not the identity
      expect(maxAbs(xt, target)).toBeGreaterThan(1e-2);
      tf.dispose([xt, target, direct.x]);
    }
    cache.dispose();
    teacher.dispose();
  });

  it('refreshes one chunk a step, keeps the rest, and rebuilds the same trajectories from the seed', () => {
    const teacher = bentTeacher();
    const frozen = new CharacteristicTeacher({ teacher, dataset, config: { gridSize: 4 } });
    const G = frozen.grid.length;
    const before = tf.memory().numTensors;
    const cache = frozen.rolloutCache(dataset, { trajectories: 6, lifetime: 3, seed: 7 });
    expect(cache.chunkSize).toBe(2);
    expect(() => cache.pairs(0, 1, 4, new Rng(0))).toThrow(ValueRangeError);
    expect(cache.advance(0)).toBe(3 * (G - 1));
    expect(cache.liveChunks).toEqual([-2, -1, 0]);
    const chunk = (m: number) => trajectoryOf(cache, m);
    const step0 = [0, 1, 2, 3, 4, 5].map(chunk);
    expect(cache.advance(0)).toBe(0);
    expect(cache.advance(1)).toBe(G - 1);
    expect(cache.liveChunks).toEqual([-1, 0, 1]);
    const step1 = [0, 1, 2, 3, 4, 5].map(chunk);
    // chunks -1 and 0 survive unchanged (now the oldest), chunk -2 is gone and chunk 1 is new
    expect(step1.slice(0, 4)).toEqual(step0.slice(2, 6));
    expect(step1.slice(4)).not.toEqual(step0.slice(0, 2));
    // a resumed cache (advanced straight to step 1) holds the same trajectories
    const resumed = frozen.rolloutCache(dataset, { trajectories: 6, lifetime: 3, seed: 7 });
    expect(resumed.advance(1)).toBe(3 * (G - 1));
    expect([0, 1, 2, 3, 4, 5].map((m) => trajectoryOf(resumed, m))).toEqual(step1);
    // another seed, other trajectories
    const other = frozen.rolloutCache(dataset, { trajectories: 6, lifetime: 3, seed: 8 });
    other.advance(1);
    expect(trajectoryOf(other, 0)).not.toEqual(step1[0]);
    // a jump past the lifetime replaces everything
    expect(cache.advance(9)).toBe(3 * (G - 1));
    expect(cache.liveChunks).toEqual([7, 8, 9]);
    for (const c of [cache, resumed, other]) c.dispose();
    expect(tf.memory().numTensors).toBe(before);
    teacher.dispose();
  });

  it('refreshEvery: the ring moves on one chunk every refreshEvery steps, the same chunks as a step clock of floor(step / refreshEvery)', () => {
    const teacher = bentTeacher();
    const frozen = new CharacteristicTeacher({ teacher, dataset, config: { gridSize: 4 } });
    const G = frozen.grid.length;
    const before = tf.memory().numTensors;
    const slow = frozen.rolloutCache(dataset, { trajectories: 6, lifetime: 3, refreshEvery: 4, seed: 7 });
    const nfe = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((step) => slow.advance(step));
    // the first step fills the ring; then one chunk (G − 1 batched teacher calls) at steps 4 and 8 only
    expect(nfe).toEqual([3 * (G - 1), 0, 0, 0, G - 1, 0, 0, 0, G - 1]);
    expect(slow.liveChunks).toEqual([0, 1, 2]);
    // at step 8 it holds what a default cache holds at step 2
    const fast = frozen.rolloutCache(dataset, { trajectories: 6, lifetime: 3, seed: 7 });
    fast.advance(2);
    expect([0, 1, 2, 3, 4, 5].map((m) => trajectoryOf(slow, m))).toEqual([0, 1, 2, 3, 4, 5].map((m) => trajectoryOf(fast, m)));
    for (const c of [slow, fast]) c.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => frozen.rolloutCache(dataset, { trajectories: 6, lifetime: 3, refreshEvery: 0, seed: 7 })).toThrow(ValueRangeError);
    expect(() => frozen.rolloutCache(dataset, { trajectories: 6, lifetime: 3, refreshEvery: 1.5, seed: 7 })).toThrow(ValueRangeError);
    expect(tf.memory().numTensors).toBe(before);
    teacher.dispose();
  });

  it('rejects bad settings with named errors before allocating', () => {
    const teacher = bentTeacher();
    const n0 = tf.memory().numTensors;
    const bad = [
      { pairSource: 'cached' as never },
      { pairSource: 'rollout-cache' as const, rolloutCache: { trajectories: 2, lifetime: 4 } },
      { pairSource: 'rollout-cache' as const, rolloutCache: { trajectories: 0, lifetime: 1 } },
      { pairSource: 'rollout-cache' as const, rolloutCache: { trajectories: 8, lifetime: 1.5 } },
    ];
    // the schema's ConfigError (a wrong value) or the cross-field ValueRangeError (lifetime > trajectories), naming the key
    for (const config of bad) expect(() => new CharacteristicDistiller({ teacher, dataset, config })).toThrow(/distill\.(pairSource|rolloutCache)/);
    expect(tf.memory().numTensors).toBe(n0);
    // no rolloutCache given: the default policy, seeded with the distiller's seed (saved in the config)
    const d = new CharacteristicDistiller({ teacher, dataset, config: { pairSource: 'rollout-cache' }, seed: 2 });
    expect(d.config.rolloutCache).toEqual({ ...DEFAULT_ROLLOUT_CACHE, seed: 2 });
    d.dispose();
    teacher.dispose();
  });

  it('trains a distiller from the cache: one chunk of teacher work a step, no leaks, exact resume', () => {
    const config = {
      batchSize: 32,
      gridSize: 6,
      pairGroups: 2,
      warmupSteps: 2,
      pairSource: 'rollout-cache' as const,
      rolloutCache: { trajectories: 16, lifetime: 4 },
    };
    const a = new CharacteristicDistiller({ teacher: bentTeacher(), ownsTeacher: true, dataset, config, seed: 4 });
    const G = a.grid.length;
    expect(a.config.rolloutCache).toEqual({ trajectories: 16, lifetime: 4, refreshEvery: 1, seed: 4 });
    expect(a.trainStep().teacherNfe).toBe(4 * (G - 1));
    const before = tf.memory().numTensors;
    const straight = [a.trainStep(), a.trainStep(), a.trainStep(), a.trainStep()];
    expect(tf.memory().numTensors).toBe(before);
    for (const s of straight) {
      expect(s.teacherNfe).toBe(G - 1);
      expect(s.fit).toBeGreaterThan(0);
      expect(Number.isFinite(s.loss)).toBe(true);
    }
    const b = new CharacteristicDistiller({ teacher: bentTeacher(), ownsTeacher: true, dataset, config, seed: 4 });
    for (let i = 0; i < 3; i++) b.trainStep();
    const saved = roundTrip(b.checkpoint());
    b.dispose();
    const n0 = tf.memory().numTensors;
    const c = CharacteristicDistiller.fromCheckpoint(saved, dataset);
    expect(c.config.rolloutCache?.seed).toBe(4);
    const resumed = [c.trainStep(), c.trainStep()].map((s) => s.loss);
    expect(resumed).toEqual(straight.slice(2, 4).map((s) => s.loss));
    c.dispose();
    expect(tf.memory().numTensors).toBe(n0);
    a.dispose();
    // the on-the-fly distiller with the same seed draws other pairs: the cache is really used
    const onTheFly = new CharacteristicDistiller({ teacher: bentTeacher(), ownsTeacher: true, dataset, config: { ...config, pairSource: 'on-the-fly' }, seed: 4 });
    const first = onTheFly.trainStep();
    expect(first.teacherNfe).toBe(first.teacherSteps * 2);
    onTheFly.dispose();
  });

  it("serves the 'characteristic' one-step objective too, and a restored trainer rebuilds the same cache", () => {
    const teacher = bentTeacher();
    const objectiveOptions = { gridSize: 5, pairGroups: 2, pairSource: 'rollout-cache', rolloutCache: { trajectories: 8, lifetime: 2, seed: 9 } };
    const make = () => new OneStepTrainer({ objective: 'characteristic', objectiveOptions, dataset, networks: { teacher }, config: { batchSize: 16, warmupSteps: 1 }, seed: 1 });
    const a = make();
    const straight = Array.from({ length: 4 }, () => a.trainStep());
    expect(straight.map((s) => s.values.teacherNfe)).toEqual([2 * 5, 5, 5, 5]);
    const b = make();
    b.trainStep();
    b.trainStep();
    const saved = roundTrip(b.checkpoint());
    b.dispose();
    const n0 = tf.memory().numTensors;
    const c = OneStepTrainer.fromCheckpoint(saved, dataset);
    const resumed = [c.trainStep(), c.trainStep()];
    expect(resumed.map((s) => s.loss)).toEqual(straight.slice(2).map((s) => s.loss));
    // the restored trainer refilled the whole cache at its first step
    expect(resumed.map((s) => s.values.teacherNfe)).toEqual([2 * 5, 5]);
    c.dispose();
    expect(tf.memory().numTensors).toBe(n0);
    a.dispose();
    teacher.dispose();
  });

  it('is a RolloutCache export with its own checks', () => {
    expect(() => new RolloutCache({ grid: [0, 1], sampleShape: [2], dataset, config: { trajectories: 4, lifetime: 2 }, seed: -1, solveInterval: (x) => x, startPoint: (x) => x })).toThrow(ValueRangeError);
  });
});
