import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@charlearn/backend-wasm';
import { CharlearnError, ConfigError, Rng, ValueRangeError, follmer, sampleTrainingTimeBatch, useBackend } from '@charlearn/core';
import { createMlp } from '@charlearn/nets';
import { namedGradients, shardSizes, TeacherTrainer, teacherGradientTask, teacherTaskLoss } from './index';
import { ReplicaError, startGradientReplicas, type GradientReplicas } from './node';
import { mixtureDataset } from './test-helpers';

// Data-parallel gradients over worker threads (the worker script is dist/replica-worker.js: `npm run build` first).
const tiny = { dim: 2, hidden: [32, 32], timeEmbeddingDim: 16, seed: 3 };
const { dataset } = mixtureDataset();
let replicas: GradientReplicas;

beforeAll(async () => {
  await useBackend('wasm');
  replicas = await startGradientReplicas({ replicas: 2, task: teacherGradientTask(createMlp(tiny), 'follmer', 1) });
}, 60_000);

afterAll(async () => {
  await replicas?.close();
});

function teacherBatch(rows: number, seed: number): Record<string, tf.Tensor> {
  const rng = new Rng(seed);
  const x1 = dataset.sample(rows, rng);
  const z = rng.normalTensor([rows, 2]);
  const { t, tau } = sampleTrainingTimeBatch(rows, rng);
  return { x1, z, t, tau };
}

function maxRelativeDiff(a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** A tiny MLP whose zero-initialised output layer is set to random weights, so that every gradient is non-zero. */
function trainedLookingMlp(): ReturnType<typeof createMlp> {
  const net = createMlp(tiny);
  const w = net.namedVariables()['out/w']!;
  w.assign(tf.tidy(() => tf.mul(new Rng(2).normalTensor(w.shape), 0.3)));
  return net;
}

describe('shardSizes', () => {
  it('splits as evenly as possible, larger shards first, and refuses a batch smaller than the replicas', () => {
    expect(shardSizes(1024, 2)).toEqual([512, 512]);
    expect(shardSizes(1025, 2)).toEqual([513, 512]);
    expect(shardSizes(7, 3)).toEqual([3, 2, 2]);
    expect(() => shardSizes(1, 2)).toThrow(/at least one row/);
  });

  it('gives the first shard hostShare of the rows (rounded, at least one row each) and splits the rest evenly', () => {
    expect(shardSizes(1024, 2, 0.51)).toEqual([522, 502]);
    expect(shardSizes(1024, 3, 0.5)).toEqual([512, 256, 256]);
    expect(shardSizes(10, 3, 0.99)).toEqual([8, 1, 1]);
    expect(shardSizes(10, 2, 0.01)).toEqual([1, 9]);
    expect(shardSizes(7, 1, 0.3)).toEqual([7]);
    expect(() => shardSizes(1024, 2, 1)).toThrow(ValueRangeError);
    expect(() => shardSizes(1024, 2, Number.NaN)).toThrow(/hostShare must be a fraction/);
  });
});

describe('startGradientReplicas', () => {
  it.each([64, 65])('the sharded gradient of a batch of %i rows is the full batch gradient (weighted shard means)', (rows) => {
    const net = trainedLookingMlp();
    const loss = teacherTaskLoss(net, follmer, 1);
    const batch = teacherBatch(rows, rows);
    const full = namedGradients(() => loss(batch), net.namedVariables());
    const before = tf.memory().numTensors;
    const sharded = replicas.gradients(net.namedVariables(), batch, loss);
    expect(tf.memory().numTensors).toBe(before + 1 + Object.keys(sharded.grads).length);
    expect(Object.keys(sharded.grads).sort()).toEqual(Object.keys(full.grads).sort());
    expect(Math.abs(sharded.value.dataSync()[0]! - full.value.dataSync()[0]!)).toBeLessThan(1e-6 * Math.abs(full.value.dataSync()[0]!));
    for (const name of Object.keys(full.grads)) {
      expect(sharded.grads[name]!.shape).toEqual(full.grads[name]!.shape);
      expect(maxRelativeDiff(sharded.grads[name]!.dataSync(), full.grads[name]!.dataSync())).toBeLessThan(1e-5);
    }
    // the shard on the worker thread matters: the first shard alone has another gradient
    const firstHalf = Object.fromEntries(Object.entries(batch).map(([k, x]) => [k, tf.slice(x, [0], [Math.ceil(rows / 2)])]));
    const half = namedGradients(() => loss(firstHalf), net.namedVariables());
    expect(maxRelativeDiff(half.grads['h0/w']!.dataSync(), full.grads['h0/w']!.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([full.value, ...Object.values(full.grads), sharded.value, ...Object.values(sharded.grads), half.value, ...Object.values(half.grads)]);
    tf.dispose([...Object.values(batch), ...Object.values(firstHalf)]);
    net.dispose();
  });

  it('the replicas follow the weights of the calling thread: after a change of weights they compute the new gradient', () => {
    const net = trainedLookingMlp();
    const loss = teacherTaskLoss(net, follmer, 1);
    const batch = teacherBatch(64, 9);
    const first = replicas.gradients(net.namedVariables(), batch, loss);
    const w = net.namedVariables()['h0/w']!;
    w.assign(tf.mul(w, 1.5));
    const full = namedGradients(() => loss(batch), net.namedVariables());
    const second = replicas.gradients(net.namedVariables(), batch, loss);
    expect(maxRelativeDiff(second.grads['h0/w']!.dataSync(), full.grads['h0/w']!.dataSync())).toBeLessThan(1e-5);
    expect(maxRelativeDiff(first.grads['h0/w']!.dataSync(), full.grads['h0/w']!.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([first.value, second.value, full.value, ...Object.values(first.grads), ...Object.values(second.grads), ...Object.values(full.grads), ...Object.values(batch)]);
    net.dispose();
  });

  it('a TeacherTrainer on 2 replicas trains like one on one thread (to float32 rounding) and leaks no tensor', () => {
    const one = new TeacherTrainer({ net: createMlp(tiny), dataset, config: { batchSize: 64, warmupSteps: 2 }, seed: 5 });
    const two = new TeacherTrainer({ net: createMlp(tiny), dataset, config: { batchSize: 64, warmupSteps: 2 }, seed: 5, gradients: replicas });
    one.trainStep();
    two.trainStep();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) {
      const a = one.trainStep();
      const b = two.trainStep();
      expect(Math.abs(b.loss - a.loss)).toBeLessThan(1e-4 * a.loss);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(two.step).toBe(one.step);
    const va = one.net.namedVariables();
    const vb = two.net.namedVariables();
    for (const name of Object.keys(va)) expect(maxRelativeDiff(va[name]!.dataSync(), vb[name]!.dataSync())).toBeLessThan(1e-4);
    one.dispose();
    two.dispose();
  });

  it('a failed step leaves the replicas in step: the next step works', () => {
    const net = trainedLookingMlp();
    const loss = teacherTaskLoss(net, follmer, 1);
    const good = teacherBatch(64, 11);
    const bad = { ...good, t: tf.zeros([64, 3]) };
    expect(() => replicas.gradients(net.namedVariables(), bad, loss)).toThrow();
    const before = tf.memory().numTensors;
    const ok = replicas.gradients(net.namedVariables(), good, loss);
    const full = namedGradients(() => loss(good), net.namedVariables());
    expect(maxRelativeDiff(ok.grads['out/w']!.dataSync(), full.grads['out/w']!.dataSync())).toBeLessThan(1e-5);
    tf.dispose([ok.value, full.value, ...Object.values(ok.grads), ...Object.values(full.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...Object.values(good), bad.t]);
    net.dispose();
  });

  it('on 3 replicas that poll before they sleep (spinMs), whichever shard arrives last reducing them, the gradient is still the full batch gradient', async () => {
    const net = trainedLookingMlp();
    const loss = teacherTaskLoss(net, follmer, 1);
    // a small first shard, so that a replica usually arrives last and reduces (with hostShare 0.7 below, the trainer's thread)
    const three = await startGradientReplicas({ replicas: 3, task: teacherGradientTask(net, 'follmer', 1), spinMs: 2, hostShare: 0.1 });
    try {
      for (const seed of [1, 2]) {
        const batch = teacherBatch(67, seed);
        const full = namedGradients(() => loss(batch), net.namedVariables());
        const before = tf.memory().numTensors;
        const sharded = three.gradients(net.namedVariables(), batch, loss);
        const two = replicas.gradients(net.namedVariables(), batch, loss);
        expect(tf.memory().numTensors).toBe(before + 2 * (1 + Object.keys(sharded.grads).length));
        for (const name of Object.keys(full.grads)) {
          expect(maxRelativeDiff(sharded.grads[name]!.dataSync(), full.grads[name]!.dataSync())).toBeLessThan(1e-5);
          expect(maxRelativeDiff(two.grads[name]!.dataSync(), full.grads[name]!.dataSync())).toBeLessThan(1e-5);
        }
        expect(Math.abs(sharded.value.dataSync()[0]! - full.value.dataSync()[0]!)).toBeLessThan(1e-6 * Math.abs(full.value.dataSync()[0]!));
        tf.dispose([full.value, sharded.value, two.value, ...Object.values(full.grads), ...Object.values(sharded.grads), ...Object.values(two.grads), ...Object.values(batch)]);
      }
    } finally {
      await three.close();
      net.dispose();
    }
  }, 60_000);

  it('with an uneven split (hostShare 0.7) the gradient is still the full batch gradient (shards weighted by their rows)', async () => {
    const net = trainedLookingMlp();
    const loss = teacherTaskLoss(net, follmer, 1);
    const uneven = await startGradientReplicas({ replicas: 2, task: teacherGradientTask(net, 'follmer', 1), hostShare: 0.7 });
    try {
      const batch = teacherBatch(64, 4);
      const full = namedGradients(() => loss(batch), net.namedVariables());
      const sharded = uneven.gradients(net.namedVariables(), batch, loss);
      for (const name of Object.keys(full.grads)) expect(maxRelativeDiff(sharded.grads[name]!.dataSync(), full.grads[name]!.dataSync())).toBeLessThan(1e-5);
      expect(Math.abs(sharded.value.dataSync()[0]! - full.value.dataSync()[0]!)).toBeLessThan(1e-6 * Math.abs(full.value.dataSync()[0]!));
      tf.dispose([full.value, sharded.value, ...Object.values(full.grads), ...Object.values(sharded.grads), ...Object.values(batch)]);
    } finally {
      await uneven.close();
      net.dispose();
    }
  }, 60_000);

  it('refuses replicas of another task, a batch smaller than the replicas and a bad count, with named errors', async () => {
    const other = createMlp({ ...tiny, hidden: [16, 16] });
    let error: unknown;
    try {
      new TeacherTrainer({ net: other, dataset, gradients: replicas });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).parameter).toBe('gradients');
    expect((error as Error).message).toMatch(/another task: network/);
    expect(() => new TeacherTrainer({ net: createMlp(tiny), dataset, config: { batchSize: 1 }, gradients: replicas })).toThrow(/smaller than the 2 gradient replicas/);
    await expect(startGradientReplicas({ replicas: 0, task: teacherGradientTask(other, 'follmer', 1) })).rejects.toBeInstanceOf(ValueRangeError);
    await expect(startGradientReplicas({ replicas: 2, task: teacherGradientTask(other, 'follmer', 1), spinMs: -1 })).rejects.toThrow(/spinMs must be a number of milliseconds from 0 to 1000/);
    await expect(startGradientReplicas({ replicas: 2, task: teacherGradientTask(other, 'follmer', 1), hostShare: 1.5 })).rejects.toThrow(/hostShare must be a fraction/);
    other.dispose();
  });

  it('a replica that cannot start is a ReplicaError naming the cause; closed replicas refuse work', async () => {
    const net = createMlp(tiny);
    await expect(startGradientReplicas({ replicas: 2, task: teacherGradientTask(net, 'follmer', 1), modules: ['@charlearn/no-such-plugin'] })).rejects.toThrow(ReplicaError);
    await expect(startGradientReplicas({ replicas: 2, task: teacherGradientTask(net, 'no-such-interpolant', 1) })).rejects.toThrow(/no-such-interpolant/);
    const spare = await startGradientReplicas({ replicas: 2, task: teacherGradientTask(net, 'follmer', 1) });
    await spare.close();
    await spare.close();
    const batch = teacherBatch(8, 1);
    expect(() => spare.gradients(net.namedVariables(), batch, teacherTaskLoss(net, follmer, 1))).toThrow(CharlearnError);
    tf.dispose(Object.values(batch));
    net.dispose();
  }, 60_000);
});
