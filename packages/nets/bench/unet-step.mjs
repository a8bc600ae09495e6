// Training-step benchmark of the image networks on the wasm backend (uses the built dist/):
//
//   npm run build -w @charlearn/nets && node packages/nets/bench/unet-step.mjs
//
// One step = forward + backward of the EDM denoising loss (Föllmer interpolant, EDM weighting)
// w.r.t. every variable + an Adam update, batch 64, 28x28x1, for
//   - a U-Net: channels 32, channelMult [1, 2, 2], numResBlocks BENCH_RES (default 1), attention at 7x7, 1 head
//   - a DiT:   patch 4, hidden 128, depth 4, 4 heads, mlpRatio 4
// Also the forward alone. GFLOP counts convolutions, matrix products and attention products only
// (forward; a training step is ~3x the forward: dX and dW each cost about one forward).
//
// Env: BENCH_STEPS (timed steps, default 5), BENCH_BATCH (default 64), BENCH_RES (U-Net res blocks, default 1),
//      BENCH_CHANNELS (U-Net base channels, default 32), BENCH_ONLY=unet|dit, BENCH_PROFILE=1 (print the most
//      expensive kernels of one step), BENCH_BACKENDS=wasm,cpu (run each on every listed backend in this one
//      process and print the time ratio to the first; the stock cpu backend gets 1 timed step, no warm-up).
//
//   BENCH_ONLY=unet BENCH_BACKENDS=wasm,cpu node packages/nets/bench/unet-step.mjs   # issue 4: wasm vs cpu
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import { Rng, denoiserMatchingLoss, edmDenoiser, follmer, sampleTrainingTimes, useBackend } from '@charlearn/core';
import { createNetwork, unetPlan } from '../dist/index.js';

const STEPS = Number(process.env.BENCH_STEPS ?? 5);
const BATCH = Number(process.env.BENCH_BATCH ?? 64);
const RES = Number(process.env.BENCH_RES ?? 1);
const ONLY = process.env.BENCH_ONLY;
const PROFILE = process.env.BENCH_PROFILE === '1';
const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 32);
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'wasm').split(',');

await useBackend('wasm');

const UNET = { kind: 'unet', sampleShape: [28, 28, 1], channels: CHANNELS, channelMult: [1, 2, 2], numResBlocks: RES, attentionResolutions: [7], heads: 1, groups: 8, seed: 1 };
const DIT = { kind: 'dit', sampleShape: [28, 28, 1], patchSize: 4, hidden: 128, depth: 4, heads: 4, mlpRatio: 4, seed: 1 };

/** Forward multiply-adds ×2 of the U-Net's convolutions, 1x1 projections and attention. */
function unetFlops(spec, b) {
  const [H, , C] = spec.sampleShape;
  let h = H;
  let f = 0;
  const conv = (cin, cout) => 2 * b * h * h * 9 * cin * cout;
  for (const s of unetPlan(spec)) {
    if (s.op === 'in') f += conv(C, spec.channels);
    else if (s.op === 'down') h /= 2;
    else if (s.op === 'up') h *= 2;
    else if (s.op === 'res') f += conv(s.cin, s.cout) + conv(s.cout, s.cout) + (s.cin !== s.cout ? 2 * b * h * h * s.cin * s.cout : 0);
    else if (s.op === 'attn') f += 2 * b * h * h * 4 * s.channels * s.channels + 2 * 2 * b * (h * h) ** 2 * s.channels;
    else if (s.op === 'out') f += conv(spec.channels * spec.channelMult[0], C);
  }
  return f;
}

function ditFlops(spec, b) {
  const { hidden: d, depth, patchSize: p, mlpRatio, sampleShape } = spec;
  const n = (sampleShape[0] / p) * (sampleShape[1] / p);
  const pc = p * p * sampleShape[2];
  const block = 2 * b * n * (3 * d * d + d * d + 2 * d * d * mlpRatio) + 2 * 2 * b * n * n * d;
  return 2 * b * n * pc * d * 2 + depth * block;
}

const median = (xs) => [...xs].sort((a, c) => a - c)[xs.length >> 1];

async function bench(label, spec, flops) {
  const net = createNetwork(spec);
  const rng = new Rng(1);
  const x1 = rng.normalTensor([BATCH, 28, 28, 1]);
  const D = edmDenoiser((x, c) => net.apply(x, c), follmer);
  const opt = tf.train.adam(1e-3);
  const step = () => {
    const [z, t] = [rng.normalTensor([BATCH, 28, 28, 1]), sampleTrainingTimes(BATCH, rng, { eps0: 1e-3, eps1: 1e-3 })];
    const cost = opt.minimize(() => denoiserMatchingLoss({ denoiser: D, x1, z, t, interpolant: follmer }), true, net.trainableVariables());
    cost.dataSync();
    tf.dispose([z, t, cost]);
  };
  const c = tf.fill([BATCH], 500);
  const forward = () => tf.tidy(() => net.apply(x1, c).dataSync());
  const stock = tf.getBackend() === 'cpu';
  const steps = stock ? 1 : STEPS;
  for (let i = 0; i < (stock ? 0 : 2); i++) step();
  const n0 = tf.memory().numTensors;
  const times = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  const leak = tf.memory().numTensors - n0;
  if (!stock) forward();
  const ftimes = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    forward();
    ftimes.push(performance.now() - t0);
  }
  const ms = median(times);
  const fms = median(ftimes);
  const gf = flops / 1e9;
  console.log(
    `${label}: ${net.parameterCount().toLocaleString('en')} parameters; forward ${fms.toFixed(0)} ms (${gf.toFixed(2)} GFLOP, ${(gf / (fms / 1000)).toFixed(1)} GFLOP/s); ` +
      `train step ${ms.toFixed(0)} ms (~${(3 * gf).toFixed(2)} GFLOP, ${((3 * gf) / (ms / 1000)).toFixed(1)} GFLOP/s); tensors leaked/step ${leak / steps}`,
  );
  if (PROFILE) {
    const prof = await tf.profile(step);
    const agg = {};
    for (const k of prof.kernels) {
      agg[k.name] ??= { n: 0, ms: 0 };
      agg[k.name].n++;
      agg[k.name].ms += await k.kernelTimeMs;
    }
    for (const [k, v] of Object.entries(agg).sort((a, b2) => b2[1].ms - a[1].ms).slice(0, 12)) console.log(`  ${k.padEnd(24)} ×${String(v.n).padStart(4)} ${v.ms.toFixed(1)} ms`);
  }
  opt.dispose();
  tf.dispose([x1, c]);
  net.dispose();
  return ms;
}

console.log(`Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), tfjs ${tf.version_core}, backend ${tf.getBackend()}, batch ${BATCH}, median of ${STEPS}; load ${os.loadavg()[0].toFixed(1)}`);
const stepMs = {};
for (const backend of BACKENDS) {
  await tf.setBackend(backend);
  console.log(`backend ${tf.getBackend()}`);
  if (ONLY !== 'dit') (stepMs.unet ??= []).push(await bench(`  U-Net 28x28x1 ch ${CHANNELS} mult [1,2,2] ${RES} res/level attn@7`, UNET, unetFlops({ ...UNET, twoTime: false }, BATCH)));
  if (ONLY !== 'unet') (stepMs.dit ??= []).push(await bench('  DiT 28x28x1 patch 4 hidden 128 depth 4 heads 4', DIT, ditFlops(DIT, BATCH)));
}
if (BACKENDS.length > 1) {
  for (const [net, ms] of Object.entries(stepMs)) {
    console.log(`${net} train step: ${BACKENDS.map((b, i) => `${b} ${(ms[i] / 1000).toFixed(2)} s`).join(', ')}; ${BACKENDS.slice(1).map((b, i) => `${b}/${BACKENDS[0]} = ${(ms[i + 1] / ms[0]).toFixed(1)}x`).join(', ')}`);
  }
}
console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
