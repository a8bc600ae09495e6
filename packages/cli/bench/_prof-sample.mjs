import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { follmer, Rng, useBackend } from '@charlearn/core';
import { createMlp } from '@charlearn/nets';
import { characteristicMap, sampleFlowMap } from '@charlearn/distill';
await useBackend('wasm');
const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
const student = createMlp(MLP).toTwoTime();
const g = characteristicMap(student, follmer, 1);
const z = new Rng(5).normalTensor([2000, 2]);
const step = () => { const x = sampleFlowMap(g, z, 1, { eps0: 1e-3, eps1: 1e-3 }); x.dataSync(); x.dispose(); };
for (let i = 0; i < 5; i++) step();
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const wall = []; for (let i = 0; i < 20; i++) { const t0 = performance.now(); step(); wall.push(performance.now() - t0); }
console.log('wall median', median(wall).toFixed(2), 'ms');
const info = await tf.profile(() => { step(); });
const ks = [];
for (const k of info.kernels) ks.push({ name: k.name, ms: await k.kernelTimeMs, shapes: JSON.stringify(k.inputShapes), out: JSON.stringify(k.outputShapes) });
let tot = 0; for (const k of ks) { tot += k.ms; console.log(k.name.padEnd(22), k.ms.toFixed(3).padStart(8), k.shapes, '->', k.out); }
console.log('kernels', ks.length, 'kernel ms', tot.toFixed(2));
