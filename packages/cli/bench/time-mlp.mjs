// node packages/cli/bench/time-mlp.mjs (after npm run build): the time MLP once per distinct time (issue 19), A/B in one
// process. A computes every time feature per row (the networks wrapped so that their time inputs lose the
// `isUniformBatch` mark: a `tf.clone`, one Identity kernel per time input), B is the library as it is (one time for
// the batch: the time MLP on one row, broadcast). Rows, as bench-torch.mjs's:
//   sample         one-step sampling g(eps0, 1, z) of the two-time MLP 3x256 (its s path at zero, as toTwoTime makes it),
//                  2,000 points, read back
//   distill-cache  CharacteristicDistiller.trainStep() at batch 1024, pairs from the rollout cache (default policy);
//                  teacher and student wrapped alike, the same seeds on both sides (the same draws)
// For each row: kernels per call (tf.profile) on each side, then BENCH_ROUNDS rounds alternating the sides (the order
// swaps every round), BENCH_CALLS calls each; prints medians and the median of the per-round B/A ratios, with the
// load average. Wall times on a shared machine are indicative; the load-independent figure is the instruction count:
//   valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file=/tmp/cg node packages/cli/bench/time-mlp.mjs --only B --row sample --calls 5
// (and --calls 12; the main thread's file, /tmp/cg-01: the difference of the two totals / 7 is one call's instructions;
// --only A for the per-row side). Whole-process totals include V8's compiler and GC threads and do not repeat.
// Env: BENCH_ROWS (sample,distill-cache), BENCH_ROUNDS (7), BENCH_CALLS (sample 10, distill-cache 3).
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { follmer, isUniformBatch, Rng, useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { createMlp } from '@charlearn/nets';
import { CharacteristicDistiller, characteristicMap, sampleFlowMap } from '@charlearn/distill';

const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const only = arg('--only', null);
const rows = (arg('--row', null) ?? process.env.BENCH_ROWS ?? 'sample,distill-cache').split(',');
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
await useBackend('wasm');

/** `net` with its time inputs stripped of the uniform mark (side A: the per-row time MLP). */
function perRowTimes(net) {
  const strip = (c) => (c !== undefined && isUniformBatch(c) ? tf.clone(c) : c);
  return new Proxy(net, {
    get(target, prop, receiver) {
      if (prop === 'apply') return (x, c, cs) => tf.tidy(() => target.apply(x, strip(c), strip(cs)));
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(receiver) : v;
    },
  });
}

/** The call of `row` for one side: `perRow` true is A. */
function makeCall(row, perRow) {
  const wrap = (net) => (perRow ? perRowTimes(net) : net);
  if (row === 'sample') {
    const student = createMlp(MLP).toTwoTime();
    const g = characteristicMap(wrap(student), follmer, 1);
    const z = new Rng(5).normalTensor([2000, 2]);
    return () => {
      const x = sampleFlowMap(g, z, 1, { eps0: 1e-3, eps1: 1e-3 });
      x.dataSync();
      x.dispose();
    };
  }
  if (row === 'distill-cache') {
    const teacher = createMlp(MLP);
    const distiller = new CharacteristicDistiller({ teacher: wrap(teacher), student: wrap(teacher.toTwoTime()), dataset: getTarget('swiss-roll'), config: { batchSize: 1024, pairSource: 'rollout-cache' } });
    return () => distiller.trainStep();
  }
  throw new Error(`unknown row '${row}' (rows: sample, distill-cache)`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const callsOf = (row) => Number(process.env.BENCH_CALLS ?? (row === 'sample' ? 10 : 3));

if (only) {
  // One side, warm-up then --calls N calls (for callgrind: run N = 2 and N = 5, difference / 3).
  if (only !== 'A' && only !== 'B') throw new Error('--only takes A (per-row times) or B (one time for the batch)');
  const call = makeCall(rows[0], only === 'A');
  for (let i = 0; i < 2; i++) call();
  const n = Number(arg('--calls', 2));
  for (let i = 0; i < n; i++) call();
  console.log(JSON.stringify({ row: rows[0], side: only, calls: n, tensors: tf.memory().numTensors }));
  process.exit(0);
}

console.log(`time-mlp.mjs ${new Date().toISOString()}: ${os.cpus().length} cores, Node ${process.version}, tfjs ${tf.version_core}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const row of rows) {
  const sides = { A: makeCall(row, true), B: makeCall(row, false) };
  const kernels = {};
  for (const [side, call] of Object.entries(sides)) {
    for (let i = 0; i < 3; i++) call();
    const before = tf.memory().numTensors;
    const info = await tf.profile(() => call());
    kernels[side] = info.kernels.filter((k) => k.name !== 'unnamed scope').length;
    if (tf.memory().numTensors !== before) throw new Error(`${row} ${side}: ${tf.memory().numTensors - before} tensors leaked`);
  }
  const ms = { A: [], B: [] };
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    const round = {};
    for (const side of r % 2 ? ['B', 'A'] : ['A', 'B']) {
      const t = [];
      for (let i = 0; i < callsOf(row); i++) {
        const t0 = performance.now();
        sides[side]();
        t.push(performance.now() - t0);
      }
      round[side] = median(t);
      ms[side].push(round[side]);
    }
    ratios.push(round.B / round.A);
  }
  console.log(
    `${row}: kernels a call A (per-row) ${kernels.A}, B (shared time) ${kernels.B}; median ms A ${median(ms.A).toFixed(2)}, B ${median(ms.B).toFixed(2)}; B/A ${median(ratios).toFixed(3)} (rounds ${ratios.map((x) => x.toFixed(3)).join(' ')}); load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
}
