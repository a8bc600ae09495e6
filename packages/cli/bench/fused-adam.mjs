// node packages/cli/bench/fused-adam.mjs (after npm run build): charlearn's teacher step (TeacherTrainer, MLP
// 2 -> 256x3 -> 2, batch 1024) with the fused Adam update kernel against Adam's op chain, alternating blocks of
// BENCH_STEPS steps in one process (setupWasmBackend({ fusedAdam })); prints the median step of each and their ratio
// per round. Env: BENCH_ROUNDS (default 6), BENCH_STEPS (default 10).
import os from 'node:os';
import { getTarget } from '@charlearn/data';
import { createMlp } from '@charlearn/nets';
import { TeacherTrainer } from '@charlearn/distill';
import { setupWasmBackend } from '@charlearn/backend-wasm';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const STEPS = Number(process.env.BENCH_STEPS ?? 10);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
await setupWasmBackend();
const trainer = new TeacherTrainer({ net: createMlp({ dim: 2, hidden: [256, 256, 256], seed: 1 }), dataset: getTarget('swiss-roll'), config: { batchSize: 1024 } });
for (let i = 0; i < 5; i++) trainer.trainStep();
const block = () => {
  const ts = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    trainer.trainStep();
    ts.push(performance.now() - t0);
  }
  return median(ts);
};
const ratios = [];
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 ? [false, true] : [true, false];
  const ms = {};
  for (const fusedAdam of order) {
    await setupWasmBackend({ fusedAdam });
    ms[fusedAdam] = block();
  }
  ratios.push(ms.true / ms.false);
  console.log(`round ${r + 1}: fused ${ms.true.toFixed(1)} ms, op chain ${ms.false.toFixed(1)} ms, ratio ${(ms.true / ms.false).toFixed(3)}`);
}
await setupWasmBackend({ fusedAdam: true });
console.log(`teacher step, fused Adam / op chain: median ratio ${median(ratios).toFixed(3)} over ${ROUNDS} rounds (load ${os.loadavg()[0].toFixed(1)})`);
trainer.dispose();
