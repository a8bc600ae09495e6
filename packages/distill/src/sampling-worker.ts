/**
 * A sampling replica (a `worker_threads` worker started by `startSamplingReplicas`): rebuilds the task's network on
 * its own backend, then, for every call the caller asks for, takes the caller's weights from shared memory when their
 * version changed, then claims chunks of the call's rows until none is left, samples each with `sampleFlowMap` (the
 * same times, start and data mean as the caller's) and writes the samples back over the chunk's rows.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { sampleFlowMap } from './sampling';
import { samplingTaskMap } from './sampling-task';
import { Control, type SampleMessage, type SamplingReplicaInit } from './replica-protocol';
import { rebuildNetwork, serveSteps, startWorkerThread } from './replica-threads';
import { sampleClaimedChunks } from './sampling-chunks';

const init = workerData as SamplingReplicaInit;
const control = new Int32Array(init.control);
const weights = new Float32Array(init.weights);
const errorBytes = new Uint8Array(init.error);
const claims = new Int32Array(init.claims);
let rows = new Float32Array(init.rows);

function setUp(): () => void {
  const { net, loadWeights } = rebuildNetwork(init.task.network, init.variables, weights, `sampling replica ${init.index}`);
  const g = samplingTaskMap(init.task, net);
  // One sample at start, so that the first call does not pay for the kernels' first use (e.g. compiling the GEMM's module).
  tf.dispose(tf.tidy(() => sampleFlowMap(g, tf.zeros([2, ...net.sampleShape]), 1)));
  let weightsVersion = 0;
  return () => {
    const message = receiveMessageOnPort(init.port)?.message as SampleMessage | undefined;
    if (!message) throw new Error(`sampling replica ${init.index}: no sample message arrived with the call`);
    if (message.rowsBuffer) rows = new Float32Array(message.rowsBuffer);
    if (message.weightsVersion !== weightsVersion) {
      loadWeights();
      weightsVersion = message.weightsVersion;
    }
    const dataMean = message.dataMean ? tf.tensor(message.dataMean, message.sampleShape as number[]) : undefined;
    const times = { eps0: message.eps0, eps1: message.eps1, start: message.start, ...(dataMean ? { dataMean } : {}) };
    try {
      Atomics.store(control, Control.chunks, 0);
      Atomics.store(control, Control.chunks, sampleClaimedChunks(claims, rows, message, (z) => sampleFlowMap(g, z, message.steps, times)));
    } finally {
      dataMean?.dispose();
    }
  };
}

void startWorkerThread(init, setUp).then((step) => {
  if (step) serveSteps(control, errorBytes, step, init.spinMs);
});
