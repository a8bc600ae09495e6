// Benchmark of @charlearn/backend-wasm (uses the built dist/):
//
//   npm run build -w @charlearn/backend-wasm && npm run bench -w @charlearn/backend-wasm
//
// 1. One Adam step of an MLP 3->256->256->256->2 (SiLU, batch 1024, MSE) on
//    the cpu backend, stock wasm, and wasm with this package's fixes. The
//    wasm variants run interleaved (round-robin) so that load from other
//    processes on the machine hits them alike.
// 2. conv2d forward + backward, x [8,28,28,32], W [3,3,32,32], 'same'.
// 3. The individual kernels this package replaces, stock vs replacement.
//
// Env: BENCH_STEPS (timed steps per wasm row, default 20), BENCH_QUICK=1 (a smoke run).
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setupWasmBackend } from '@charlearn/backend-wasm';

const QUICK = process.env.BENCH_QUICK === '1';
const STEPS = Number(process.env.BENCH_STEPS ?? (QUICK ? 2 : 20));
const CPU_STEPS = QUICK ? 1 : 10;
const CEILING_GFLOPS = 42; // one wasm thread, 128-bit SIMD, this machine (shared/docs/environment.md)
const ORIGINAL = Symbol.for('@charlearn/backend-wasm/original-kernel');

const SIZES = [3, 256, 256, 256, 2];
const BATCH = 1024;

/** Deterministic uniform(-a, a). */
function uniform(n, a, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * a;
  }
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Per-call times (ms) of `f` after `warmup` untimed calls. */
function sample(f, n, warmup) {
  for (let i = 0; i < warmup; i++) f();
  const ts = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return ts;
}

// Matrix-product FLOPs of the step: forward 2*B*sum(n_i*n_{i+1}); backward twice that (dX and dW).
let fwdFlops = 0;
for (let i = 0; i + 1 < SIZES.length; i++) fwdFlops += 2 * BATCH * SIZES[i] * SIZES[i + 1];
const stepFlops = 3 * fwdFlops;
const gflops = (ms) => stepFlops / 1e9 / (ms / 1000);

const xData = uniform(BATCH * SIZES[0], 1, 1);
const yData = uniform(BATCH * SIZES.at(-1), 1, 2);
const wData = SIZES.slice(0, -1).map((n, i) => uniform(n * SIZES[i + 1], Math.sqrt(6 / (n + SIZES[i + 1])), 10 + i));

/** Times of Adam steps on the current backend. */
function mlpSteps(n, warmup) {
  const ws = wData.map((d, i) => tf.variable(tf.tensor2d(d, [SIZES[i], SIZES[i + 1]])));
  const bs = SIZES.slice(1).map((k) => tf.variable(tf.zeros([k])));
  const x = tf.tensor2d(xData, [BATCH, SIZES[0]]);
  const y = tf.tensor2d(yData, [BATCH, SIZES.at(-1)]);
  const opt = tf.train.adam(1e-3);
  const loss = () =>
    tf.tidy(() => {
      let h = x;
      for (let i = 0; i < ws.length; i++) {
        h = tf.add(tf.matMul(h, ws[i]), bs[i]);
        if (i < ws.length - 1) h = tf.mul(h, tf.sigmoid(h)); // SiLU
      }
      return tf.mean(tf.square(tf.sub(h, y)));
    });
  const ts = sample(
    () => {
      const cost = opt.minimize(loss, true);
      cost.dataSync();
      cost.dispose();
    },
    n,
    warmup,
  );
  opt.dispose();
  tf.dispose([...ws, ...bs, x, y]);
  return ts;
}

/** Times of conv2d forward + dx + dW. */
function convSteps(n, warmup) {
  const x = tf.tensor4d(uniform(8 * 28 * 28 * 32, 1, 3), [8, 28, 28, 32]);
  const w = tf.tensor4d(uniform(3 * 3 * 32 * 32, 0.1, 4), [3, 3, 32, 32]);
  const f = tf.grads((a, b) => tf.sum(tf.square(tf.conv2d(a, b, 1, 'same'))));
  const ts = sample(
    () => {
      const g = f([x, w]);
      g[1].dataSync();
      tf.dispose(g);
    },
    n,
    warmup,
  );
  tf.dispose([x, w]);
  return ts;
}

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const table = (head, rows) => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? pad(c, widths[i]) : lpad(c, widths[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => '-'.repeat(w + 1) + (i === 0 ? '-' : ':')).join('|')}|`);
  for (const r of rows) console.log(line(r));
};

// ---------------------------------------------------------------- MLP step
await setupWasmBackend({ matMulFix: 'none', fastReductions: false }); // also registers all gradients
const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');

await tf.setBackend('cpu');
const cpuMs = median(mlpSteps(CPU_STEPS, 1));

const MODES = [
  ['none', "wasm, stock kernels (matMulFix 'none', fastReductions off)", { matMulFix: 'none', fastReductions: false }],
  ['gradient', "wasm, MatMul gradient with explicit transposes ('gradient')", { matMulFix: 'gradient', fastReductions: false }],
  ['kernel', "wasm, transposing MatMul kernel ('kernel')", { matMulFix: 'kernel', fastReductions: false }],
  ['default', "wasm, 'kernel' + fastReductions (the default)", { matMulFix: 'kernel', fastReductions: true }],
];
const ROUNDS = QUICK ? 1 : 5;
const perRound = Math.max(1, Math.ceil(STEPS / ROUNDS));
const samples = Object.fromEntries(MODES.map(([m]) => [m, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [mode, , options] of MODES) {
    await setupWasmBackend(options);
    samples[mode].push(...mlpSteps(perRound, r === 0 ? 3 : 1));
  }
}
const ms = Object.fromEntries(MODES.map(([m]) => [m, median(samples[m])]));

console.log(`## MLP ${SIZES.join('->')}, SiLU, batch ${BATCH}, Adam: one training step (${(stepFlops / 1e9).toFixed(2)} GFLOP of matrix products)\n`);
console.log(
  `Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), wasm SIMD ${simd}, threads ${threads}; ` +
    `median of ${ROUNDS * perRound} steps per wasm row (${ROUNDS} interleaved rounds), ${CPU_STEPS} on cpu, after warm-up; ` +
    `load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`,
);
const pct = (g) => `${((g / CEILING_GFLOPS) * 100).toFixed(0)}%`;
table(
  ['backend', 'ms/step', 'GFLOP/s', `of ${CEILING_GFLOPS} GFLOP/s`],
  [['cpu (tfjs-backend-cpu)', cpuMs], ...MODES.map(([m, label]) => [label, ms[m]])].map(([label, t]) => [label, t.toFixed(1), gflops(t).toFixed(1), pct(gflops(t))]),
);
console.log(
  `\nstock / fixed: ${(ms.none / ms.default).toFixed(1)}x (MatMul fix alone: ${(ms.none / ms.kernel).toFixed(1)}x); ` +
    `'gradient' / 'kernel': ${(ms.gradient / ms.kernel).toFixed(2)}; cpu / fixed: ${(cpuMs / ms.default).toFixed(0)}x\n`,
);

// ---------------------------------------------------------------- conv2d
await tf.setBackend('cpu');
const convCpu = median(convSteps(QUICK ? 1 : 3, QUICK ? 0 : 1));
await setupWasmBackend({ matMulFix: 'kernel', fastReductions: true });
const convWasm = median(convSteps(STEPS, 3));
console.log(`## conv2d forward + backward (dx, dW): x [8,28,28,32], W [3,3,32,32], stride 1, 'same'\n`);
table(
  ['backend', 'ms'],
  [
    ['cpu', convCpu.toFixed(1)],
    ['wasm (stock wasm cannot: it has no Conv2DBackpropFilter)', convWasm.toFixed(1)],
  ],
);
console.log(`\ncpu / wasm: ${(convCpu / convWasm).toFixed(0)}x\n`);

// ---------------------------------------------------------------- kernels
const backend = tf.backend();
/**
 * Per-call times of a kernel config on fresh copies of its inputs (XNNPACK
 * caches packed weights by tensor id; in training every operand is new).
 */
function kernelTimes(config, inputs, attrs, n) {
  const ts = [];
  for (let i = 0; i < n + 3; i++) {
    const fresh = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, tf.clone(t)]));
    const t0 = performance.now();
    const out = config.kernelFunc({ inputs: fresh, backend, attrs });
    const t1 = performance.now();
    backend.disposeData(out.dataId);
    tf.dispose(Object.values(fresh));
    if (i >= 3) ts.push(t1 - t0);
  }
  return median(ts);
}
const kernelRow = (label, name, inputs, attrs) => {
  const current = tf.getKernel(name, 'wasm');
  const stock = current.kernelFunc[ORIGINAL];
  const n = QUICK ? 3 : 30;
  const tStock = stock ? kernelTimes(stock, inputs, attrs, n).toFixed(2) : 'missing';
  return [label, tStock, kernelTimes(current, inputs, attrs, n).toFixed(2)];
};
const a = tf.tensor2d(uniform(1024 * 256, 1, 5), [1024, 256]);
const d = tf.tensor2d(uniform(1024 * 256, 1, 6), [1024, 256]);
const w = tf.tensor2d(uniform(256 * 256, 1, 7), [256, 256]);
const d2 = tf.tensor2d(uniform(1024 * 2, 1, 8), [1024, 2]);
const cx = tf.tensor4d(uniform(8 * 28 * 28 * 32, 1, 9), [8, 28, 28, 32]);
const cw = tf.tensor4d(uniform(3 * 3 * 32 * 32, 0.1, 10), [3, 3, 32, 32]);
const convAttrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC' };
console.log('## Kernels replaced on wasm (ms per call on fresh inputs, median of 30)\n');
table(
  ['kernel call', 'stock wasm', '@charlearn/backend-wasm'],
  [
    kernelRow('BatchMatMul [1024,256] x [256,256]', 'BatchMatMul', { a, b: w }, { transposeA: false, transposeB: false }),
    kernelRow('BatchMatMul [1024,256] x [256,256]^T (dX)', 'BatchMatMul', { a: d, b: w }, { transposeA: false, transposeB: true }),
    kernelRow('BatchMatMul [1024,256]^T x [1024,256] (dW)', 'BatchMatMul', { a, b: d }, { transposeA: true, transposeB: false }),
    kernelRow('BatchMatMul [1024,256]^T x [1024,2] (dW, last layer)', 'BatchMatMul', { a, b: d2 }, { transposeA: true, transposeB: false }),
    kernelRow('Sum [1024,256] axis 0 (bias gradient)', 'Sum', { x: d }, { axis: [0], keepDims: false }),
    kernelRow('Conv2DBackpropInput dy [8,28,28,32], W 3x3x32x32', 'Conv2DBackpropInput', { dy: cx, filter: cw }, { ...convAttrs, inputShape: [8, 28, 28, 32] }),
    kernelRow('Conv2DBackpropFilter x, dy [8,28,28,32] -> 3x3x32x32', 'Conv2DBackpropFilter', { x: cx, dy: cx }, { ...convAttrs, filterShape: [3, 3, 32, 32] }),
  ],
);
tf.dispose([a, d, w, d2, cx, cw]);
