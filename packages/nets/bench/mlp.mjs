// Benchmark of the @charlearn/nets MLP on the wasm backend (uses the built dist/):
//
//   npm run build -w @charlearn/nets && npm run bench -w @charlearn/nets
//
// MLP dim 2, hidden [256, 256, 256], SiLU, 64-dim time embedding, time MLP
// 64 -> 64 -> 256, batch 1024:
//   forward            net.apply(xIn, cNoise)
//   forward + backward tf.variableGrads(mean((F - y)^2)) w.r.t. every variable
//   Adam step          tf.train.adam(1e-3).minimize(...) (compare BENCH.md of backend-wasm: 33 ms
//                      for the time-less 3->256->256->256->2 MLP)
// and the same for the two-time net. GFLOP/s counts matrix products only,
// against the ~42 GFLOP/s ceiling of one wasm thread with 128-bit SIMD here.
//
// Env: BENCH_STEPS (timed repetitions per row, default 30), BENCH_QUICK=1 (smoke run).
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { useBackend } from '@charlearn/core';
import { createMlp } from '../dist/index.js';

const QUICK = process.env.BENCH_QUICK === '1';
const STEPS = Number(process.env.BENCH_STEPS ?? (QUICK ? 3 : 30));
const CEILING = 42;
const BATCH = 1024;
const CONFIG = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };

await useBackend('wasm');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function time(f, n, warmup = 3) {
  for (let i = 0; i < warmup; i++) f();
  const ts = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/** Matrix-product FLOPs: forward 2·B·Σ in·out; backward dW for every layer, dX for all but the two input-side layers (x, embedding). */
function flops(net) {
  const { dim, hidden, timeEmbeddingDim: e, timeHidden: th, twoTime } = net.config;
  const paths = twoTime ? 2 : 1;
  const trunk = [dim, ...hidden, dim];
  let macs = paths * (e * th + th * hidden[0]);
  for (let i = 0; i + 1 < trunk.length; i++) macs += trunk[i] * trunk[i + 1];
  const noDx = paths * e * th + dim * hidden[0];
  const fwd = 2 * BATCH * macs;
  const bwd = 2 * BATCH * (2 * macs - noDx);
  return { fwd, bwd };
}

function rows(label, net) {
  const rng = (seed) => {
    let s = seed >>> 0;
    return (n, a) => Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 * 2 - 1) * a);
  };
  const r = rng(7);
  const x = tf.tensor2d(r(BATCH * 2, 2), [BATCH, 2]);
  const y = tf.tensor2d(r(BATCH * 2, 1), [BATCH, 2]);
  const c = tf.tensor1d(r(BATCH, 1).map((u) => 500 + 499 * u));
  const cs = tf.tensor1d(r(BATCH, 1).map((u) => 500 + 499 * u));
  const args = net.twoTime ? [x, c, cs] : [x, c];
  // Make the output layer non-zero so that every gradient is non-trivial.
  tf.tidy(() => net.lastLayerWeight().assign(tf.mul(tf.randomNormal(net.lastLayerWeight().shape, 0, 1, 'float32', 3), 0.05)));
  const loss = () => tf.mean(tf.square(tf.sub(net.apply(...args), y)));
  const fwd = time(() => {
    const out = net.apply(...args);
    out.dataSync();
    out.dispose();
  }, STEPS);
  const fb = time(() => {
    const { value, grads } = tf.variableGrads(loss, net.trainableVariables());
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  }, STEPS);
  const opt = tf.train.adam(1e-3);
  const adam = time(() => {
    const cost = opt.minimize(loss, true, net.trainableVariables());
    cost.dataSync();
    cost.dispose();
  }, STEPS);
  opt.dispose();
  tf.dispose([x, y, c, cs]);
  const f = flops(net);
  const g = (fl, ms) => fl / 1e9 / (ms / 1000);
  return [
    [`${label}: forward`, fwd, f.fwd],
    [`${label}: forward + backward (variableGrads)`, fb, f.fwd + f.bwd],
    [`${label}: Adam step`, adam, f.fwd + f.bwd],
  ].map(([l, ms, fl]) => [l, ms.toFixed(2), (fl / 1e9).toFixed(3), g(fl, ms).toFixed(1), `${((g(fl, ms) / CEILING) * 100).toFixed(0)}%`]);
}

const net = createMlp(CONFIG);
const two = net.toTwoTime();
const out = [...rows('one-time', net), ...rows('two-time', two)];
net.dispose();
two.dispose();

const head = ['MLP 2->256->256->256->2 (+ time MLP 64->64->256), batch 1024', 'ms', 'GFLOP', 'GFLOP/s', `of ${CEILING}`];
const widths = head.map((h, i) => Math.max(h.length, ...out.map((r) => String(r[i]).length)));
const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`;
console.log(
  `Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), tfjs ${tf.version_core}, backend ${tf.getBackend()}; ` +
    `median of ${STEPS} after 3 warm-up; parameters ${net.parameterCount()} (one-time), ${two.parameterCount()} (two-time)\n`,
);
console.log(line(head));
console.log(`|${widths.map((w, i) => '-'.repeat(w + 1) + (i === 0 ? '-' : ':')).join('|')}|`);
for (const r of out) console.log(line(r));
console.log(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
