// npm run bench:ceiling [-- --quick]: the floor this CPU puts under charlearn's teacher step, against PyTorch's teacher
// step, measured in one run (docs/bench-ceiling.md has the last table and how to read it).
//
// 1. One thread's GEMM throughput on [1024, 256] x [256, 256] (the teacher MLP's hidden product): PyTorch at one
//    thread (bench_gemm.py) and charlearn's wasm GEMM (this file with --child), each alone and as two processes
//    multiplying at once (both cores busy; a barrier starts them together), the order of the four turning every round.
// 2. The teacher step's matrix-product work, counted from the kernels of one charlearn step (tf.profile: 2·M·N·K over
//    every BatchMatMul and fused dense kernel; K = the left operand's size / (batch · M), whatever the transposes).
// 3. The steps themselves: charlearn on one thread and on 2 gradient replicas, PyTorch (bench_torch.py) at 1 and 2
//    threads, in alternating turns.
// The floor is that work at the two wasm processes' summed throughput: what charlearn's step would take on both cores
// with a perfect split and nothing but products. Above PyTorch's best step, no wasm schedule reaches 1.0x here.
// Env: BENCH_ROUNDS (default 3, --quick 2), BENCH_SECONDS (GEMM seconds a turn, default 2), BENCH_WRITE_DOCS=0.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { useBackend } from '@charlearn/core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const [M, K, N] = [1024, 256, 256];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

if (process.argv[2] === '--child') {
  // the wasm side of a GEMM turn: the same protocol as bench_gemm.py
  await useBackend('wasm');
  const a = tf.randomNormal([M, K]);
  const b = tf.randomNormal([K, N]);
  for (let i = 0; i < 50; i++) tf.matMul(a, b).dispose();
  console.log(JSON.stringify({ ready: true }));
  await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
  let calls = 0;
  const t0 = performance.now();
  let dt = 0;
  do {
    for (let i = 0; i < 10; i++) tf.matMul(a, b).dispose();
    calls += 10;
    dt = (performance.now() - t0) / 1000;
  } while (dt < SECONDS);
  console.log(JSON.stringify({ gflops: (2 * M * K * N * calls) / dt / 1e9, calls }));
  process.exit(0);
}

const { lineWorker, median, turnOrder } = await import('./bench-threads.mjs');
const { ensureTorch, python } = await import('./torch-env.mjs');
const { getTarget } = await import('@charlearn/data');
const { createMlp } = await import('@charlearn/nets');
const { TeacherTrainer, teacherGradientTask } = await import('@charlearn/distill');
const { startGradientReplicas } = await import('@charlearn/distill/node');

const quick = process.argv.includes('--quick');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 2 : 3));
const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
const PRODUCT_KERNELS = new Set(['BatchMatMul', '_FusedMatMul', 'CharlearnDenseSilu']);

/** Runs `count` GEMM processes of one side at once (each warms up, then all start at one signal); their GFLOP/s. */
async function gemmTurn(side, count) {
  const children = Array.from({ length: count }, (_, i) =>
    side === 'torch'
      ? lineWorker(`PyTorch GEMM ${i + 1}`, python, [join(here, 'bench_gemm.py'), '--seconds', String(SECONDS)])
      : lineWorker(`wasm GEMM ${i + 1}`, process.execPath, [fileURLToPath(import.meta.url), '--child']),
  );
  try {
    await Promise.all(children.map((c) => c.ready));
    return (await Promise.all(children.map((c) => c.ask({ go: true })))).map((r) => r.gflops);
  } finally {
    for (const c of children) c.close();
  }
}

/** The matrix-product FLOPs of one teacher step, from its kernels. */
async function teacherProductFlops(trainer) {
  const info = await tf.profile(() => {
    trainer.trainStep();
  });
  let flops = 0;
  let products = 0;
  for (const k of info.kernels) {
    if (!PRODUCT_KERNELS.has(k.name)) continue;
    const out = k.outputShapes[0];
    const [a] = k.inputShapes;
    const n = out.at(-1);
    const m = out.at(-2);
    const batch = out.slice(0, -2).reduce((p, q) => p * q, 1);
    const inner = a.reduce((p, q) => p * q, 1) / (batch * m);
    flops += 2 * batch * m * n * inner;
    products++;
  }
  return { flops, products };
}

ensureTorch();
await useBackend('wasm');
const dataset = getTarget('swiss-roll');
const config = { batchSize: 1024, warmupSteps: 200 };
const one = new TeacherTrainer({ net: createMlp(MLP), dataset, config });
const replicaNet = createMlp(MLP);
const gradients = await startGradientReplicas({ replicas: 2, task: teacherGradientTask(replicaNet, 'follmer', dataset.sigmaData) });
const two = new TeacherTrainer({ net: replicaNet, dataset, config, gradients });
for (let i = 0; i < 3; i++) {
  one.trainStep();
  two.trainStep();
}
const work = await teacherProductFlops(one);
const torch = [1, 2].map((t) => lineWorker(`PyTorch ${t} thread${t > 1 ? 's' : ''}`, python, [join(here, 'bench_torch.py'), '--threads', String(t)]));
await Promise.all(torch.map((w) => w.ready));

const STEPS = 6;
const ourStep = (trainer) => {
  const ms = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    trainer.trainStep();
    ms.push(performance.now() - t0);
  }
  return median(ms);
};
const turns = [
  { label: 'GEMM, PyTorch 1 thread alone', run: async () => gemmTurn('torch', 1) },
  { label: 'GEMM, 2 PyTorch processes at once', run: async () => gemmTurn('torch', 2) },
  { label: 'GEMM, charlearn wasm alone', run: async () => gemmTurn('wasm', 1) },
  { label: 'GEMM, 2 charlearn wasm processes at once', run: async () => gemmTurn('wasm', 2) },
  { label: 'teacher step, charlearn 1 thread', run: async () => [ourStep(one)] },
  { label: 'teacher step, charlearn 2 replicas', run: async () => [ourStep(two)] },
  { label: 'teacher step, PyTorch 1 thread', run: async () => [median((await torch[0].ask({ row: 'teacher', steps: STEPS, warmup: 2 })).ms)] },
  { label: 'teacher step, PyTorch 2 threads', run: async () => [median((await torch[1].ask({ row: 'teacher', steps: STEPS, warmup: 2 })).ms)] },
];
const results = turns.map(() => []);
const load0 = os.loadavg();
for (let r = 0; r < ROUNDS; r++) {
  for (const k of turnOrder(turns.length, r)) results[k].push(await turns[k].run());
  console.log(`round ${r + 1}/${ROUNDS}: ${turns.map((t, k) => `${t.label} ${results[k].at(-1).map((x) => x.toFixed(1)).join(' + ')}`).join('; ')}`);
}
const load1 = os.loadavg();
for (const w of torch) w.close();
await gradients.close();

/** Median over rounds of a turn's figure `f(values of one round)`. */
const over = (k, f = (v) => v[0]) => median(results[k].map(f));
const sum = (v) => v.reduce((a, b) => a + b, 0);
const gemm = { torch1: over(0), torch2: over(1, sum), wasm1: over(2), wasm2: over(3, sum) };
const steps = { ours1: over(4), ours2: over(5), torch1: over(6), torch2: over(7) };
const torchBest = Math.min(steps.torch1, steps.torch2);
const floor1 = (work.flops / (gemm.wasm1 * 1e9)) * 1000;
const floor2 = (work.flops / (gemm.wasm2 * 1e9)) * 1000;
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const lines = [
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpu} (${os.cpus().length} cores), ${ROUNDS} rounds, load average ${load0[0].toFixed(1)} -> ${load1[0].toFixed(1)}; medians over rounds.`,
  '',
  '| GEMM [1024, 256] x [256, 256], one thread a process | GFLOP/s | both cores busy vs one |',
  '|---|---:|---:|',
  `| PyTorch, 1 process | ${gemm.torch1.toFixed(1)} | |`,
  `| PyTorch, 2 processes at once (sum) | ${gemm.torch2.toFixed(1)} | ${(gemm.torch2 / gemm.torch1).toFixed(2)}x |`,
  `| charlearn wasm, 1 process | ${gemm.wasm1.toFixed(1)} | |`,
  `| charlearn wasm, 2 processes at once (sum) | ${gemm.wasm2.toFixed(1)} | ${(gemm.wasm2 / gemm.wasm1).toFixed(2)}x |`,
  `| PyTorch / charlearn, one process | ${(gemm.torch1 / gemm.wasm1).toFixed(2)}x | |`,
  '',
  `The teacher step (MLP 2 -> 256x3 -> 2, batch 1024) does ${(work.flops / 1e9).toFixed(3)} GFLOP in ${work.products} matrix products (counted from its kernels).`,
  '',
  '| teacher step | ms | vs PyTorch best |',
  '|---|---:|---:|',
  `| floor on 1 wasm thread (products only, at the GEMM's speed alone) | ${floor1.toFixed(1)} | ${(floor1 / torchBest).toFixed(2)}x |`,
  `| floor on 2 wasm threads (products only, perfect split, both-cores speed) | ${floor2.toFixed(1)} | ${(floor2 / torchBest).toFixed(2)}x |`,
  `| charlearn, 1 thread | ${steps.ours1.toFixed(1)} | ${(steps.ours1 / torchBest).toFixed(2)}x |`,
  `| charlearn, 2 gradient replicas | ${steps.ours2.toFixed(1)} | ${(steps.ours2 / torchBest).toFixed(2)}x |`,
  `| PyTorch, 1 thread | ${steps.torch1.toFixed(1)} | ${(steps.torch1 / torchBest).toFixed(2)}x |`,
  `| PyTorch, 2 threads | ${steps.torch2.toFixed(1)} | ${(steps.torch2 / torchBest).toFixed(2)}x |`,
  '',
  floor2 > torchBest
    ? `The 2-thread floor is ${(floor2 / torchBest).toFixed(2)}x PyTorch's best step: on this machine no wasm schedule of this step reaches 1.0x; charlearn's 2-replica step is ${(steps.ours2 / floor2).toFixed(2)}x its floor.`
    : `The 2-thread floor is ${(floor2 / torchBest).toFixed(2)}x PyTorch's best step: 1.0x is within wasm's reach here; charlearn's 2-replica step is ${(steps.ours2 / floor2).toFixed(2)}x its floor.`,
];
console.log(`\n${lines.join('\n')}`);
if (process.env.BENCH_WRITE_DOCS !== '0') {
  const head = [
    '# The ceiling under the teacher step',
    '',
    'Reproduce: `npm run bench:ceiling` (`node packages/cli/bench/bench-ceiling.mjs` after `npm run build`; PyTorch from',
    "Debian's `python3-torch`). It measures one thread's GEMM throughput for PyTorch and for charlearn's wasm GEMM, alone and",
    'as two processes at once, counts the matrix-product FLOPs of one charlearn teacher step from its kernels, and times',
    "the step on both sides. The *floor* is those FLOPs at the wasm GEMM's throughput: what a step would take with",
    'nothing but products, split perfectly over both cores. It bounds issue 19\'s "teacher step <= 1.0x PyTorch" from below.',
    '',
    '## Last run',
    '',
  ];
  writeFileSync(join(root, 'docs', 'bench-ceiling.md'), `${[...head, ...lines].join('\n')}\n`);
  console.log('wrote docs/bench-ceiling.md');
}
