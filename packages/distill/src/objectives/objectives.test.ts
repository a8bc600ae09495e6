import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@charlearn/backend-wasm';
import { ConfigError, NonFiniteError, Rng, UnknownPluginError, useBackend, type Dataset } from '@charlearn/core';
import { createMlp, decodeTensors, encodeTensors } from '@charlearn/nets';
import { getTarget } from '@charlearn/data';
import { exactW2Plan } from '@charlearn/metrics';
import { TeacherTrainer } from '../teacher';
import { mixtureDataset } from '../test-helpers';
import type { TrainerCheckpoint } from '../checkpoint';
import { conservativeDrift, laplaceDrift, medianBandwidth } from './drift';
import { registerObjective, regressionToTarget, teacherFreeObjective } from './objective';
import { entropicOt, sinkhornDivergence, transportCost, wflowVelocity } from './sinkhorn';
import { listObjectives, OneStepTrainer } from './trainer';

beforeAll(async () => {
  await useBackend('wasm');
});

const pts = (n: number, seed: number, scale = 1, dim = 2): Tensor => tf.mul(new Rng(seed).normalTensor([n, dim]), scale);
const read = (t: Tensor): Float32Array => {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
};
const maxAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** The drift at query points `q` (flat 2-D) for fixed sets, evaluated in one batch. */
function driftAt(kind: 'laplace' | 'conservative', q: number[], pos: Tensor, neg: Tensor): Float32Array {
  const x = tf.tensor2d(q, [q.length / 2, 2]);
  const v = kind === 'laplace' ? laplaceDrift({ x, positives: pos, negatives: neg }, { temperatures: [0.25], scale: 1 }) : conservativeDrift({ x, positives: pos, negatives: neg }, 0.4);
  x.dispose();
  return read(v);
}

describe('drifts', () => {
  let pos: Tensor;
  let neg: Tensor;
  beforeAll(() => {
    pos = pts(24, 1, 0.8);
    neg = tf.add(pts(24, 2, 0.6), tf.tensor1d([0.3, -0.2]));
  });

  it('vanish when the model sample equals the data (as point sets), for both kernels', () => {
    const copy = tf.clone(pos);
    const x = pts(50, 3);
    for (const v of [laplaceDrift({ x, positives: pos, negatives: copy }), conservativeDrift({ x, positives: pos, negatives: copy }, 0.3)]) {
      expect(maxAbs(read(v))).toBeLessThan(1e-5);
    }
    // and do not vanish otherwise
    expect(maxAbs(read(conservativeDrift({ x, positives: pos, negatives: neg }, 0.3)))).toBeGreaterThan(0.05);
    tf.dispose([copy, x]);
  });

  it('the conservative drift is curl-free with zero loop integrals; the Laplace drift is not', () => {
    const rng = new Rng(5);
    const h = 1e-2;
    const curl = (kind: 'laplace' | 'conservative'): number[] => {
      const out: number[] = [];
      for (let k = 0; k < 12; k++) {
        const [a, b] = [rng.uniform() * 1.6 - 0.8, rng.uniform() * 1.6 - 0.8];
        const v = driftAt(kind, [a + h, b, a - h, b, a, b + h, a, b - h], pos, neg);
        out.push((v[1]! - v[3]!) / (2 * h) - (v[4]! - v[6]!) / (2 * h));
      }
      return out;
    };
    const loop = (kind: 'laplace' | 'conservative', cx: number, cy: number, r: number): { integral: number; total: number } => {
      const m = 400;
      const q: number[] = [];
      for (let i = 0; i < m; i++) {
        const th = (2 * Math.PI * (i + 0.5)) / m;
        q.push(cx + r * Math.cos(th), cy + r * Math.sin(th));
      }
      const v = driftAt(kind, q, pos, neg);
      let integral = 0;
      let total = 0;
      for (let i = 0; i < m; i++) {
        const th = (2 * Math.PI * (i + 0.5)) / m;
        const [dx, dy] = [-Math.sin(th) * r * ((2 * Math.PI) / m), Math.cos(th) * r * ((2 * Math.PI) / m)];
        integral += v[2 * i]! * dx + v[2 * i + 1]! * dy;
        total += Math.hypot(v[2 * i]!, v[2 * i + 1]!) * Math.hypot(dx, dy);
      }
      return { integral, total };
    };
    const cCurl = curl('conservative');
    const lCurl = curl('laplace');
    expect(maxAbs(cCurl)).toBeLessThan(0.02);
    expect(maxAbs(lCurl)).toBeGreaterThan(0.5);
    for (const [cx, cy, r] of [[0, 0, 0.5], [0.3, -0.4, 0.3], [-0.5, 0.2, 0.8]] as const) {
      const c = loop('conservative', cx, cy, r);
      expect(Math.abs(c.integral)).toBeLessThan(2e-3 * c.total);
    }
    const l = [loop('laplace', 0, 0, 0.5), loop('laplace', 0.3, -0.4, 0.3), loop('laplace', -0.5, 0.2, 0.8)];
    expect(Math.max(...l.map((x) => Math.abs(x.integral) / x.total))).toBeGreaterThan(0.02);
  });

  it('stays finite 10^3 away from every point and points back towards the samples', () => {
    const x = tf.tensor2d([[1000, 1000], [-1000, 3]]);
    const v = read(conservativeDrift({ x, positives: pos, negatives: neg }, medianBandwidth(tf.concat([pos, neg]))));
    expect(v.every(Number.isFinite)).toBe(true);
    const l = read(laplaceDrift({ x, positives: pos, negatives: neg }));
    expect(l.every(Number.isFinite)).toBe(true);
    // mean shift towards each set is ≈ (nearest point − x), so the difference is O(1), not 0/0
    expect(maxAbs(v)).toBeLessThan(5);
    x.dispose();
  });

  it('the stop-gradient loss has gradient −2V/batch at the generator output', () => {
    const x = pts(16, 7);
    const V = laplaceDrift({ x, positives: pos });
    const target = tf.add(x, V);
    const g = tf.grad((y: Tensor) => regressionToTarget(y, target))(x);
    const expected = read(tf.mul(V, -2 / 16));
    const got = read(g);
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 5);
    tf.dispose([x, V, target]);
  });

  it('runs at N = 4096 in 2-D and N = 256 with d = 784, tensor count flat across calls', () => {
    const big = pts(4096, 8);
    const data = pts(4096, 9);
    const image = (seed: number): Tensor => tf.tidy(() => tf.reshape(pts(256, seed, 1, 784), [256, 28, 28, 1]));
    const [img, imgData, img2] = [image(10), image(11), image(12)];
    const pooled = tf.concat([img, imgData]);
    const counts: number[] = [];
    for (let round = 0; round < 2; round++) {
      const v = laplaceDrift({ x: big, positives: data }, { temperatures: [0.05] });
      expect(v.shape).toEqual([4096, 2]);
      expect(read(v).every(Number.isFinite)).toBe(true);
      const c = conservativeDrift({ x: img, positives: imgData }, medianBandwidth(pooled));
      expect(c.shape).toEqual([256, 28, 28, 1]);
      expect(read(c).every(Number.isFinite)).toBe(true);
      const w = wflowVelocity(img, imgData, img2, { epsilon: 200, maxIter: 10 });
      expect(read(w.velocity).every(Number.isFinite)).toBe(true);
      counts.push(tf.memory().numTensors);
    }
    expect(counts[1]).toBe(counts[0]);
    tf.dispose([big, data, img, imgData, img2, pooled]);
  });
});

describe('Sinkhorn', () => {
  let x: Tensor;
  let y: Tensor;
  beforeAll(() => {
    x = pts(24, 20);
    y = tf.add(pts(24, 21, 0.7), tf.tensor1d([1, 0.5]));
  });

  it('meets both marginals within its tolerance and reports its iterations', () => {
    for (const tol of [1e-2, 1e-4]) {
      const ot = entropicOt(x, y, { epsilon: 0.1, tol, maxIter: 5000 });
      expect(ot.converged).toBe(true);
      expect(ot.iterations).toBeGreaterThan(1);
      const { rowSums, colSums } = transportCost(x, y, ot);
      const rowErr = Array.from(rowSums).reduce((s, v) => s + Math.abs(v - 1 / 24), 0);
      const colErr = Array.from(colSums).reduce((s, v) => s + Math.abs(v - 1 / 24), 0);
      expect(rowErr).toBeLessThan(tol * 1.05 + 1e-5);
      expect(colErr).toBeLessThan(1e-4);
      ot.dispose();
    }
  });

  it('its transport cost decreases to the exact OT cost as ε shrinks', () => {
    const exact = exactW2Plan(x as tf.Tensor2D, y as tf.Tensor2D).cost;
    const costs = [1, 0.3, 0.1, 0.03, 0.01].map((epsilon) => {
      const ot = entropicOt(x, y, { epsilon, tol: 1e-4, maxIter: 20000 });
      const c = transportCost(x, y, ot).cost;
      ot.dispose();
      return c;
    });
    for (let i = 1; i < costs.length; i++) expect(costs[i]).toBeLessThan(costs[i - 1]!);
    expect(costs[0]! - exact).toBeGreaterThan(0.05 * exact);
    expect(Math.abs(costs[costs.length - 1]! - exact)).toBeLessThan(0.01 * exact);
  });

  it('the debiased divergence is 0 for identical sets and > 0 otherwise', () => {
    const copy = tf.clone(x);
    expect(Math.abs(sinkhornDivergence(x, copy, { epsilon: 0.1, tol: 1e-5 }).value)).toBeLessThan(1e-5);
    expect(sinkhornDivergence(x, y, { epsilon: 0.1, tol: 1e-5 }).value).toBeGreaterThan(0.3);
    copy.dispose();
  });

  it('the W-Flow velocity is zero when the second model batch equals the data, and not otherwise', () => {
    const copy = tf.clone(y);
    const zero = wflowVelocity(x, y, copy, { epsilon: 0.1, tol: 1e-5 });
    expect(maxAbs(read(zero.velocity))).toBeLessThan(1e-5);
    const moving = wflowVelocity(x, y, tf.add(x, 0.01), { epsilon: 0.1, tol: 1e-5 });
    expect(maxAbs(read(moving.velocity))).toBeGreaterThan(0.5);
    copy.dispose();
  });
});

describe('OneStepTrainer', () => {
  const target = getTarget('8gaussians');
  const heldOut = target.sampleArray(400, new Rng(99));
  let z: Tensor;
  beforeAll(() => {
    z = new Rng(98).normalTensor([400, 2]);
  });
  const w2Of = (trainer: OneStepTrainer): number => exactW2Plan(read(trainer.sample(z)), heldOut).w2;
  const tinyNet = () => createMlp({ dim: 2, hidden: [64, 64], timeEmbeddingDim: 8, seed: 3 });

  it.each([
    ['drifting', {}],
    ['drifting-conservative', { bandwidthScale: 0.5 }],
    ['wflow', { epsilon: 0.1, maxIter: 8, tol: 2e-2 }],
  ] as const)('%s reduces exact W2 on 8 Gaussians at a small budget', (objective, objectiveOptions) => {
    const trainer = new OneStepTrainer({ objective, objectiveOptions, net: tinyNet(), dataset: target, config: { batchSize: 128, lr: 3e-3, warmupSteps: 10, ema: 0.9 }, seed: 1 });
    const w0 = w2Of(trainer);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 80; i++) {
      trainer.trainStep();
      if (i === 2) expect(tf.memory().numTensors).toBe(before);
    }
    expect(tf.memory().numTensors).toBe(before);
    const w1 = w2Of(trainer);
    expect(w1).toBeLessThan(0.8 * w0);
    trainer.dispose();
  });

  it('trains a third-party objective by name; unknown names list the registered ones', () => {
    registerObjective(
      {
        name: 'test/mean-match',
        description: 'moves the batch mean to the data mean',
        create: (_o, ctx) =>
          teacherFreeObjective('test/mean-match', {}, ctx, (x, b) => ({ velocity: tf.tidy(() => tf.add(tf.zerosLike(x), tf.sub(tf.mean(b.data, 0, true), tf.mean(x, 0, true)))) })),
      },
      { override: true },
    );
    const shifted: Dataset = { name: 'shifted', sampleShape: [2], sigmaData: 1, sample: (n, rng) => tf.tidy(() => tf.add(rng.normalTensor([n, 2]), tf.tensor1d([3, -2]))) };
    const trainer = new OneStepTrainer({ objective: 'test/mean-match', net: tinyNet(), dataset: shifted, config: { lr: 1e-2, warmupSteps: 1, ema: 0 } });
    for (let i = 0; i < 80; i++) trainer.trainStep();
    const mean = read(tf.mean(trainer.sample(z, false), 0));
    expect(mean[0]).toBeCloseTo(3, 0);
    expect(mean[1]).toBeCloseTo(-2, 0);
    trainer.dispose();
    expect(listObjectives()).toEqual(expect.arrayContaining(['characteristic', 'drifting', 'drifting-conservative', 'wflow', 'test/mean-match']));
    const err = (() => {
      try {
        new OneStepTrainer({ objective: 'drifitng', net: tinyNet(), dataset: target });
      } catch (e) {
        return e as UnknownPluginError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(UnknownPluginError);
    expect(err!.message).toContain("'wflow'");
    expect(() => new OneStepTrainer({ objective: 'drifting', objectiveOptions: { temperature: [1] }, net: tinyNet(), dataset: target })).toThrow(ConfigError);
  });

  it('stops with NonFiniteError on a NaN drift, and resumes from a checkpoint bit for bit', () => {
    const bad = { name: 'test/nan', description: 'nan', create: (_o: unknown, ctx: { dataset: Dataset }) => teacherFreeObjective('test/nan', {}, ctx, (x) => ({ velocity: tf.fill(x.shape, NaN) })) };
    const t = new OneStepTrainer({ objective: bad, net: tinyNet(), dataset: target });
    expect(() => t.trainStep()).toThrow(NonFiniteError);
    t.dispose();
    const make = () => new OneStepTrainer({ objective: 'drifting-conservative', net: tinyNet(), dataset: target, config: { batchSize: 64 }, seed: 4 });
    const a = make();
    for (let i = 0; i < 3; i++) a.trainStep();
    const bytes = encodeTensors(a.checkpoint().arrays, a.checkpoint().meta as never);
    const decoded = decodeTensors(bytes);
    const b = OneStepTrainer.fromCheckpoint({ meta: decoded.meta as TrainerCheckpoint['meta'], arrays: decoded.arrays }, target);
    for (let i = 0; i < 2; i++) {
      a.trainStep();
      b.trainStep();
    }
    expect(Array.from(read(a.sample(tf.slice(z, 0, 8))))).toEqual(Array.from(read(b.sample(tf.slice(z, 0, 8)))));
    a.dispose();
    b.dispose();
  });

  it('wraps the characteristic generator (frozen teacher saved and restored) and its fit loss falls', () => {
    const { dataset } = mixtureDataset();
    const teacherTrainer = new TeacherTrainer({ net: createMlp({ dim: 2, hidden: [32, 32], timeEmbeddingDim: 16 }), dataset, config: { steps: 60, batchSize: 128, warmupSteps: 5 } });
    for (let i = 0; i < 60; i++) teacherTrainer.trainStep();
    const trainer = new OneStepTrainer({ objective: 'characteristic', objectiveOptions: { gridSize: 6 }, dataset, networks: { teacher: teacherTrainer.ema.network }, config: { batchSize: 64, warmupSteps: 1 } });
    const fits: number[] = [];
    for (let i = 0; i < 30; i++) fits.push(trainer.trainStep().values.fit!);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(fits.slice(-10))).toBeLessThan(mean(fits.slice(0, 10)));
    const ckpt = trainer.checkpoint();
    const z8 = tf.slice(z, 0, 8);
    const before = tf.memory().numTensors;
    const restored = OneStepTrainer.fromCheckpoint(ckpt, dataset);
    expect(Array.from(read(restored.sample(z8)))).toEqual(Array.from(read(trainer.sample(z8))));
    restored.dispose();
    // the teacher rebuilt from the checkpoint is the objective's: disposing the trainer frees it too
    expect(tf.memory().numTensors).toBe(before);
    z8.dispose();
    trainer.dispose();
    teacherTrainer.dispose();
  });
});
