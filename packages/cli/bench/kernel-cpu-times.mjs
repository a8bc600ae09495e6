// node packages/cli/bench/kernel-cpu-times.mjs ['{"fusedDense": false}'] (after npm run build): this process's CPU
// time in each wasm kernel over many teacher steps (TeacherTrainer, MLP 2 -> 256x3 -> 2, 64-d time MLP, batch 1024),
// without tf.profile. Every kernel registered for wasm is wrapped in a timer (process.cpuUsage, which other
// processes on a shared machine inflate far less than the wall clock); a kernel that calls others on the backend is
// counted once, in the outermost. Kernels are grouped by name and by the size of their largest input ("big": >= 64k
// elements, the [1024, 256] activations and the weights; "small": per-sample coefficients, scalars). Prints the
// step's CPU time, the share inside kernels and the rest (engine dispatch, the gradient tape, allocation, JS).
// The argument is a JSON object of WasmBackendOptions. Env: BENCH_STEPS (timed steps, default 30).
import * as tf from '@tensorflow/tfjs-core';
import { setupWasmBackend } from '@charlearn/backend-wasm';
import { getTarget } from '@charlearn/data';
import { createMlp } from '@charlearn/nets';
import { TeacherTrainer } from '@charlearn/distill';

const STEPS = Number(process.env.BENCH_STEPS ?? 30);
const BIG = 65536;
const options = JSON.parse(process.argv[2] ?? '{}');
await setupWasmBackend(options);
const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 1 };
const trainer = new TeacherTrainer({ net: createMlp(MLP), dataset: getTarget('swiss-roll'), config: { batchSize: 1024 } });
for (let i = 0; i < 5; i++) trainer.trainStep();

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
/** `${kernel} big|small` -> calls and CPU ms over the timed steps. */
const stats = new Map();
let depth = 0;
for (const config of tf.getKernelsForBackend('wasm')) {
  const inner = config.kernelFunc;
  config.kernelFunc = (args) => {
    if (depth > 0) return inner(args);
    depth++;
    const t0 = cpuMs();
    try {
      return inner(args);
    } finally {
      depth--;
      const size = Math.max(0, ...Object.values(args.inputs ?? {}).map((t) => (t ? t.shape.reduce((p, d) => p * d, 1) : 0)));
      const key = `${config.kernelName} ${size >= BIG ? 'big' : 'small'}`;
      const entry = stats.get(key) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += cpuMs() - t0;
      stats.set(key, entry);
    }
  };
}

const c0 = cpuMs();
for (let i = 0; i < STEPS; i++) trainer.trainStep();
const step = (cpuMs() - c0) / STEPS;
const inKernels = [...stats.values()].reduce((a, e) => a + e.ms, 0) / STEPS;
const calls = [...stats.values()].reduce((a, e) => a + e.calls, 0) / STEPS;
console.log(`options ${JSON.stringify(options)}: teacher step ${step.toFixed(1)} ms CPU, ${inKernels.toFixed(1)} in ${calls} kernels, ${(step - inKernels).toFixed(1)} outside`);
console.log('kernel (largest input)'.padEnd(38), 'calls', '  ms/step');
for (const [key, e] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) {
  console.log(key.padEnd(38), String(e.calls / STEPS).padStart(5), (e.ms / STEPS).toFixed(2).padStart(9));
}
trainer.dispose();
