import '@charlearn/backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { createMlp } from '@charlearn/nets';
import { TeacherTrainer } from '@charlearn/distill';
await useBackend('wasm');
const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
for (const b of [8, 128, 512, 1024]) {
  const a = new TeacherTrainer({ net: createMlp(MLP), dataset: getTarget('swiss-roll'), config: { batchSize: b, warmupSteps: 200 } });
  for (let i = 0; i < 5; i++) a.trainStep();
  const ts = [];
  for (let r = 0; r < 15; r++) { const t0 = performance.now(); a.trainStep(); ts.push(performance.now() - t0); }
  ts.sort((x, y) => x - y);
  const prof = await tf.profile(() => { a.trainStep(); });
  const byName = {};
  for (const k of prof.kernels) byName[k.name] = (byName[k.name] ?? 0) + k.kernelTimeMs;
  const top = Object.entries(byName).sort((x, y) => y[1] - x[1]).slice(0, 5).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
  console.log('batch', b, 'median ms', ts[7].toFixed(1), 'kernels', prof.kernels.length, 'in kernels', prof.kernels.reduce((s, k) => s + k.kernelTimeMs, 0).toFixed(1), '|', top);
  a.dispose();
}
