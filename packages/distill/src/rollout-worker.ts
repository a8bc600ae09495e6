/**
 * A rollout worker (a `worker_threads` worker started by `startRolloutWorker`): rebuilds the frozen teacher from the
 * task's spec and the shared weights on its own backend, then, for every chunk the trainer asks for, reads the chunk's
 * starting points from the states buffer, solves them interval by interval over the grid (`rolloutTaskSolve`: the
 * trainer's own rollout) and writes each state after the start.
 */
import { workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { rolloutTaskSolve } from './rollout-task';
import type { RolloutWorkerInit } from './replica-protocol';
import { rebuildNetwork, serveSteps, startWorkerThread } from './replica-threads';

const init = workerData as RolloutWorkerInit;
const control = new Int32Array(init.control);
const weights = new Float32Array(init.weights);
const states = new Float32Array(init.states);
const errorBytes = new Uint8Array(init.error);

function setUp(): () => void {
  const { net, loadWeights } = rebuildNetwork(init.task.network, init.variables, weights, 'rollout worker');
  loadWeights(); // once: the teacher is frozen
  const solve = rolloutTaskSolve(init.task, net);
  const shape = [init.chunkRows, ...init.sampleShape];
  const per = shape.reduce((a, b) => a * b, 1);
  const intervals = init.task.grid.length - 1;
  // One solve at start, so that the first chunk does not pay for the kernels' first use (e.g. compiling the GEMM's module).
  tf.dispose(tf.tidy(() => solve(tf.zeros([2, ...init.sampleShape]), 0)));
  return () => {
    let x: Tensor = tf.tensor(states.slice(0, per), shape); // a copy: the buffer is shared
    try {
      for (let i = 0; i < intervals; i++) {
        const next = tf.tidy(() => solve(x, i));
        x.dispose();
        x = next;
        states.set(x.dataSync() as Float32Array, (i + 1) * per);
      }
    } finally {
      x.dispose();
    }
  };
}

void startWorkerThread(init, setUp).then((step) => {
  if (step) serveSteps(control, errorBytes, step);
});
