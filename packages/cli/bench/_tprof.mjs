import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@charlearn/core';
import '@charlearn/backend-wasm';
import { getTarget } from '@charlearn/data';
import { createMlp } from '@charlearn/nets';
import { TeacherTrainer } from '@charlearn/distill';
await useBackend('wasm');
const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
const swissRoll = getTarget('swiss-roll');
const trainer = new TeacherTrainer({ net: createMlp(MLP), dataset: swissRoll, config: { batchSize: 1024, warmupSteps: 200 } });
for (let i = 0; i < 5; i++) trainer.trainStep();
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
const ms = [];
for (let i = 0; i < 15; i++) { const t0 = cpu(); trainer.trainStep(); ms.push(cpu() - t0); }
ms.sort((a, b) => a - b);
console.log('step cpu ms median', ms[7].toFixed(2), 'min', ms[0].toFixed(2));
const prof = await tf.profile(() => { trainer.trainStep(); });
const by = {};
for (const k of prof.kernels) { const e = (by[k.name] ??= { n: 0, ms: 0 }); e.n++; e.ms += k.kernelTimeMs; }
const tot = Object.values(by).reduce((a, e) => a + e.ms, 0);
console.log('kernels', prof.kernels.length, 'kernel ms', tot.toFixed(2));
for (const [k, e] of Object.entries(by).sort((a, b) => b[1].ms - a[1].ms).slice(0, 14)) console.log(k, e.n, e.ms.toFixed(2));
