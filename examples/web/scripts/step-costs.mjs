// node examples/web/scripts/step-costs.mjs '<variants JSON>' [rounds] [steps] (after npm run build): the web app's
// teacher and distillation steps (src/run-config.mjs's configs, the page's library calls) in Node on wasm, timed
// alternating in one process: `rounds` rounds of `steps` steps of each variant, so that the shared machine's load
// falls on all of them alike. Prints the median ms a step of each variant and its ratio to the first.
//   variants: [{ name, hidden, batchSize, teacher: {...}, distill: {...} }, ...] (over the page's configs)
// PHASES=teacher (or distill) times only that phase. A benchmark, not a test: the figures are indicative (docs/tuning.md says the load average of each run).
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { CharacteristicDistiller, TeacherTrainer } from '@charlearn/distill';
import { createMlp } from '@charlearn/nets';
import { WEB_DEFAULTS, webRunConfigs } from '../src/run-config.mjs';

const variants = JSON.parse(process.argv[2] ?? '[{"name":"default"}]');
const rounds = Number(process.argv[3] ?? 5);
const steps = Number(process.argv[4] ?? 10);
/** Phases to time (PHASES=teacher or PHASES=distill: only that one). */
const phases = (process.env.PHASES ?? 'teacher,distill').split(',');
await useBackend('wasm');
const target = getTarget('8gaussians');

/** A teacher and a distiller of one variant, warmed up by 3 steps each. */
async function build(v) {
  const s = { ...WEB_DEFAULTS, teacherSteps: 1000, distillSteps: 300, ...v };
  const base = webRunConfigs(s);
  const teacher = new TeacherTrainer({ net: createMlp({ dim: 2, hidden: [...s.hidden] }), dataset: target, seed: 0, config: { ...base.teacher, ...v.teacher } });
  const distiller = new CharacteristicDistiller({ teacher: teacher.ema.network, dataset: target, seed: 1, config: { ...base.distill, ...v.distill } });
  for (let i = 0; i < 3; i++) {
    await teacher.trainStepAsync();
    await distiller.trainStepAsync();
  }
  return { name: v.name, teacher, distiller, times: { teacher: [], distill: [] } };
}

const built = [];
for (const v of variants) built.push(await build(v));
const load0 = os.loadavg()[0];
for (let r = 0; r < rounds; r++) {
  for (const b of built) {
    for (const [phase, trainer] of [['teacher', b.teacher], ['distill', b.distiller]].filter(([p]) => phases.includes(p))) {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await trainer.trainStepAsync();
      b.times[phase].push((performance.now() - t0) / steps);
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const first = built[0];
for (const b of built) {
  const line = { name: b.name };
  for (const p of phases) {
    const m = median(b.times[p]);
    line[`${p}Ms`] = +m.toFixed(2);
    line[`${p}Ratio`] = +(m / median(first.times[p])).toFixed(3);
  }
  console.log(JSON.stringify(line));
}
console.log(JSON.stringify({ rounds, steps, load1: [+load0.toFixed(1), +os.loadavg()[0].toFixed(1)], tensors: tf.memory().numTensors }));
for (const b of built) {
  b.distiller.dispose();
  b.teacher.dispose();
}
