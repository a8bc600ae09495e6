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
import { namedGradients } from './optim-step';
import { gradientTaskLoss } from './sharded-gradients';
import { arriveLast, type ReplicaInit, type StepMessage } from './replica-protocol';
import { rebuildNetwork, serveSteps, startWorkerThread } from './replica-threads';
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
  const { net, variables, loadWeights } = rebuildNetwork(init.task.network, init.variables, weights, `replica ${init.index}`);
  const loss = gradientTaskLoss(init.task, net);
  const gradient = (): readonly number[] => {
    const message = receiveMessageOnPort(init.port)?.message as StepMessage | undefined;
    if (!message) throw new Error(`replica ${init.index}: no step message arrived with the step`);
    if (message.inputBuffer) inputs = new Float32Array(message.inputBuffer);
    loadWeights();
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
