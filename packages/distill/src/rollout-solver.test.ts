import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@charlearn/backend-wasm';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError, solvers, useBackend, type Interpolant, follmer } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { createMlp } from '@charlearn/nets';
import { CharacteristicDistiller, type DistillConfigInput } from './index';
import { startRolloutWorker } from './node';
import type { RolloutChunkSolver } from './rollout-cache';

// The rollout worker (the worker script is dist/rollout-worker.js: `npm run build` first): a distiller whose cache
// chunks are solved on a worker thread must train exactly as the distiller alone.
const target = getTarget('swiss-roll');
const teacherSpec = { dim: 2, hidden: [32, 32], timeEmbeddingDim: 16, seed: 3 };
/** Small chunks refreshed every 3 steps: 20 steps take chunks 1-6 from the worker. */
const config: DistillConfigInput = { batchSize: 64, gridSize: 6, teacherSolver: 'heun', pairSource: 'rollout-cache', rolloutCache: { trajectories: 96, lifetime: 3, refreshEvery: 3 } };

function distiller(extra: DistillConfigInput = {}): CharacteristicDistiller {
  return new CharacteristicDistiller({ teacher: createMlp(teacherSpec), ownsTeacher: true, dataset: target, config: { ...config, ...extra }, seed: 4 });
}

/** Each step's loss and the student's weights after `steps` steps, as bytes. */
function train(d: CharacteristicDistiller, steps: number): { losses: number[]; weights: Buffer } {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push(d.trainStep().loss);
  const weights = Buffer.concat(Object.values(d.student.namedVariables()).map((v) => Buffer.from((v.dataSync() as Float32Array).slice().buffer)));
  return { losses, weights };
}

beforeAll(async () => {
  await useBackend('wasm');
});

describe('startRolloutWorker', () => {
  it('trains bit for bit as the distiller alone over several refreshes, with the chunks from the worker, and leaks no tensor', async () => {
    const alone = distiller();
    const expected = train(alone, 20);
    alone.dispose();

    const helped = distiller();
    const worker = await startRolloutWorker({ distiller: helped, onError: (e) => expect.unreachable(e.message) });
    const first = train(helped, 1); // the first step fills the cache on this thread; from here on the count of tensors is flat
    const before = tf.memory().numTensors;
    const rest = train(helped, 19);
    expect(tf.memory().numTensors).toBe(before);
    expect([...first.losses, ...rest.losses]).toEqual(expected.losses);
    expect(rest.weights.equals(expected.weights)).toBe(true);
    expect(worker.solved).toBe(6); // chunks 1 … 6 went live at steps 3, 6, …, 18
    expect(worker.failures).toBe(0);
    expect(helped.rolloutChunkSolver).toBe(worker);
    await expect(startRolloutWorker({ distiller: helped })).rejects.toThrow(/already has a rollout chunk solver/);
    await worker.close();
    await worker.close(); // idempotent
    expect(helped.rolloutChunkSolver).toBeNull();
    // detached: the cache solves on this thread again, and the steps go on
    expect(Number.isFinite(helped.trainStep().loss)).toBe(true);
    expect(worker.solved).toBe(6);
    helped.dispose();
  }, 120_000);

  it('a chunk the helper cannot deliver is solved on this thread: the same steps, the failure counted', async () => {
    const alone = distiller();
    const expected = train(alone, 10);
    alone.dispose();
    const helped = distiller();
    let asked = 0;
    const broken: RolloutChunkSolver = {
      request: () => void asked++,
      take: () => undefined, // as a worker whose solve failed
    };
    helped.setRolloutChunkSolver(broken);
    expect(train(helped, 10)).toEqual(expected);
    expect(asked).toBe(4); // chunks 1, 2, 3 and 4, each one refresh ahead
    helped.setRolloutChunkSolver(null);
    helped.dispose();
  }, 60_000);

  it('a chunk whose solve throws in the worker is reported and solved on this thread: the same steps', async () => {
    // 'fixture/heun' is Heun on this thread; the worker imports test-fixtures/failing-heun.mjs, whose 'fixture/heun'
    // throws on a chunk (a failure injected through the public `modules` option)
    if (!solvers.has('fixture/heun')) solvers.register({ ...solvers.get('heun'), name: 'fixture/heun' });
    const failing = { teacherSolver: 'fixture/heun' };
    const alone = distiller(failing);
    const expected = train(alone, 10);
    alone.dispose();
    const helped = distiller(failing);
    const errors: string[] = [];
    const fixture = pathToFileURL(fileURLToPath(new URL('../test-fixtures/failing-heun.mjs', import.meta.url))).href;
    const worker = await startRolloutWorker({ distiller: helped, modules: ['@charlearn/backend-wasm', fixture], onError: (e) => errors.push(e.message) });
    expect(train(helped, 10)).toEqual(expected);
    expect(worker.solved).toBe(0);
    expect(worker.failures).toBe(3); // chunks 1, 2 and 3
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/rollout worker 1 failed: Error: fixture\/heun fails on the worker/);
    await worker.close();
    helped.dispose();
  }, 60_000);

  it('names what is wrong before any thread starts', async () => {
    const onTheFly = distiller({ pairSource: 'on-the-fly' });
    await expect(startRolloutWorker({ distiller: onTheFly })).rejects.toThrow(ConfigError);
    await expect(startRolloutWorker({ distiller: onTheFly })).rejects.toThrow(/rollout cache \(distill.pairSource: 'rollout-cache'\)/);
    expect(() => onTheFly.setRolloutChunkSolver(null)).toThrow(/pairSource/);
    onTheFly.dispose();
    const unregistered: Interpolant = { ...follmer, name: 'my-follmer' };
    const custom = new CharacteristicDistiller({ teacher: createMlp(teacherSpec), ownsTeacher: true, dataset: target, config, interpolant: unregistered, seed: 4 });
    await expect(startRolloutWorker({ distiller: custom })).rejects.toThrow(/interpolant 'my-follmer' is not the one registered/);
    const d = distiller();
    await expect(startRolloutWorker({ distiller: d, timeoutMs: 0 })).rejects.toThrow(/timeoutMs must be a positive number/);
    custom.dispose();
    d.dispose();
  });

  it('a worker that cannot start is a ReplicaError, and the distiller keeps solving on this thread', async () => {
    const d = distiller();
    const start = startRolloutWorker({ distiller: d, modules: ['@charlearn/no-such-plugin'] });
    await expect(start).rejects.toThrow(/rollout worker 1 failed to start: .*no-such-plugin/);
    expect(Number.isFinite(d.trainStep().loss)).toBe(true);
    d.dispose();
  }, 60_000);
});

