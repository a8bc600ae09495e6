import '@charlearn/backend-wasm';
import { useBackend } from '@charlearn/core';
import { createMlp } from '@charlearn/nets';
await useBackend('wasm');
const student = createMlp({ dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 }).toTwoTime();
const vars = Object.values(student.namedVariables());
const shared = vars.map((v) => new Float32Array(new SharedArrayBuffer(v.size * 4)));
for (let r = 0; r < 5; r++) {
  let t0 = performance.now();
  for (let i = 0; i < 50; i++) vars.forEach((v) => v.dataSync());
  const read = (performance.now() - t0) / 50;
  t0 = performance.now();
  for (let i = 0; i < 50; i++) vars.forEach((v, k) => { const d = v.dataSync(); const s = shared[k]; for (let j = 0; j < d.length; j++) if (d[j] !== s[j]) { s.set(d); break; } });
  const cmp = (performance.now() - t0) / 50;
  console.log('dataSync all', read.toFixed(3), 'ms; with compare', cmp.toFixed(3), 'ms; params', vars.reduce((a, v) => a + v.size, 0));
}
