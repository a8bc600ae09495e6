// node packages/cli/bench/bench-pairs.mjs [--quick] (after npm run build): on-the-fly characteristic pairs against
// pairs from the rollout cache (CharacteristicDistiller's `pairSource`), at equal training wall time.
//
// One teacher (the demo's MLP 3x256 on the swiss roll; BENCH_TEACHER_STEPS at batch 512, kept in
// out/bench-pairs/teacher.bin for reruns), then one distiller per pair policy, all at the demo's distillation
// settings (batch 256). The distillers train in turns of BENCH_SLICE seconds each (so load from elsewhere hits them
// alike) and each one's one-step W2 (2,000 samples against 2,000 held-out points, normalised coordinates, the CLI's
// protocol) is taken whenever its own training time passes a milestone (evaluation time not counted). Reports ms per
// step, teacher evaluations per step and W2 at each milestone against the teacher's best and the data floor; writes
// the section between <!-- pairs:start --> / <!-- pairs:end --> of docs/bench-torch.md.
// Env: BENCH_TEACHER_STEPS (default 2000), BENCH_BUDGET (seconds of training a policy, default 90), BENCH_SLICE (5).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { decodeTensors, encodeTensors, Rng, useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { createMlp } from '@charlearn/nets';
import { CharacteristicDistiller, sampleTeacher, TeacherTrainer } from '@charlearn/distill';
import { exactW2 } from '@charlearn/metrics';

const root = new URL('../../../', import.meta.url).pathname;
const out = join(root, 'out', 'bench-pairs');
const quick = process.argv.includes('--quick');
const teacherSteps = Number(process.env.BENCH_TEACHER_STEPS ?? (quick ? 300 : 2000));
const budget = Number(process.env.BENCH_BUDGET ?? (quick ? 20 : 90));
const slice = Number(process.env.BENCH_SLICE ?? 5);
const milestones = [1, 2, 3].map((k) => (k * budget) / 3);
const MLP = { dim: 2, hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: 64, seed: 0 };
const DISTILL = { batchSize: 256, warmupSteps: 100 };
const POLICIES = [
  ['on-the-fly', {}],
  ['cache 512 trajectories, lifetime 4 (128 solves a step)', { pairSource: 'rollout-cache', rolloutCache: { trajectories: 512, lifetime: 4 } }],
  ['cache 1024, lifetime 16 (64 a step)', { pairSource: 'rollout-cache', rolloutCache: { trajectories: 1024, lifetime: 16 } }],
  ['cache 2048, lifetime 16 (128 a step)', { pairSource: 'rollout-cache', rolloutCache: { trajectories: 2048, lifetime: 16 } }],
];

await useBackend('wasm');
mkdirSync(out, { recursive: true });
const target = getTarget('swiss-roll');
// The CLI's evaluation protocol (evaluate.ts) at seed 0: held-out points, the data-vs-data floor, the prior sample.
const heldOut = target.sampleArray(2000, new Rng(1001));
const floor = exactW2(target.sampleArray(2000, new Rng(2002)), heldOut);
const zArr = new Rng(3003).normalArray(2000 * 2);
const z = tf.tensor2d(zArr, [2000, 2]);
const w2Of = (x) => {
  const v = x.dataSync();
  x.dispose();
  return exactW2(v, heldOut);
};

// Teacher: trained once, kept.
const teacherFile = join(out, `teacher-${teacherSteps}.bin`);
const teacher = createMlp(MLP);
if (existsSync(teacherFile)) {
  teacher.setWeights(decodeTensors(new Uint8Array(readFileSync(teacherFile))).arrays);
} else {
  const t0 = performance.now();
  const trainer = new TeacherTrainer({ net: createMlp(MLP), dataset: target, config: { steps: teacherSteps, batchSize: 512, warmupSteps: 300 }, seed: 0 });
  for (let i = 0; i < teacherSteps; i++) trainer.trainStep();
  teacher.setWeights(trainer.ema.network.getWeights());
  trainer.dispose();
  writeFileSync(teacherFile, encodeTensors(teacher.getWeights(), {}));
  console.log(`teacher: ${teacherSteps} steps in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
const probe = new TeacherTrainer({ net: teacher.clone(), dataset: target, seed: 0 });
probe.ema.network.setWeights(teacher.getWeights());
const teacherW2 = {};
for (const nfe of [5, 10, 20, 50]) teacherW2[`exp-integrator-edm@${nfe}`] = w2Of(sampleTeacher(probe.fieldModel(), z, 'exp-integrator-edm', nfe).x);
for (const nfe of [51, 101]) teacherW2[`heun@${nfe}`] = w2Of(sampleTeacher(probe.fieldModel(), z, 'heun', nfe).x);
probe.dispose();
const teacherBest = Math.min(...Object.values(teacherW2));
console.log(`floor ${floor.toFixed(4)}; teacher ${Object.entries(teacherW2).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}; best ${teacherBest.toFixed(4)}`);

const runs = POLICIES.map(([label, config]) => ({
  label,
  distiller: new CharacteristicDistiller({ teacher, dataset: target, config: { ...DISTILL, ...config }, seed: 0 }),
  trainMs: 0,
  steps: 0,
  nfe: 0,
  w2: [],
}));
while (runs.some((r) => r.w2.length < milestones.length)) {
  for (const r of runs) {
    if (r.w2.length >= milestones.length) continue;
    const goal = Math.min(r.trainMs + slice * 1000, milestones[r.w2.length] * 1000);
    while (r.trainMs < goal) {
      const t0 = performance.now();
      const s = r.distiller.trainStep();
      r.trainMs += performance.now() - t0;
      r.steps++;
      r.nfe += s.teacherNfe;
    }
    if (r.trainMs >= milestones[r.w2.length] * 1000) {
      r.w2.push({ seconds: r.trainMs / 1000, steps: r.steps, w2: w2Of(r.distiller.sample(z, 1)) });
      console.log(`  ${r.label}: ${r.steps} steps in ${(r.trainMs / 1000).toFixed(0)} s, one-step W2 ${r.w2.at(-1).w2.toFixed(4)} (${(r.w2.at(-1).w2 / teacherBest).toFixed(2)}x teacher's best)`);
    }
  }
}

const lines = [
  `Teacher: MLP 3x256, ${teacherSteps} steps at batch 512 on the swiss roll; its best W2 ${teacherBest.toFixed(4)} (${Object.entries(teacherW2).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}); data floor ${floor.toFixed(4)}. Distillation at the demo's settings (batch 256), ${budget} s of training for each policy, in turns of ${slice} s. Load average ${os.loadavg()[0].toFixed(1)}${os.loadavg()[0] > 1.5 ? ' (shared machine)' : ''}. Reproduce: \`node packages/cli/bench/bench-pairs.mjs\`.`,
  '',
  `| pairs | ms/step | teacher evaluations/step (batched calls) | steps in ${budget} s | ${milestones.map((m) => `W2 at ${m.toFixed(0)} s`).join(' | ')} | final / teacher's best |`,
  `|---|---:|---:|---:|${milestones.map(() => '---:').join('|')}|---:|`,
  ...runs.map((r) => `| ${r.label} | ${(r.trainMs / r.steps).toFixed(1)} | ${(r.nfe / r.steps).toFixed(1)} | ${r.steps} | ${r.w2.map((w) => w.w2.toFixed(4)).join(' | ')} | ${(r.w2.at(-1).w2 / teacherBest).toFixed(2)}x |`),
];
console.log(`\n${lines.join('\n')}`);
writeFileSync(join(out, 'pairs.json'), `${JSON.stringify({ teacherW2, teacherBest, floor, budget, runs: runs.map(({ distiller, ...r }) => r) }, null, 2)}\n`);
const docPath = join(root, 'docs', 'bench-torch.md');
const [open, close] = ['<!-- pairs:start -->', '<!-- pairs:end -->'];
let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# charlearn vs PyTorch on the same CPU\n';
const section = `${open}\n## Characteristic pairs: on the fly vs the rollout cache\n\n${lines.join('\n')}\n${close}`;
const i = doc.indexOf(open);
const j = doc.indexOf(close);
doc = i >= 0 && j > i ? doc.slice(0, i) + section + doc.slice(j + close.length) : `${doc.trimEnd()}\n\n${section}\n`;
writeFileSync(docPath, doc);
for (const r of runs) r.distiller.dispose();
teacher.dispose();
z.dispose();
