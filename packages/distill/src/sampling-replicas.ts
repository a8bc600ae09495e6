import { Buffer } from 'node:buffer';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { CharlearnError, ConfigError, ValueRangeError } from '@charlearn/core';
import type { Network } from '@charlearn/nets';
import { resolveGeneratorTimes, sampleFlowMap, type GeneratorTimes, type ResolvedGeneratorTimes } from './sampling';
import { chunkCount, chunkLayout, sampleClaimedChunks } from './sampling-chunks';
import { samplingTaskMap, type SamplingTask } from './sampling-task';
import { Control, CONTROL_WORDS, ERROR_BYTES, variableSlots, type SampleMessage, type SamplingReplicaInit, type VariableSlot } from './replica-protocol';
import { awaitReady, signalStep, stopReplica, waitAll, workerScript, type ReplicaRole, type ReplicaThread } from './replica-threads';

/** How sampling replicas are named in errors. */
const ROLE: ReplicaRole = { noun: 'sampling replica', fallback: 'use replicas: 1 to sample on one thread' };

/** Options of {@link startSamplingReplicas}. */
export interface SamplingReplicaOptions {
  /** Shards a batch of noise is split into, the calling thread included: 2 uses one worker thread (1 to 16). */
  replicas: number;
  /** What the replicas evaluate (e.g. `characteristicSamplingTask(student, 'follmer')`). */
  task: SamplingTask;
  /** The registered backend each replica selects (default: the current tfjs backend, e.g. `'wasm'`). */
  backend?: string;
  /**
   * Modules each replica imports before selecting the backend: the backend's plugin and any plugin the task's
   * network or interpolant needs (default `['@charlearn/backend-wasm']`). Bare names resolve from this package's
   * folder; give `file:` URLs for anything else.
   */
  modules?: readonly string[];
  /** How long a replica may take for one call or for its start before a `ReplicaError` (default 600,000 ms). */
  timeoutMs?: number;
  /**
   * Chunks a call's rows are cut into, per thread (1 to 64, default 1: one even shard a thread). Each thread claims the
   * next chunk when it is done with one, so with more chunks a thread that starts late (a core that was asleep or busy)
   * leaves some of its rows to another, but every chunk repeats the small kernels of a call (~0.4 ms a chunk for the
   * 3x256 MLP). docs/threads.md has the measurements.
   */
  chunksPerReplica?: number;
  /**
   * How long a thread polls before it sleeps (0 to 100 ms, default 2): a replica for the next call after each, the
   * calling thread for the replicas at the end of a call. A woken thread may be put on the core of the thread that woke
   * it and wait there for milliseconds until the scheduler moves it; polling keeps back-to-back calls from paying that,
   * at the price of up to `spinMs` of a busy core after each call (what OpenMP's threads do too).
   */
  spinMs?: number;
}

/** `sampleFlowMap` over worker threads, for one network architecture; {@link SamplingReplicas.close} ends them. */
export interface SamplingReplicas {
  /** What the replicas evaluate; {@link SamplingReplicas.sample} refuses a network of another spec. */
  readonly task: SamplingTask;
  /** How many threads sample a call's rows, the calling thread included. */
  readonly replicas: number;
  /**
   * `sampleFlowMap(samplingTaskMap(task, net), z, steps, times)`, its rows sampled in chunks by this thread and the
   * replicas, each with `net`'s current weights: the same samples as on one thread (bitwise on the wasm backend: a
   * row's math does not depend on the rows beside it).
   *
   * @param net - the generator network: its spec must be the task's; its weights are sent when they changed.
   * @param z - prior noise `[batch, ...sampleShape]`, float32 (a batch of one chunk is sampled on this thread alone).
   * @param steps - network evaluations (≥ 1).
   * @param times - `eps0`, `eps1`, `start` and `dataMean`, as for `sampleFlowMap`.
   * @returns the samples `[batch, ...sampleShape]`, owned by the caller.
   */
  sample(net: Network, z: Tensor, steps: number, times?: GeneratorTimes): Tensor;
  /**
   * How many chunks each thread sampled in the last call, the calling thread first (`[1, 1]`: an even split over two
   * threads; `[2, 0]`: the worker started too late to claim one); all zeros before the first call, `[1, 0, ...]` for a
   * call of one chunk.
   */
  lastChunks(): readonly number[];
  /** Ends the worker threads (idempotent). The replicas cannot sample afterwards. */
  close(): Promise<void>;
}

/** The buffers every participant of a call shares: the claim counter and the rows (`z` in, samples out). */
interface SharedRows {
  readonly claims: Int32Array;
  buffer: SharedArrayBuffer;
  data: Float32Array;
}

/** The shared weights and the version the replicas last saw of them. */
interface SharedWeights {
  readonly slots: readonly VariableSlot[];
  readonly values: Float32Array;
  version: number;
}

/**
 * Starts `replicas − 1` worker threads that sample a generator on chunks of each batch of noise, so that one- and
 * few-step sampling uses more cores. Sampling is row-independent: each worker rebuilds the task's network on its own
 * backend instance, takes the caller's weights from shared memory (copied there only when they changed), and, like
 * the calling thread, claims chunks of the call's rows one at a time, samples them with `sampleFlowMap` (the caller's
 * steps, `eps0`, `eps1`, start and data mean) and writes them back in place. Node only
 * (`worker_threads`, `SharedArrayBuffer`, `Atomics.wait`).
 *
 * @example
 * ```ts
 * import { characteristicSamplingTask, startSamplingReplicas } from '@charlearn/distill/node';
 * const replicas = await startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(student, 'follmer') });
 * try {
 *   const x = replicas.sample(student, priorSample([2000, 2], 1), 1); // [2000, 2], as sampleFlowMap on one thread
 * } finally { await replicas.close(); }
 * ```
 */
export async function startSamplingReplicas(options: SamplingReplicaOptions): Promise<SamplingReplicas> {
  const { replicas, task, timeoutMs = 600_000, chunksPerReplica = 1, spinMs = 2 } = options;
  if (!Number.isFinite(spinMs) || spinMs < 0 || spinMs > 100) throw new ValueRangeError(`spinMs must be a number of milliseconds from 0 to 100, got ${String(spinMs)}`, 'spinMs');
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) throw new ValueRangeError(`replicas must be an integer from 1 to 16, got ${String(replicas)}`, 'replicas');
  if (!Number.isInteger(chunksPerReplica) || chunksPerReplica < 1 || chunksPerReplica > 64) {
    throw new ValueRangeError(`chunksPerReplica must be an integer from 1 to 64, got ${String(chunksPerReplica)}`, 'chunksPerReplica');
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ValueRangeError(`timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`, 'timeoutMs');
  if (typeof task !== 'object' || task === null || task.kind !== 'characteristic-map') {
    throw new ConfigError(`task must be a sampling task (characteristicSamplingTask(net, interpolant, sigmaData)), got ${JSON.stringify(task)}`, 'task');
  }
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics?.wait !== 'function') {
    throw new CharlearnError('sampling replicas need SharedArrayBuffer and Atomics.wait (Node 20+); use replicas: 1', 'replicas');
  }
  const backend = options.backend ?? tf.getBackend();
  if (!backend) throw new CharlearnError("no tfjs backend is selected: select one (await useBackend('wasm')) before starting replicas, or pass backend", 'backend');
  const modules = options.modules ?? ['@charlearn/backend-wasm'];
  const { createNetwork } = await import('@charlearn/nets');
  const probe = createNetwork(task.network);
  const slots = variableSlots(Object.entries(probe.namedVariables()).map(([name, v]) => ({ name, shape: v.shape })));
  probe.dispose();
  const weightsBuffer = new SharedArrayBuffer(slots.reduce((a, s) => a + s.size, 0) * 4);
  const weights: SharedWeights = { slots, values: new Float32Array(weightsBuffer), version: 0 };
  const { Worker, MessageChannel } = await import('node:worker_threads');
  const script = await workerScript('sampling-worker.js', ROLE);
  const claimsBuffer = new SharedArrayBuffer(4);
  const shared: SharedRows = { claims: new Int32Array(claimsBuffer), buffer: new SharedArrayBuffer(4), data: new Float32Array(0) };
  shared.data = new Float32Array(shared.buffer);
  const workers: ReplicaThread[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(workers.map((r) => stopReplica(r)));
  };
  try {
    for (let index = 1; index < replicas; index++) {
      const { port1, port2 } = new MessageChannel();
      const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
      const error = new SharedArrayBuffer(ERROR_BYTES);
      const init: SamplingReplicaInit = { index, task, modules, backend, variables: slots, control, weights: weightsBuffer, claims: claimsBuffer, rows: shared.buffer, error, spinMs, port: port2 };
      const worker = new Worker(script, { workerData: init, transferList: [port2] });
      const replica: ReplicaThread = { index, worker, port: port1, control: new Int32Array(control), error: new Uint8Array(error), exited: false };
      worker.on('exit', () => (replica.exited = true));
      workers.push(replica);
    }
    await Promise.all(workers.map((r) => awaitReady(r, timeoutMs, ROLE)));
    for (const r of workers) r.worker.unref();
  } catch (e) {
    await stopAll();
    throw e;
  }
  let closed = false;
  let sequence = 0;
  let chunks: number[] = new Array<number>(replicas).fill(0);
  return {
    task,
    replicas,
    sample(net, z, steps, times = {}) {
      if (closed) throw new CharlearnError('these sampling replicas were closed; start new ones', 'replicas');
      const resolved = resolveGeneratorTimes(z, steps, times);
      assertNetworkMatches(net, task, slots);
      if (z.dtype !== 'float32') throw new ConfigError(`z must be float32 to be sampled on replicas, got ${z.dtype}`, 'z');
      sequence++;
      const { x, perThread } = shardedSample({ net, task, z, steps, times: resolved, weights, shared, workers, sequence, timeoutMs, chunksPerReplica, spinMs });
      chunks = perThread;
      return x;
    },
    lastChunks: () => [...chunks],
    close: async () => {
      closed = true;
      await stopAll();
    },
  };
}

/** Throws a `ConfigError` unless `net` has the task's spec and the replicas' variables. */
function assertNetworkMatches(net: Network, task: SamplingTask, slots: readonly VariableSlot[]): void {
  if (JSON.stringify(net.config) !== JSON.stringify(task.network)) {
    throw new ConfigError(`the sampling replicas were started for the network ${JSON.stringify(task.network)}; this one is ${JSON.stringify(net.config)}: start them with characteristicSamplingTask(net, ...) of this network`, 'net');
  }
  const variables = net.namedVariables();
  for (const s of slots) {
    const v = variables[s.name];
    if (!v || v.shape.join(',') !== s.shape.join(',')) throw new ConfigError(`the sampling replicas expect '${s.name}' of shape [${s.shape.join(', ')}]; this network's is ${v ? `[${v.shape.join(', ')}]` : 'missing'}`, 'net');
  }
}

/**
 * Copies `net`'s weights into the shared buffer when any differs bit for bit from what is there, and bumps the version
 * then. The comparison is one `memcmp` a variable (`Buffer.compare`): the whole check took 0.39 ms a call for the
 * 3x256 MLP's weights, most of it their read-back, where an element loop over the shared array took 1.13 ms
 * (docs/threads.md).
 */
function publishWeights(net: Network, weights: SharedWeights): void {
  const variables = net.namedVariables();
  let changed = weights.version === 0;
  for (const s of weights.slots) {
    const data = variables[s.name]!.dataSync() as Float32Array;
    const shared = weights.values.subarray(s.offset, s.offset + s.size);
    if (!changed) changed = Buffer.compare(bytesOf(data), bytesOf(shared)) !== 0;
    if (changed) shared.set(data);
  }
  if (changed) weights.version++;
}

/** The bytes of a float32 array, without a copy. */
function bytesOf(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

interface ShardedSampleArgs {
  net: Network;
  task: SamplingTask;
  z: Tensor;
  steps: number;
  times: ResolvedGeneratorTimes;
  weights: SharedWeights;
  shared: SharedRows;
  workers: readonly ReplicaThread[];
  sequence: number;
  timeoutMs: number;
  chunksPerReplica: number;
  spinMs: number;
}

/** One call: publish the weights and `z`'s rows, claim chunks here while the replicas claim theirs, wait, read back. */
function shardedSample(args: ShardedSampleArgs): { x: Tensor; perThread: number[] } {
  const { net, task, z, steps, times, weights, shared, workers, sequence, timeoutMs, chunksPerReplica, spinMs } = args;
  const g = samplingTaskMap(task, net);
  const layout = chunkLayout(z.shape[0]!, z.shape.slice(1), workers.length + 1, chunksPerReplica);
  if (chunkCount(layout) <= 1 || !workers.length) return { x: sampleFlowMap(g, z, steps, times), perThread: [1, ...workers.map(() => 0)] };
  publishWeights(net, weights);
  let rowsBuffer: SharedArrayBuffer | undefined;
  if (shared.data.length < z.size) {
    rowsBuffer = shared.buffer = new SharedArrayBuffer(z.size * 4);
    shared.data = new Float32Array(rowsBuffer);
  }
  shared.data.set(z.dataSync() as Float32Array);
  Atomics.store(shared.claims, 0, 0);
  const dataMean = times.dataMean === undefined ? undefined : (times.dataMean.dataSync() as Float32Array);
  const message: SampleMessage = {
    rows: layout.rows,
    sampleShape: layout.sampleShape,
    chunkRows: layout.chunkRows,
    steps,
    eps0: times.eps0,
    eps1: times.eps1,
    start: times.start,
    weightsVersion: weights.version,
    ...(dataMean ? { dataMean } : {}),
    ...(rowsBuffer ? { rowsBuffer } : {}),
  };
  for (const r of workers) {
    r.port.postMessage(message);
    signalStep(r, sequence, layout.rows);
  }
  let here: number;
  try {
    here = sampleClaimedChunks(shared.claims, shared.data, layout, (chunk) => sampleFlowMap(g, chunk, steps, times));
  } catch (e) {
    waitAll(workers, sequence, timeoutMs, true, ROLE);
    throw e;
  }
  waitAll(workers, sequence, timeoutMs, false, ROLE, spinMs);
  const perThread = [here, ...workers.map((r) => Atomics.load(r.control, Control.chunks))];
  return { x: tf.tensor(shared.data.slice(0, z.size), z.shape), perThread };
}
