import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { CharlearnError, ValueRangeError } from '@charlearn/core';
import { namedGradients } from './optim-step';
import { shardSizes, sliceBatch, type GradientTask, type ShardedGradients } from './sharded-gradients';
import { arriveLast, CONTROL_WORDS, ERROR_BYTES, variableSlots, type InputSlot, type ReplicaInit, type StepMessage, type VariableSlot } from './replica-protocol';
import { weightedSumRange } from './shard-reduce';
import { awaitReady, signalStep, stopReplica, waitAll, workerScript, type ReplicaRole, type ReplicaThread } from './replica-threads';

export { ReplicaError } from './replica-threads';

/** How gradient replicas are named in errors. */
const ROLE: ReplicaRole = { noun: 'gradient replica', fallback: 'use replicas: 1 to train on one thread' };

/** Options of {@link startGradientReplicas}. */
export interface GradientReplicaOptions {
  /** Shards a batch is split into, the calling thread included: 2 uses one worker thread (1 to 16). */
  replicas: number;
  /** What the replicas compute (e.g. `teacherGradientTask(net, 'follmer', sigmaData)`). */
  task: GradientTask;
  /** The registered backend each replica selects (default: the current tfjs backend, e.g. `'wasm'`). */
  backend?: string;
  /**
   * Modules each replica imports before selecting the backend: the backend's plugin and any plugin the task's
   * network or interpolant needs (default `['@charlearn/backend-wasm']`). Bare names resolve from this package's
   * folder; give `file:` URLs for anything else.
   */
  modules?: readonly string[];
  /** How long a replica may take for one step or for its start before a {@link ReplicaError} (default 600,000 ms). */
  timeoutMs?: number;
  /**
   * How long a waiting thread (a replica between steps, the trainer's thread for the replicas' shards) polls shared
   * memory before it sleeps in `Atomics.wait`, in ms (0 to 1,000; default {@link DEFAULT_REPLICA_SPIN_MS}). Polling
   * keeps a core busy while it waits, but waking a sleeping thread costs the waker its core on a busy machine.
   */
  spinMs?: number;
  /**
   * The fraction of each batch's rows the trainer's own thread computes, in (0, 1); the replicas split the rest
   * evenly (default: an even split, `1 / replicas`). Above the even share when the replicas' extra work (copying the
   * weights in) outweighs the trainer's; see `shardSizes`.
   */
  hostShare?: number;
}

/** The default {@link GradientReplicaOptions.spinMs}. */
export const DEFAULT_REPLICA_SPIN_MS = 0;

/** {@link ShardedGradients} over worker threads; {@link GradientReplicas.close} ends them. */
export interface GradientReplicas extends ShardedGradients {
  /** Ends the worker threads (idempotent). The evaluator cannot be used afterwards. */
  close(): Promise<void>;
}

interface Replica extends ReplicaThread {
  inputs: Float32Array;
}

/**
 * Starts `replicas − 1` worker threads that compute a task's gradients on shards of each batch, so that a trainer
 * uses more cores (data-parallel training). Each worker rebuilds the task's network on its own backend instance and
 * holds no optimiser state: every step, the trainer's thread publishes its current weights to shared memory, each
 * replica computes the gradient of its shard's mean loss into shared memory, the thread whose shard arrives last sums
 * them into the weighted mean `Σ nᵢ/B · ∇Lᵢ` (the full batch's gradient, to float32 rounding: the sums run in another
 * order than one thread's), and the trainer's thread applies the update itself. Node only (`worker_threads`,
 * `SharedArrayBuffer`, `Atomics.wait`).
 *
 * @example
 * ```ts
 * import { TeacherTrainer, teacherGradientTask } from '@charlearn/distill';
 * import { startGradientReplicas } from '@charlearn/distill/node';
 * const gradients = await startGradientReplicas({ replicas: 2, task: teacherGradientTask(net, 'follmer', dataset.sigmaData) });
 * const trainer = new TeacherTrainer({ net, dataset, gradients });
 * try { for (let i = 0; i < 2000; i++) trainer.trainStep(); } finally { await gradients.close(); }
 * ```
 */
export async function startGradientReplicas(options: GradientReplicaOptions): Promise<GradientReplicas> {
  const { replicas, task, timeoutMs = 600_000, spinMs = DEFAULT_REPLICA_SPIN_MS, hostShare } = options;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) throw new ValueRangeError(`replicas must be an integer from 1 to 16, got ${String(replicas)}`, 'replicas');
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ValueRangeError(`timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`, 'timeoutMs');
  if (!Number.isFinite(spinMs) || spinMs < 0 || spinMs > 1000) throw new ValueRangeError(`spinMs must be a number of milliseconds from 0 to 1000, got ${String(spinMs)}`, 'spinMs');
  if (hostShare !== undefined && !(hostShare > 0 && hostShare < 1)) throw new ValueRangeError(`hostShare must be a fraction of the batch between 0 and 1 (exclusive), got ${String(hostShare)}`, 'hostShare');
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics?.wait !== 'function') {
    throw new CharlearnError('gradient replicas need SharedArrayBuffer and Atomics.wait (Node 20+); use replicas: 1', 'replicas');
  }
  const backend = options.backend ?? tf.getBackend();
  if (!backend) throw new CharlearnError('no tfjs backend is selected: select one (await useBackend(\'wasm\')) before starting replicas, or pass backend', 'backend');
  const modules = options.modules ?? ['@charlearn/backend-wasm'];
  const { createNetwork } = await import('@charlearn/nets');
  const probe = createNetwork(task.network);
  const slots = variableSlots(Object.entries(probe.namedVariables()).map(([name, v]) => ({ name, shape: v.shape })));
  probe.dispose();
  const parameters = slots.reduce((a, s) => a + s.size, 0);
  const weightsBuffer = new SharedArrayBuffer(parameters * 4);
  const weights = new Float32Array(weightsBuffer);
  const shardGradBuffers = Array.from({ length: replicas }, () => new SharedArrayBuffer((parameters + 1) * 4));
  const arrivalsBuffer = new SharedArrayBuffer(4);
  const sumBuffer = new SharedArrayBuffer(parameters * 4);
  const reduce: SharedReduce = {
    shards: shardGradBuffers.map((b) => new Float32Array(b)),
    arrivals: new Int32Array(arrivalsBuffer),
    sum: new Float32Array(sumBuffer),
  };
  const { Worker, MessageChannel } = await import('node:worker_threads');
  const script = await workerScript('replica-worker.js', ROLE);
  const workers: Replica[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(workers.map((r) => stopReplica(r)));
  };
  try {
    for (let index = 1; index < replicas; index++) {
      const { port1, port2 } = new MessageChannel();
      const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
      const inputs = new SharedArrayBuffer(4);
      const error = new SharedArrayBuffer(ERROR_BYTES);
      const init: ReplicaInit = { index, task, modules, backend, replicas, spinMs, variables: slots, control, weights: weightsBuffer, shardGrads: shardGradBuffers, arrivals: arrivalsBuffer, sum: sumBuffer, inputs, error, port: port2 };
      const worker = new Worker(script, { workerData: init, transferList: [port2] });
      const replica: Replica = { index, worker, port: port1, control: new Int32Array(control), error: new Uint8Array(error), inputs: new Float32Array(inputs), exited: false };
      worker.on('exit', () => (replica.exited = true));
      workers.push(replica);
    }
    await Promise.all(workers.map((r) => awaitReady(r, timeoutMs, ROLE)));
    for (const r of workers) r.worker.unref();
  } catch (e) {
    await close();
    throw e;
  }
  let closed = false;
  let sequence = 0;
  return {
    task,
    replicas,
    gradients(variables, batch, localLoss) {
      if (closed) throw new CharlearnError('these gradient replicas were closed; start new ones', 'gradients');
      sequence++;
      return shardedStep({ variables, batch, localLoss, slots, weights, reduce, workers, sequence, timeoutMs, spinMs, replicas, hostShare });
    },
    close: async () => {
      closed = true;
      await close();
    },
  };
}

/** The trainer's side of the reduce: every shard's gradient buffer, the arrivals count, the sum. */
interface SharedReduce {
  readonly shards: readonly Float32Array[];
  readonly arrivals: Int32Array;
  readonly sum: Float32Array;
}

interface ShardedStepArgs {
  variables: Readonly<Record<string, Variable>>;
  batch: Readonly<Record<string, Tensor>>;
  localLoss: (batch: Readonly<Record<string, Tensor>>) => Scalar;
  slots: readonly VariableSlot[];
  weights: Float32Array;
  reduce: SharedReduce;
  workers: readonly Replica[];
  sequence: number;
  timeoutMs: number;
  spinMs: number;
  replicas: number;
  hostShare: number | undefined;
}

/** One step: publish weights and shards, compute shard 0 here, reduce if it arrived last, wait, collect. */
function shardedStep(args: ShardedStepArgs): { value: Scalar; grads: Record<string, Tensor> } {
  const { variables, batch, localLoss, slots, weights, reduce, workers, sequence, timeoutMs, spinMs, replicas, hostShare } = args;
  const names = Object.keys(batch);
  if (!names.length) throw new CharlearnError('a sharded gradient needs at least one batch tensor', 'batch');
  const rows = batch[names[0]!]!.shape[0]!;
  for (const n of names) {
    if (batch[n]!.shape[0] !== rows) throw new CharlearnError(`batch tensor '${n}' has ${batch[n]!.shape[0]} rows, '${names[0]}' has ${rows}: every input of a batch needs the same rows`, 'batch');
  }
  for (const s of slots) {
    const v = variables[s.name];
    if (!v || v.shape.join(',') !== s.shape.join(',')) throw new CharlearnError(`the replicas were started for a network with '${s.name}' of shape [${s.shape.join(', ')}]; this trainer's is ${v ? `[${v.shape.join(', ')}]` : 'missing'}`, 'gradients');
  }
  const sizes = shardSizes(rows, replicas, hostShare);
  for (const s of slots) weights.set(variables[s.name]!.dataSync() as Float32Array, s.offset);
  const host = names.map((n) => ({ name: n, data: batch[n]!.dataSync() as Float32Array, rowShape: batch[n]!.shape.slice(1), rowSize: batch[n]!.size / rows }));
  Atomics.store(reduce.arrivals, 0, 0);
  let start = sizes[0]!;
  for (const r of workers) {
    const n = sizes[r.index]!;
    const message = postShard(r, host, start, n, sizes);
    r.port.postMessage(message);
    signalStep(r, sequence, n);
    start += n;
  }
  const mine = reduce.shards[0]!;
  try {
    writeOwnShard(variables, batch, sizes[0]!, localLoss, slots, mine);
  } catch (e) {
    arriveLast(reduce.arrivals, replicas);
    waitAll(workers, sequence, timeoutMs, true, ROLE, spinMs);
    throw e;
  }
  const shardWeights = sizes.map((n) => n / rows);
  // the last shard to arrive sums them all: here when the replicas are done first, else in the last replica
  if (arriveLast(reduce.arrivals, replicas)) weightedSumRange(reduce.sum, reduce.shards, shardWeights, { start: 0, end: reduce.sum.length });
  waitAll(workers, sequence, timeoutMs, false, ROLE, spinMs);
  let loss = 0;
  reduce.shards.forEach((g, k) => (loss += shardWeights[k]! * g[g.length - 1]!));
  const grads: Record<string, Tensor> = {};
  for (const s of slots) grads[s.name] = tf.tensor(reduce.sum.slice(s.offset, s.offset + s.size), s.shape as number[]);
  return { value: tf.scalar(loss), grads };
}

/** Computes the gradient of the first `rows` rows' mean loss on this thread into `out` (the gradient, then the loss). */
function writeOwnShard(
  variables: Readonly<Record<string, Variable>>,
  batch: Readonly<Record<string, Tensor>>,
  rows: number,
  localLoss: (batch: Readonly<Record<string, Tensor>>) => Scalar,
  slots: readonly VariableSlot[],
  out: Float32Array,
): void {
  const local = sliceBatch(batch, 0, rows);
  let own: { value: Scalar; grads: Record<string, Tensor> };
  try {
    own = namedGradients(() => localLoss(local), variables as Record<string, Variable>);
  } finally {
    tf.dispose(Object.values(local));
  }
  try {
    for (const s of slots) out.set(own.grads[s.name]!.dataSync() as Float32Array, s.offset);
    out[out.length - 1] = own.value.dataSync()[0]!;
  } finally {
    own.value.dispose();
    tf.dispose(Object.values(own.grads));
  }
}

/** Copies rows `[start, start + n)` of each input into the replica's inputs buffer (growing it when too small). */
function postShard(r: Replica, host: ReadonlyArray<{ name: string; data: Float32Array; rowShape: number[]; rowSize: number }>, start: number, n: number, shardRows: readonly number[]): StepMessage {
  const need = host.reduce((a, h) => a + h.rowSize * n, 0);
  let inputBuffer: SharedArrayBuffer | undefined;
  if (r.inputs.length < need) {
    inputBuffer = new SharedArrayBuffer(need * 4);
    r.inputs = new Float32Array(inputBuffer);
  }
  const inputs: InputSlot[] = [];
  let offset = 0;
  for (const h of host) {
    r.inputs.set(h.data.subarray(start * h.rowSize, (start + n) * h.rowSize), offset);
    inputs.push({ name: h.name, shape: [n, ...h.rowShape], offset });
    offset += h.rowSize * n;
  }
  return inputBuffer ? { inputs, shardRows, inputBuffer } : { inputs, shardRows };
}
