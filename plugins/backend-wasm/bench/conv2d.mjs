// conv2d training kernels at U-Net shapes (batch 64, 3x3, stride 1, 'same'),
// wasm (this package) vs stock wasm vs the cpu backend. Uses the built dist/:
//
//   npm run build -w @charlearn/backend-wasm && node plugins/backend-wasm/bench/conv2d.mjs
//
// Env: BENCH_REPS (timed calls per wasm kernel, default 10), BENCH_QUICK=1 (smoke run, no cpu).
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setupWasmBackend } from '@charlearn/backend-wasm';

const QUICK = process.env.BENCH_QUICK === '1';
const REPS = Number(process.env.BENCH_REPS ?? (QUICK ? 2 : 10));
const CEILING = 42; // GFLOP/s, one wasm thread, 128-bit SIMD (shared/docs/environment.md)
const ORIGINAL = Symbol.for('@charlearn/backend-wasm/original-kernel');
const SHAPES = [
  { x: [64, 28, 28, 32], w: [3, 3, 32, 32] },
  { x: [64, 14, 14, 64], w: [3, 3, 64, 64] },
  { x: [64, 7, 7, 64], w: [3, 3, 64, 64] },
];

function uniform(n, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const size = (s) => s.reduce((p, d) => p * d, 1);

/** Median ms of `reps` calls of kernel `name` (after one warm-up), outputs disposed. */
function time(name, inputs, attrs, reps) {
  const call = () => tf.dispose(tf.engine().runKernel(name, inputs, attrs));
  call();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    call();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/** Runs f with the stock wasm kernel `name` in place of this package's wrapper. */
function withStock(name, f) {
  const current = tf.getKernel(name, 'wasm');
  const original = current?.kernelFunc[ORIGINAL];
  if (!original) return undefined;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel(original);
  try {
    return f();
  } finally {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(current);
  }
}

function kernels(c) {
  const x = tf.tensor(uniform(size(c.x), 1), c.x);
  const w = tf.tensor(uniform(size(c.w), 2), c.w);
  const dy = tf.tensor(uniform(size(c.x.slice(0, 3)) * c.w[3], 3), [...c.x.slice(0, 3), c.w[3]]);
  const conv = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
  return {
    tensors: [x, w, dy],
    rows: [
      ['Conv2D (forward)', 'Conv2D', { x, filter: w }, conv],
      ['Conv2DBackpropInput (dx)', 'Conv2DBackpropInput', { dy, filter: w }, { ...conv, inputShape: c.x }],
      ['Conv2DBackpropFilter (dW)', 'Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: c.w }],
    ],
  };
}

await setupWasmBackend();
const out = [];
const log = (s = '') => {
  out.push(s);
  console.log(s);
};
log(`Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), wasm SIMD ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}, threads ${await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')}; median of ${REPS} calls per wasm cell, ${QUICK ? 0 : 1} on cpu, after one warm-up`);
log();
log('| shape | kernel | GFLOP | cpu ms | stock wasm ms | wasm ms | wasm GFLOP/s | of 42 |');
log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const c of SHAPES) {
  const flops = 2 * size(c.x.slice(0, 3)) * c.w[0] * c.w[1] * c.w[2] * c.w[3];
  const results = [];
  await tf.setBackend('wasm');
  let k = kernels(c);
  for (const [label, name, inputs, attrs] of k.rows) {
    const ms = time(name, inputs, attrs, REPS);
    const stock = name === 'Conv2D' ? ms : name === 'Conv2DBackpropFilter' ? undefined : withStock(name, () => time(name, inputs, attrs, Math.max(2, REPS >> 2)));
    results.push({ label, ms, stock });
  }
  tf.dispose(k.tensors);
  if (!QUICK) {
    await tf.setBackend('cpu');
    k = kernels(c);
    k.rows.forEach(([, name, inputs, attrs], i) => (results[i].cpu = time(name, inputs, attrs, 1)));
    tf.dispose(k.tensors);
  }
  for (const r of results) {
    const g = flops / 1e9 / (r.ms / 1000);
    log(`| x [${c.x}] W [${c.w}] | ${r.label} | ${(flops / 1e9).toFixed(2)} | ${r.cpu?.toFixed(0) ?? '-'} | ${r.stock === undefined ? 'missing' : r.stock.toFixed(1)} | ${r.ms.toFixed(1)} | ${g.toFixed(1)} | ${((100 * g) / CEILING).toFixed(0)}% |`);
  }
}
log();
log(`load average at the end ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);
