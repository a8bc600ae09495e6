/**
 * A gradient replica (a `worker_threads` worker started by `startGradientReplicas`): rebuilds the task's network on
 * its own backend, then, for every step the trainer asks for, copies the trainer's current weights in, computes the
 * gradient of the task's loss on its shard, and writes it (and the shard's mean loss) back to shared memory; when its
 * shard is the last of the step to arrive, it also sums all shards into the reduced gradient (`weightedSumRange`). It
 * holds no optimiser state: the trainer's thread applies the reduced gradient, so the weights cannot drift apart.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { createNetwork } from '@charlearn/nets';
import { namedGradients } from './optim-step';
import { gradientTaskLoss } from './sharded-gradients';
import { arriveLast, type ReplicaInit, type StepMessage } from './replica-protocol';
import { serveSteps, startWorkerThread } from './replica-threads';
import { weightedSumRange } from './shard-reduce';

const init = workerData as ReplicaInit;
const control = new Int32Array(init.control);
const weights = new Float32Array(init.weights);
const shardGrads = init.shardGrads.map((b) => new Float32Array(b));
const grads = shardGrads[init.index]!;
const arrivals = new Int32Array(init.arrivals);
const sum = new Float32Array(init.sum);
const parameters = grads.length - 1;
const errorBytes = new Uint8Array(init.error);
let inputs = new Float32Array(init.inputs);

/** A replica's two phases of a step: its shard's gradient (returns the shard rows of the step), then the reduce. */
interface ReplicaStep {
  gradient(): readonly number[];
  reduce(shardRows: readonly number[]): void;
}

function setUp(): ReplicaStep {
  const net = createNetwork(init.task.network);
  const variables = net.namedVariables();
  for (const slot of init.variables) {
    const v = variables[slot.name];
    if (!v || v.shape.join(',') !== slot.shape.join(',')) {
      throw new Error(`replica ${init.index}: the network built from the task has no variable '${slot.name}' of shape [${slot.shape.join(', ')}]`);
    }
  }
  const loss = gradientTaskLoss(init.task, net);
  const gradient = (): readonly number[] => {
    const message = receiveMessageOnPort(init.port)?.message as StepMessage | undefined;
    if (!message) throw new Error(`replica ${init.index}: no step message arrived with the step`);
    if (message.inputBuffer) inputs = new Float32Array(message.inputBuffer);
    for (const slot of init.variables) {
      const value = tf.tensor(weights.slice(slot.offset, slot.offset + slot.size), slot.shape as number[]);
      variables[slot.name]!.assign(value);
      value.dispose();
    }
    const batch: Record<string, Tensor> = {};
    try {
      for (const s of message.inputs) {
        const size = s.shape.reduce((a, b) => a * b, 1);
        batch[s.name] = tf.tensor(inputs.slice(s.offset, s.offset + size), s.shape as number[]);
      }
      const { value, grads: g } = namedGradients(() => loss(batch), variables);
      try {
        for (const slot of init.variables) grads.set(g[slot.name]!.dataSync() as Float32Array, slot.offset);
        grads[grads.length - 1] = value.dataSync()[0]!;
      } finally {
        value.dispose();
        tf.dispose(Object.values(g));
      }
    } finally {
      tf.dispose(Object.values(batch));
    }
    return message.shardRows;
  };
  const reduce = (shardRows: readonly number[]): void => {
    const rows = shardRows.reduce((a, b) => a + b, 0);
    weightedSumRange(sum, shardGrads, shardRows.map((n) => n / rows), { start: 0, end: parameters });
  };
  return { gradient, reduce };
}

function serve(replica: ReplicaStep): void {
  serveSteps(control, errorBytes, () => {
    let shardRows: readonly number[] | undefined;
    try {
      shardRows = replica.gradient();
    } finally {
      // counted on failure too (the trainer then throws), so that the count of the step stays right
      if (arriveLast(arrivals, init.replicas) && shardRows) replica.reduce(shardRows);
    }
  }, init.spinMs);
}

void startWorkerThread(init, setUp).then((replica) => {
  if (replica) serve(replica);
});
