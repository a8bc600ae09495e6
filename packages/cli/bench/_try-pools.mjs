import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { follmer, Rng, useBackend } from '@charlearn/core';
import { createMlp } from '@charlearn/nets';
import { characteristicMap, sampleFlowMap } from '@charlearn/distill';
import { characteristicSamplingTask, startSamplingReplicas } from '@charlearn/distill/node';
await useBackend('wasm');
const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
const student = createMlp(MLP).toTwoTime();
const w = student.namedVariables()['out/w']; w.assign(tf.mul(new Rng(2).normalTensor(w.shape), 0.3));
const g = characteristicMap(student, follmer, 1);
const z = new Rng(5).normalTensor([2000, 2]);
const ref = sampleFlowMap(g, z, 1).dataSync();
const pools = [];
for (let i = 0; i < 3; i++) pools.push(await startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(student, 'follmer'), chunksPerReplica: 1 }));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const [i, p] of pools.entries()) {
  const x = p.sample(student, z, 1).dataSync();
  let d = 0; for (let k = 0; k < x.length; k++) if (x[k] !== ref[k]) d++;
  console.log(`pool ${i}: differing entries ${d} of ${x.length}; first differing index ${x.findIndex((v, k) => v !== ref[k])}`);
}
for (let r = 0; r < 3; r++) {
  const t = pools.map((p) => { const v = []; for (let i = 0; i < 8; i++) { const t0 = performance.now(); const x = p.sample(student, z, 1); x.dataSync(); x.dispose(); v.push(performance.now() - t0); } return median(v).toFixed(1); });
  const v = []; for (let i = 0; i < 8; i++) { const t0 = performance.now(); const x = sampleFlowMap(g, z, 1); x.dataSync(); x.dispose(); v.push(performance.now() - t0); }
  console.log('pools', t.join(' '), 'one', median(v).toFixed(1));
}
for (const p of pools) await p.close();
