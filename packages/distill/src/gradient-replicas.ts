import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { CharlearnError, ValueRangeError } from '@charlearn/core';
import { namedGradients } from './optim-step';
import { shardSizes, sliceBatch, type GradientTask, type ShardedGradients } from './sharded-gradients';
import { CONTROL_WORDS, ERROR_BYTES, variableSlots, type InputSlot, type ReplicaInit, type StepMessage, type VariableSlot } from './replica-protocol';
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
}

/** {@link ShardedGradients} over worker threads; {@link GradientReplicas.close} ends them. */
export interface GradientReplicas extends ShardedGradients {
  /** Ends the worker threads (idempotent). The evaluator cannot be used afterwards. */
  close(): Promise<void>;
}

interface Replica extends ReplicaThread {
  readonly grads: Float32Array;
  inputs: Float32Array;
}

/**
 * Starts `replicas − 1` worker threads that compute a task's gradients on shards of each batch, so that a trainer
 * uses more cores (data-parallel training). Each worker rebuilds the task's network on its own backend instance and
 * holds no optimiser state: every step, the trainer's thread publishes its current weights to shared memory, each
 * replica computes the gradient of its shard's mean loss, and the trainer's thread takes the weighted mean
 * `Σ nᵢ/B · ∇Lᵢ` (the full batch's gradient, to float32 rounding: the sums run in another order than one thread's)
 * and applies the update itself. Node only (`worker_threads`, `SharedArrayBuffer`, `Atomics.wait`).
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
  const { replicas, task, timeoutMs = 600_000 } = options;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) throw new ValueRangeError(`replicas must be an integer from 1 to 16, got ${String(replicas)}`, 'replicas');
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ValueRangeError(`timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`, 'timeoutMs');
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
      const grads = new SharedArrayBuffer((parameters + 1) * 4);
      const inputs = new SharedArrayBuffer(4);
      const error = new SharedArrayBuffer(ERROR_BYTES);
      const init: ReplicaInit = { index, task, modules, backend, variables: slots, control, weights: weightsBuffer, grads, inputs, error, port: port2 };
      const worker = new Worker(script, { workerData: init, transferList: [port2] });
      const replica: Replica = { index, worker, port: port1, control: new Int32Array(control), grads: new Float32Array(grads), error: new Uint8Array(error), inputs: new Float32Array(inputs), exited: false };
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
      return shardedStep({ variables, batch, localLoss, slots, weights, workers, sequence, timeoutMs, replicas });
    },
    close: async () => {
      closed = true;
      await close();
    },
  };
}

interface ShardedStepArgs {
  variables: Readonly<Record<string, Variable>>;
  batch: Readonly<Record<string, Tensor>>;
  localLoss: (batch: Readonly<Record<string, Tensor>>) => Scalar;
  slots: readonly VariableSlot[];
  weights: Float32Array;
  workers: readonly Replica[];
  sequence: number;
  timeoutMs: number;
  replicas: number;
}

/** One step: publish weights and shards, compute shard 0 here, wait, reduce. */
function shardedStep(args: ShardedStepArgs): { value: Scalar; grads: Record<string, Tensor> } {
  const { variables, batch, localLoss, slots, weights, workers, sequence, timeoutMs, replicas } = args;
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
  const sizes = shardSizes(rows, replicas);
  for (const s of slots) weights.set(variables[s.name]!.dataSync() as Float32Array, s.offset);
  const host = names.map((n) => ({ name: n, data: batch[n]!.dataSync() as Float32Array, rowShape: batch[n]!.shape.slice(1), rowSize: batch[n]!.size / rows }));
  let start = sizes[0]!;
  for (const r of workers) {
    const n = sizes[r.index]!;
    const message = postShard(r, host, start, n);
    r.port.postMessage(message);
    signalStep(r, sequence, n);
    start += n;
  }
  const local = sliceBatch(batch, 0, sizes[0]!);
  let own: { value: Scalar; grads: Record<string, Tensor> };
  try {
    own = namedGradients(() => localLoss(local), variables as Record<string, Variable>);
  } catch (e) {
    waitAll(workers, sequence, timeoutMs, true, ROLE);
    throw e;
  } finally {
    tf.dispose(Object.values(local));
  }
  try {
    const lossHere = own.value.dataSync()[0]!;
    const mine = slots.map((s) => own.grads[s.name]!.dataSync() as Float32Array);
    waitAll(workers, sequence, timeoutMs, false, ROLE);
    const w0 = sizes[0]! / rows;
    const out = slots.map((s, k) => {
      const acc = new Float32Array(s.size);
      const g0 = mine[k]!;
      for (let i = 0; i < s.size; i++) acc[i] = w0 * g0[i]!;
      return acc;
    });
    let loss = w0 * lossHere;
    for (const r of workers) {
      const w = sizes[r.index]! / rows;
      slots.forEach((s, k) => {
        const acc = out[k]!;
        const g = r.grads;
        for (let i = 0; i < s.size; i++) acc[i] = acc[i]! + w * g[s.offset + i]!;
      });
      loss += w * r.grads[r.grads.length - 1]!;
    }
    const grads: Record<string, Tensor> = {};
    slots.forEach((s, k) => (grads[s.name] = tf.tensor(out[k]!, s.shape as number[])));
    return { value: tf.scalar(loss), grads };
  } finally {
    own.value.dispose();
    tf.dispose(Object.values(own.grads));
  }
}

/** Copies rows `[start, start + n)` of each input into the replica's inputs buffer (growing it when too small). */
function postShard(r: Replica, host: ReadonlyArray<{ name: string; data: Float32Array; rowShape: number[]; rowSize: number }>, start: number, n: number): StepMessage {
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
  return inputBuffer ? { inputs, inputBuffer } : { inputs };
}
