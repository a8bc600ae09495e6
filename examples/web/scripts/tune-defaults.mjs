// node examples/web/scripts/tune-defaults.mjs '<settings JSON>' (after npm run build): the web app's run
// (src/trainer.ts's runTraining: the same library calls, seeds and noise) in Node on wasm, to choose the page's
// defaults (docs/tuning.md). At each milestone it prints the one-step samples' mode check on 8 Gaussians: the share of
// the page's 1,000 plotted points (seed 7) within 3 std of their nearest centre, the least share any one mode gets
// (12.5% each when all 8 are resolved), the modes' width against the data's (median distance to the nearest centre
// over the data's: 1 as wide, > 1 wider), and the exact W2 of 2,000 samples against held-out data (the CLI's protocol).
//   settings: { teacherSteps, distillSteps, batchSize, hidden, teacher: {...}, distill: {...} (over the page's configs),
//               teacherAt: [...], at: [...] (milestones), variants: [{...}, ...] (distillations from one teacher, over distill) }
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { Rng, useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { CharacteristicDistiller, sampleTeacher, TeacherTrainer } from '@charlearn/distill';
import { evaluationSamples } from '@charlearn/metrics';
import { createMlp } from '@charlearn/nets';
import { webRunConfigs } from '../src/run-config.mjs';
import { CENTRES, modeCheck, NEAR_RADIUS } from './mode-check.mjs';

/**
 * How wide the modes of points `xy` (`[n, 2]` flattened) are against the data's: the median distance to the nearest
 * centre over its value for 2-D Gaussians of the data's std (`std·√(2 ln 2)`): 1 as wide as the data, > 1 wider.
 *
 * @param {ArrayLike<number>} xy
 * @returns {number}
 */
function modeWidth(xy) {
  const d = [];
  for (let i = 0; i < xy.length / 2; i++) d.push(Math.min(...CENTRES.map(([cx, cy]) => Math.hypot(xy[2 * i] - cx, xy[2 * i + 1] - cy))));
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)] / ((NEAR_RADIUS / 3) * Math.sqrt(2 * Math.log(2)));
}

const s = { teacherSteps: 600, distillSteps: 200, batchSize: 256, hidden: [128, 128, 128], ...JSON.parse(process.argv[2] ?? '{}') };
await useBackend('wasm');
const target = getTarget('8gaussians');
const { w2 } = evaluationSamples(target, 2000, 0);

const report = (phase, step, sampler, t0) => {
  const z = new Rng(7).normalTensor([1000, 2]);
  const zEval = tf.tensor2d(evaluationSamples(target, 2000, 0).z, [2000, 2]);
  const x = sampler(z);
  const xe = sampler(zEval);
  const xy = x.dataSync();
  const m = modeCheck(xy);
  const line = { phase, step, seconds: +((performance.now() - t0) / 1000).toFixed(1), ...m, width: +modeWidth(xy).toFixed(2), w2: +w2(xe.dataSync()).toFixed(4) };
  tf.dispose([z, zEval, x, xe]);
  console.log(JSON.stringify(line));
};

const base = webRunConfigs(s);
const configs = { teacher: { ...base.teacher, ...s.teacher }, distill: { ...base.distill, ...s.distill } };
const t0 = performance.now();
const teacher = new TeacherTrainer({ net: createMlp({ dim: 2, hidden: [...s.hidden] }), dataset: target, seed: 0, config: configs.teacher });
const teacherAt = s.teacherAt ?? [];
for (let i = 1; i <= s.teacherSteps; i++) {
  await teacher.trainStepAsync();
  if (teacherAt.includes(i) && i < s.teacherSteps) report('teacher heun@19', i, (z) => sampleTeacher(teacher.fieldModel(), z, 'heun', 19).x, t0);
}
report('teacher heun@19', s.teacherSteps, (z) => sampleTeacher(teacher.fieldModel(), z, 'heun', 19).x, t0);
const at = s.at ?? [s.distillSteps];
// `variants`: several distillations (overrides over `distill`) from the one teacher, one after another
for (const variant of s.variants ?? [{}]) {
  const distill = { ...configs.distill, ...variant };
  const distiller = new CharacteristicDistiller({ teacher: teacher.ema.network, dataset: target, seed: 1, config: distill });
  const steps = distill.steps ?? s.distillSteps;
  // what the student learns from: the teacher's solve over the whole distillation grid, from the prior
  report(`teacher ${distill.teacherSolver} over grid ${distill.gridSize}`, 0, (z) => distiller.teacherRollout(z, 0, distiller.grid.length - 1).x, t0);
  for (let i = 1; i <= steps; i++) {
    await distiller.trainStepAsync();
    if (at.includes(i) || i === steps) report(s.variants ? `distill ${JSON.stringify(variant)}` : 'distill', i, (z) => distiller.sample(z, 1), t0);
  }
  distiller.dispose();
}
console.log(JSON.stringify({ settings: s, configs, wallSeconds: +((performance.now() - t0) / 1000).toFixed(1) }));
