import os from 'node:os';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { follmer, Rng, useBackend } from '@charlearn/core';
import { createMlp } from '@charlearn/nets';
import { characteristicMap, sampleFlowMap } from '@charlearn/distill';
await useBackend('wasm');
const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
const student = createMlp(MLP).toTwoTime();
const g = characteristicMap(student, follmer, 1);
const zh = new Rng(5).normalTensor([1000, 2]);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const time = (f) => { const t0 = performance.now(); const x = f(); x.dataSync(); x.dispose(); return performance.now() - t0; };
const run = () => { const v = []; for (let i = 0; i < 20; i++) v.push(time(() => sampleFlowMap(g, zh, 1))); return median(v).toFixed(2); };
if (isMainThread) {
  console.log('main alone', run(), 'load', os.loadavg()[0]);
  const w = new Worker(new URL(import.meta.url));
  w.on('message', (m) => { console.log('worker alone', m); w.terminate(); console.log('main again', run()); });
} else {
  parentPort.postMessage(run());
}
