import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { follmer, Rng, useBackend } from '@charlearn/core';
import { createMlp } from '@charlearn/nets';
import { characteristicMap, sampleFlowMap } from '@charlearn/distill';
import { characteristicSamplingTask, startSamplingReplicas } from '@charlearn/distill/node';
await useBackend('wasm');
const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
const student = createMlp(MLP).toTwoTime();
const g = characteristicMap(student, follmer, 1);
const z = new Rng(5).normalTensor([2000, 2]);
const pools = {};
for (const c of [1, 2, 4]) pools[c] = await startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(student, 'follmer'), chunksPerReplica: c });
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const time = (f) => { const t0 = performance.now(); const x = f(); x.dataSync(); x.dispose(); return performance.now() - t0; };
for (let round = 0; round < 6; round++) {
  const r = { one: [], c1: [], c2: [], c4: [] };
  for (let i = 0; i < 8; i++) {
    r.one.push(time(() => sampleFlowMap(g, z, 1)));
    for (const c of [1, 2, 4]) r[`c${c}`].push(time(() => pools[c].sample(student, z, 1)));
  }
  console.log(Object.entries(r).map(([k, v]) => `${k} ${median(v).toFixed(2)}`).join('  '), 'split c2', pools[2].lastChunks().join('/'), 'load', os.loadavg()[0].toFixed(1));
}
for (const p of Object.values(pools)) await p.close();
