// node packages/cli/bench/demo-step-costs.mjs [rounds] (after npm run build): the cost of one distillation step of the
// demo preset (batch 256, its rollout cache) against one teacher step (batch 512), the ratio that sets how many
// distillation steps a teacher step buys inside the demo's 2-minute budget (docs/tuning.md, "Fifth session"). Both
// trainers live in one process on the wasm backend; after 20 warm-up steps each, they alternate blocks of 16 steps
// (one cache refresh per distillation block, as in the run) for `rounds` rounds (default 12), A/B then B/A, and the
// script prints the median ms per step of each and the median of the rounds' ratios distillation / teacher (the
// load hits both alike), and the first distillation step's ms (it fills the rollout cache: a one-off cost that
// does not depend on the step count). The networks are untrained: a step's cost does not depend on the weights.
import os from 'node:os';
import '@charlearn/backend-wasm';
import { useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { CharacteristicDistiller, TeacherTrainer } from '@charlearn/distill';
import { createRunNetwork, defaultRunConfig, DEMO_PRESET } from '@charlearn/cli';

const rounds = Number(process.argv[2] ?? 12);
const block = 16;
await useBackend('wasm');
const target = getTarget(DEMO_PRESET.data.target);
const config = defaultRunConfig();
const long = { steps: 1_000_000 }; // a constant lr over the measured steps: the schedule does not change a step's cost
const teacher = new TeacherTrainer({ net: createRunNetwork(config, [2]), dataset: target, config: { ...DEMO_PRESET.teacher, ...long }, interpolant: config.interpolant, seed: 0 });
const distiller = new CharacteristicDistiller({ teacher: createRunNetwork(config, [2]), ownsTeacher: true, dataset: target, config: { ...DEMO_PRESET.distill, ...long }, interpolant: config.interpolant, seed: 1 });
const sides = [() => teacher.trainStep(), () => distiller.trainStep()];
for (let i = 0; i < 20; i++) sides[0]();
const fill0 = performance.now();
sides[1](); // the first step also fills the rollout cache (the same in every run of the preset's cache settings)
const firstDistillMs = performance.now() - fill0;
for (let i = 0; i < 19; i++) sides[1]();
const msPerStep = [[], []];
for (let r = 0; r < rounds; r++) {
  for (const k of r % 2 ? [1, 0] : [0, 1]) {
    const t0 = performance.now();
    for (let i = 0; i < block; i++) sides[k]();
    msPerStep[k].push((performance.now() - t0) / block);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(JSON.stringify({
  at: new Date().toISOString(),
  load1: +os.loadavg()[0].toFixed(2),
  rounds,
  teacherMs: +median(msPerStep[0]).toFixed(2),
  distillMs: +median(msPerStep[1]).toFixed(2),
  firstDistillMs: +firstDistillMs.toFixed(1),
  distillOverTeacher: +median(msPerStep[1].map((x, i) => x / msPerStep[0][i])).toFixed(3),
}));
teacher.dispose();
distiller.dispose();
