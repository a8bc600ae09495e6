import * as tf from '@tensorflow/tfjs-core';
import { setupWasmBackend } from '@charlearn/backend-wasm';
import { getTarget } from '@charlearn/data';
import { createMlp } from '@charlearn/nets';
import { TeacherTrainer } from '@charlearn/distill';
await setupWasmBackend();
const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
const a = new TeacherTrainer({ net: createMlp(MLP), dataset: getTarget('swiss-roll'), config: { batchSize: 1024, warmupSteps: 200 } });
const t = { true: [], false: [] };
for (let r = 0; r < 12; r++) {
  for (const g of [true, false]) {
    await setupWasmBackend({ gemm: g });
    a.trainStep();
    const t0 = performance.now();
    for (let i = 0; i < 4; i++) a.trainStep();
    t[g].push((performance.now() - t0) / 4);
  }
}
const med = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
const ratios = t.true.map((x, i) => t.false[i] / x);
console.log('gemm', med(t.true).toFixed(1), 'xnnpack', med(t.false).toFixed(1), 'speed-up (median of pairs)', med(ratios).toFixed(2));
const x = tf.randomNormal([1024, 256]); const w = tf.randomNormal([256, 256]);
for (const [label, f] of [['fwd', () => tf.matMul(x, w)], ['dx', () => tf.matMul(x, w, false, true)], ['dW', () => tf.matMul(x, x, true, false)]]) {
  const res = {};
  for (const g of [true, false]) {
    await setupWasmBackend({ gemm: g });
    tf.dispose(f());
    const ts = [];
    for (let i = 0; i < 15; i++) { const t0 = performance.now(); const y = f(); y.dataSync(); ts.push(performance.now() - t0); y.dispose(); }
    res[g] = med(ts);
  }
  console.log(label, 'gemm', res.true.toFixed(2), 'ms', (0.134 / res.true * 1000).toFixed(1), 'GFLOP/s; xnnpack path', res.false.toFixed(2), 'ms', (0.134 / res.false * 1000).toFixed(1), 'GFLOP/s');
}
