/**
 * A gradient replica (a `worker_threads` worker started by `startGradientReplicas`): rebuilds the task's network on
 * its own backend, then, for every step the trainer asks for, copies the trainer's current weights in, computes the
 * gradient of the task's loss on its shard, and writes it (and the shard's mean loss) back to shared memory. It holds
 * no optimiser state: the trainer's thread applies the reduced gradient, so the weights cannot drift apart.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { useBackend } from '@charlearn/core';
import { createNetwork } from '@charlearn/nets';
import { namedGradients } from './optim-step';
import { gradientTaskLoss } from './sharded-gradients';
import { type ReplicaInit, type StepMessage } from './replica-protocol';
import { serveSteps } from './replica-threads';

const init = workerData as ReplicaInit;
const control = new Int32Array(init.control);
const weights = new Float32Array(init.weights);
const grads = new Float32Array(init.grads);
const errorBytes = new Uint8Array(init.error);
let inputs = new Float32Array(init.inputs);

async function start(): Promise<ReturnType<typeof setUp>> {
  for (const id of init.modules) await import(/* @vite-ignore */ id);
  await useBackend(init.backend);
  return setUp();
}

function setUp(): { step: () => void } {
  const net = createNetwork(init.task.network);
  const variables = net.namedVariables();
  for (const slot of init.variables) {
    const v = variables[slot.name];
    if (!v || v.shape.join(',') !== slot.shape.join(',')) {
      throw new Error(`replica ${init.index}: the network built from the task has no variable '${slot.name}' of shape [${slot.shape.join(', ')}]`);
    }
  }
  const loss = gradientTaskLoss(init.task, net);
  const step = (): void => {
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
  };
  return { step };
}

async function main(): Promise<void> {
  let replica: { step: () => void };
  try {
    replica = await start();
  } catch (e) {
    parentPort!.postMessage({ ready: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    return;
  }
  parentPort!.postMessage({ ready: true });
  serveSteps(control, errorBytes, replica.step);
}

void main();
