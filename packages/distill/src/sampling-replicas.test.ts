import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@charlearn/backend-wasm';
import { CharlearnError, ConfigError, Rng, ValueRangeError, follmer, useBackend } from '@charlearn/core';
import { createMlp, type Network } from '@charlearn/nets';
import { characteristicMap, sampleFlowMap, type GeneratorTimes } from './index';
import { characteristicSamplingTask, ReplicaError, startSamplingReplicas, type SamplingReplicas } from './node';

// Sampling over worker threads (the worker script is dist/sampling-worker.js: `npm run build` first).
const tiny = { dim: 2, hidden: [32, 32], timeEmbeddingDim: 16, seed: 3 };
let replicas: SamplingReplicas;

/** A two-time MLP whose zero-initialised output layer is set to random weights, so that the samples depend on every layer. */
function generator(seed = 2): Network {
  const net = createMlp(tiny).toTwoTime();
  const w = net.namedVariables()['out/w']!;
  w.assign(tf.tidy(() => tf.mul(new Rng(seed).normalTensor(w.shape), 0.3)));
  return net;
}

/** The number of entries of `a` and `b` that are not bitwise equal. */
function differing(a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

beforeAll(async () => {
  await useBackend('wasm');
  replicas = await startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(createMlp(tiny).toTwoTime(), 'follmer') });
}, 60_000);

afterAll(async () => {
  await replicas?.close();
});

describe('startSamplingReplicas', () => {
  const dataMean = (): tf.Tensor => tf.tensor1d([0.7, -1.3]);
  it.each<[string, number, number, (m: tf.Tensor) => GeneratorTimes]>([
    ['one step', 64, 1, () => ({})],
    ['one step, odd rows, noise-step start', 65, 1, (m) => ({ start: 'noise-step', dataMean: m })],
    ['four steps, reference start', 65, 4, (m) => ({ start: 'reference', dataMean: m, eps0: 2e-3, eps1: 5e-3 })],
  ])('%s: the samples are bitwise those of sampleFlowMap on one thread, and no tensor leaks', (_, rows, steps, times) => {
    const net = generator();
    const z = new Rng(rows + steps).normalTensor([rows, 2]);
    const mean = dataMean();
    const expected = sampleFlowMap(characteristicMap(net, follmer, 1), z, steps, times(mean));
    const before = tf.memory().numTensors;
    const x = replicas.sample(net, z, steps, times(mean));
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(x.shape).toEqual([rows, 2]);
    expect(differing(x.dataSync(), expected.dataSync())).toBe(0);
    // every row is a sample, none is left as the noise it was given; the chunks claimed add up to the call's 2
    expect(differing(x.dataSync(), z.dataSync())).toBe(2 * rows);
    expect(replicas.lastChunks().reduce((a, b) => a + b, 0)).toBe(2);
    tf.dispose([x, expected, z, mean]);
    net.dispose();
  });

  it('the worker thread samples chunks: within a few calls of 4,096 rows it claims one of the 2', () => {
    const net = generator();
    const z = new Rng(12).normalTensor([4096, 2]);
    const seen: (readonly number[])[] = [];
    for (let call = 0; call < 10 && !seen.some((c) => c[1]! > 0); call++) {
      tf.dispose(replicas.sample(net, z, 1));
      seen.push(replicas.lastChunks());
    }
    expect(seen.some((c) => c[1]! > 0)).toBe(true);
    for (const c of seen) expect(c[0]! + c[1]!).toBe(2);
    tf.dispose(z);
    net.dispose();
  });

  it('with chunksPerReplica 4 and spinMs 2 the 8 chunks (the last one short) are sampled as one thread', async () => {
    const chunked = await startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(createMlp(tiny).toTwoTime(), 'follmer'), chunksPerReplica: 4, spinMs: 2 });
    try {
      const net = generator(6);
      const z = new Rng(13).normalTensor([61, 2]);
      const x = chunked.sample(net, z, 2);
      const expected = sampleFlowMap(characteristicMap(net, follmer, 1), z, 2);
      expect(differing(x.dataSync(), expected.dataSync())).toBe(0);
      expect(chunked.lastChunks().reduce((a, b) => a + b, 0)).toBe(8);
      tf.dispose([z, x, expected]);
      net.dispose();
    } finally {
      await chunked.close();
    }
  }, 60_000);

  it('the replicas follow the weights of the calling thread, and a batch smaller than the replicas is sampled here', () => {
    const net = generator(4);
    const z = new Rng(8).normalTensor([40, 2]);
    const first = replicas.sample(net, z, 1);
    const w = net.namedVariables()['h0/w']!;
    w.assign(tf.tidy(() => tf.mul(w, 1.5)));
    const expected = sampleFlowMap(characteristicMap(net, follmer, 1), z, 1);
    const second = replicas.sample(net, z, 1);
    expect(differing(second.dataSync(), expected.dataSync())).toBe(0);
    expect(differing(first.dataSync().subarray(40), expected.dataSync().subarray(40))).toBeGreaterThan(30);
    // one weight of the last variable changed: the replicas see it (the weights are compared as bytes)
    const names = Object.keys(net.namedVariables());
    const last = net.namedVariables()[names.at(-1)!]!;
    const bumped = last.dataSync().slice() as Float32Array;
    bumped[0] = bumped[0]! + 0.5;
    const bumpedTensor = tf.tensor(bumped, last.shape);
    last.assign(bumpedTensor);
    const bumpedExpected = sampleFlowMap(characteristicMap(net, follmer, 1), z, 1);
    expect(differing(bumpedExpected.dataSync(), expected.dataSync())).toBeGreaterThan(0);
    const bumpedSample = replicas.sample(net, z, 1);
    expect(differing(bumpedSample.dataSync(), bumpedExpected.dataSync())).toBe(0);
    tf.dispose([bumpedTensor, bumpedExpected, bumpedSample]);
    const one = tf.slice(z, [0], [1]);
    const single = replicas.sample(net, one, 2);
    expect(replicas.lastChunks()).toEqual([1, 0]);
    const singleExpected = sampleFlowMap(characteristicMap(net, follmer, 1), one, 2);
    expect(differing(single.dataSync(), singleExpected.dataSync())).toBe(0);
    tf.dispose([z, first, second, expected, one, single, singleExpected]);
    net.dispose();
  });

  it('a failed call leaks nothing and leaves the replicas in step: the next call works', () => {
    const net = generator();
    const bad = tf.ones([8, 3]);
    const before = tf.memory().numTensors;
    expect(() => replicas.sample(net, bad, 1)).toThrow();
    expect(tf.memory().numTensors).toBe(before);
    const z = new Rng(3).normalTensor([16, 2]);
    const x = replicas.sample(net, z, 1);
    const expected = sampleFlowMap(characteristicMap(net, follmer, 1), z, 1);
    expect(differing(x.dataSync(), expected.dataSync())).toBe(0);
    tf.dispose([bad, z, x, expected]);
    net.dispose();
  });

  it('refuses a bad count, another network, bad arguments and a closed pool with named errors, before any tensor math', async () => {
    const net = generator();
    const z = new Rng(1).normalTensor([8, 2]);
    for (const count of [0, 17, 1.5]) {
      await expect(startSamplingReplicas({ replicas: count, task: characteristicSamplingTask(net, 'follmer') })).rejects.toBeInstanceOf(ValueRangeError);
    }
    await expect(startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(net, 'follmer'), chunksPerReplica: 0 })).rejects.toBeInstanceOf(ValueRangeError);
    await expect(startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(net, 'follmer'), spinMs: -1 })).rejects.toBeInstanceOf(ValueRangeError);
    const other = createMlp({ ...tiny, hidden: [16, 16] }).toTwoTime();
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      replicas.sample(other, z, 1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).parameter).toBe('net');
    expect(() => replicas.sample(net, z, 0)).toThrow(ValueRangeError);
    expect(() => replicas.sample(net, z, 1, { start: 'noise-step' })).toThrow(/dataMean/);
    expect(tf.memory().numTensors).toBe(before);
    await expect(startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(net, 'follmer'), modules: ['@charlearn/no-such-plugin'] })).rejects.toThrow(ReplicaError);
    await expect(startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(net, 'no-such-interpolant') })).rejects.toThrow(/no-such-interpolant/);
    const spare = await startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(net, 'follmer') });
    await spare.close();
    await spare.close();
    expect(() => spare.sample(net, z, 1)).toThrow(CharlearnError);
    tf.dispose(z);
    other.dispose();
    net.dispose();
  }, 60_000);

  it('three replicas (chunks of 4, 4 and 2 rows) sample as one thread, and a process that never closes them exits', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const script = `
      import * as tf from '@tensorflow/tfjs-core';
      import '@charlearn/backend-wasm';
      import { follmer, Rng, useBackend } from '@charlearn/core';
      import { createMlp } from '@charlearn/nets';
      import { characteristicMap, sampleFlowMap } from '@charlearn/distill';
      import { characteristicSamplingTask, startSamplingReplicas } from '@charlearn/distill/node';
      await useBackend('wasm');
      const net = createMlp(${JSON.stringify(tiny)}).toTwoTime();
      net.namedVariables()['out/w'].assign(tf.mul(new Rng(2).normalTensor(net.namedVariables()['out/w'].shape), 0.3));
      const replicas = await startSamplingReplicas({ replicas: 3, task: characteristicSamplingTask(net, 'follmer') });
      const z = new Rng(6).normalTensor([10, 2]);
      const a = replicas.sample(net, z, 1).dataSync();
      const b = sampleFlowMap(characteristicMap(net, follmer, 1), z, 1).dataSync();
      console.log(JSON.stringify({ differing: a.filter((v, i) => !Object.is(v, b[i])).length, rows: a.length / 2 }));
    `;
    // A file in dist/ (a build folder), not `node -e`: the workers would inherit `--input-type` and refuse to start.
    const file = join(here, '..', 'dist', `.exit-check-${process.pid}.mjs`);
    writeFileSync(file, script);
    let r: ReturnType<typeof spawnSync>;
    try {
      r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 50_000 });
    } finally {
      rmSync(file, { force: true });
    }
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(String(r.stdout).trim().split('\n').at(-1)!)).toEqual({ differing: 0, rows: 10 });
  }, 60_000);
});
