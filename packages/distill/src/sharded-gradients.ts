import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { CharlearnError, ConfigError, denoiserMatchingLoss, getInterpolant, ValueRangeError, type Interpolant } from '@charlearn/core';
import type { Network, NetworkSpec } from '@charlearn/nets';
import { networkDenoiser } from './denoisers';

/**
 * What a replica computes the gradient of, as plain JSON (it crosses to a worker thread): the teacher's weighted
 * denoiser-matching loss (`denoiserMatchingLoss`, EDM weighting) of the network `network` (a `createNetwork` spec)
 * on the interpolant registered as `interpolant`, with data scale `sigmaData`.
 *
 * @example
 * ```ts
 * const task = teacherGradientTask(net, 'follmer', dataset.sigmaData);
 * // { kind: 'teacher-dsm', network: { kind: 'mlp', dim: 2, ... }, interpolant: 'follmer', sigmaData: 0.9 }
 * ```
 */
export interface TeacherGradientTask {
  readonly kind: 'teacher-dsm';
  readonly network: NetworkSpec;
  readonly interpolant: string;
  readonly sigmaData: number;
}

/** Every task replicas can compute (one today; the distiller's losses are the next). */
export type GradientTask = TeacherGradientTask;

/**
 * The teacher's batch: `x1, z: [batch, ...sampleShape]` (data and noise), `t, tau: [batch]` (times and `1 − t`).
 */
export type TeacherBatch = { readonly x1: Tensor; readonly z: Tensor; readonly t: Tensor; readonly tau: Tensor };

/** The names of a teacher batch's tensors, in the order replicas lay them out. */
export const TEACHER_BATCH_INPUTS = ['x1', 'z', 't', 'tau'] as const;

/**
 * The task of a teacher trainer's loss, for replicas.
 *
 * @param net - the teacher network, or anything with its `config` (the spec the replicas rebuild, e.g. a checkpoint's).
 * @param interpolant - the interpolant's registered name (a replica looks it up with `getInterpolant`).
 * @param sigmaData - the data scale of the EDM preconditioning.
 * @example
 * ```ts
 * const replicas = await startGradientReplicas({ replicas: 2, task: teacherGradientTask(net, 'follmer', 1) });
 * ```
 */
export function teacherGradientTask(net: Pick<Network, 'config'>, interpolant: string, sigmaData: number): TeacherGradientTask {
  return { kind: 'teacher-dsm', network: net.config, interpolant, sigmaData };
}

/**
 * The loss of a {@link TeacherGradientTask} as a function of a batch: the same function on the trainer's thread and
 * in each replica, so that their shards' gradients add up to the full batch's.
 *
 * @returns `(batch) => Scalar`: the EDM-weighted denoiser-matching loss, the mean over the batch's rows.
 */
export function teacherTaskLoss(net: Network, interpolant: Interpolant, sigmaData: number): (batch: Readonly<Record<string, Tensor>>) => Scalar {
  const denoiser = networkDenoiser(net, interpolant, sigmaData);
  return (batch) =>
    denoiserMatchingLoss({ denoiser, x1: batch.x1!, z: batch.z!, t: batch.t! as tf.Tensor1D, tau: batch.tau! as tf.Tensor1D, interpolant, sigmaData });
}

/** The loss function of a task, built on the current thread (a replica calls it with its own network). */
export function gradientTaskLoss(task: GradientTask, net: Network): (batch: Readonly<Record<string, Tensor>>) => Scalar {
  if (task.kind !== 'teacher-dsm') throw new ConfigError(`unknown gradient task kind '${String((task as { kind: unknown }).kind)}' (known: teacher-dsm)`, 'task.kind');
  return teacherTaskLoss(net, getInterpolant(task.interpolant, 'task.interpolant'), task.sigmaData);
}

/**
 * A gradient evaluator a trainer can use instead of computing its whole batch on its own thread: it splits the batch
 * into shards along axis 0, computes the gradient of the mean loss over each shard on a replica, and returns their
 * weighted mean (`Σ nᵢ/B · ∇Lᵢ`), i.e. the gradient of the full batch's mean loss. `@charlearn/distill/node`'s
 * `startGradientReplicas` is the implementation over `worker_threads`.
 */
export interface ShardedGradients {
  /** What the replicas compute; a trainer refuses replicas started for another network, interpolant or scale. */
  readonly task: GradientTask;
  /** How many shards a batch is split into (the calling thread computes the first). */
  readonly replicas: number;
  /**
   * The loss value and gradients of the full batch.
   *
   * @param variables - the trainable variables by name (their current values are sent to the replicas).
   * @param batch - the task's inputs, each `[batch, ...]` (for the teacher: {@link TeacherBatch}).
   * @param localLoss - the task's loss on this thread (applied to the first shard).
   * @returns `value` (scalar) and `grads` (by variable name), owned by the caller.
   */
  gradients(variables: Readonly<Record<string, Variable>>, batch: Readonly<Record<string, Tensor>>, localLoss: (batch: Readonly<Record<string, Tensor>>) => Scalar): { value: Scalar; grads: Record<string, Tensor> };
}

/**
 * Shard sizes of a batch of `batch` rows over `replicas` replicas: as even as possible, the larger ones first
 * (`shardSizes(1025, 2)` is `[513, 512]`). With `hostShare`, the first shard (the trainer's thread's) gets that
 * fraction of the rows, rounded, and the others split the rest evenly. Every shard has at least one row.
 *
 * @param batch - rows of the batch.
 * @param replicas - shards, the trainer's thread included.
 * @param hostShare - the first shard's fraction of the rows, in (0, 1) (default: an even split).
 * @returns one row count a shard, summing to `batch`.
 * @example
 * ```ts
 * shardSizes(1024, 2); // [512, 512]
 * shardSizes(1024, 2, 0.51); // [522, 502]
 * ```
 */
export function shardSizes(batch: number, replicas: number, hostShare?: number): number[] {
  if (!Number.isInteger(batch) || !Number.isInteger(replicas) || replicas < 1 || batch < replicas) {
    throw new CharlearnError(`a batch of ${batch} rows cannot be split over ${replicas} replicas (each needs at least one row): use a batch of at least ${replicas} or fewer replicas`, 'replicas');
  }
  if (hostShare !== undefined && replicas > 1) {
    if (!(hostShare > 0 && hostShare < 1)) throw new ValueRangeError(`hostShare must be a fraction of the batch between 0 and 1 (exclusive), got ${String(hostShare)}`, 'hostShare');
    const first = Math.min(batch - (replicas - 1), Math.max(1, Math.round(batch * hostShare)));
    return [first, ...evenSizes(batch - first, replicas - 1)];
  }
  return evenSizes(batch, replicas);
}

function evenSizes(batch: number, parts: number): number[] {
  const base = Math.floor(batch / parts);
  const extra = batch % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * Checks that replicas compute this trainer's loss: same task kind, the same network spec, interpolant and data
 * scale. Throws a `ConfigError` naming the first difference.
 */
export function assertTaskMatches(replicas: ShardedGradients, expected: GradientTask): void {
  const got = replicas.task;
  const diffs: string[] = [];
  if (got.kind !== expected.kind) diffs.push(`kind ${got.kind} (this trainer: ${expected.kind})`);
  if (JSON.stringify(got.network) !== JSON.stringify(expected.network)) diffs.push(`network ${JSON.stringify(got.network)} (this trainer: ${JSON.stringify(expected.network)})`);
  if (got.interpolant !== expected.interpolant) diffs.push(`interpolant '${got.interpolant}' (this trainer: '${expected.interpolant}')`);
  if (got.sigmaData !== expected.sigmaData) diffs.push(`sigmaData ${got.sigmaData} (this trainer: ${expected.sigmaData})`);
  if (diffs.length) throw new ConfigError(`the gradient replicas were started for another task: ${diffs.join('; ')}; start them with teacherGradientTask(net, interpolant, sigmaData) of this trainer`, 'gradients');
}

/** Rows `[start, start + size)` of every tensor of a batch (the caller disposes them). */
export function sliceBatch(batch: Readonly<Record<string, Tensor>>, start: number, size: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, x] of Object.entries(batch)) out[name] = tf.slice(x, [start], [size]);
  return out;
}
