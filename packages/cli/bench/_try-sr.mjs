import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { follmer, Rng, useBackend } from '@charlearn/core';
import { createMlp } from '@charlearn/nets';
import { characteristicMap, sampleFlowMap } from '@charlearn/distill';
import { characteristicSamplingTask, startSamplingReplicas } from '@charlearn/distill/node';
await useBackend('wasm');
const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
const student = createMlp(MLP).toTwoTime();
const w = student.namedVariables()['out/w'];
w.assign(tf.mul(new Rng(2).normalTensor(w.shape), 0.3));
const g = characteristicMap(student, follmer, 1);
const z = new Rng(5).normalTensor([2000, 2]);
const reps = await startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(student, 'follmer') });
const a = sampleFlowMap(g, z, 1).dataSync(); const b = reps.sample(student, z, 1).dataSync();
let d = 0, same = 0; for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); if (a[i] === b[i]) same++; }
console.log('max diff', d, 'bitwise same', same, '/', a.length, a.slice(0,4), b.slice(0,4));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (let round = 0; round < 4; round++) {
  const one = [], two = [];
  for (let i = 0; i < 10; i++) {
    let t0 = performance.now(); let x = sampleFlowMap(g, z, 1); x.dataSync(); x.dispose(); one.push(performance.now() - t0);
    t0 = performance.now(); x = reps.sample(student, z, 1); x.dataSync(); x.dispose(); two.push(performance.now() - t0);
  }
  console.log('1 thread', median(one).toFixed(2), 'replicas 2', median(two).toFixed(2), 'tensors', tf.memory().numTensors);
}
await reps.close();
