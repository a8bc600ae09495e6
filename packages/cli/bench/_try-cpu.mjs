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
const pool = await startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(student, 'follmer') });
const even = await startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(student, 'follmer'), chunksPerReplica: 1 });
const zh = tf.slice(z, [0], [1000]); const zq = tf.slice(z, [0], [500]);
const measure = (f) => {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < 20; i++) { const x = f(); x.dataSync(); x.dispose(); }
  const c = process.cpuUsage(c0); return { wall: (performance.now() - t0) / 20, cpu: (c.user + c.system) / 1000 / 20 };
};
for (let r = 0; r < 4; r++) {
  const a = measure(() => sampleFlowMap(g, z, 1)); const b = measure(() => pool.sample(student, z, 1)); const e = measure(() => even.sample(student, z, 1));
  const h = measure(() => sampleFlowMap(g, zh, 1)); const q = measure(() => sampleFlowMap(g, zq, 1));
  const f = (m) => `${m.wall.toFixed(1)}/${m.cpu.toFixed(1)}`;
  console.log(`wall/cpu ms: one ${f(a)} | half ${f(h)} | quarter ${f(q)} | chunks2 ${f(b)} | even ${f(e)} load ${os.loadavg()[0].toFixed(1)}`);
}
await pool.close();
