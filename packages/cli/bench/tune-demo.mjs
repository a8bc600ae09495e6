// node packages/cli/bench/tune-demo.mjs [options] (after npm run build): the search behind the demo's budgets
// (docs/tuning.md). It runs `charlearn demo`'s pipeline in-process with the library (the demo preset's network, data,
// interpolant and seeds: teacher seed 0, distiller seed 1, the CLI's evaluation samples at seed 0) and records, at
// milestones, what the demo's `eval` would print: the teacher's best W2 over the same solvers x NFE budgets, and the
// one-step W2 of the distilled generator. W2 for a fixed seed is deterministic, so figures found here are the demo's;
// step times (ms per step, measured here) are only as good as the machine's load, which each record states.
//
//   --teacher JSON           teacher settings over the demo preset's (e.g. '{"steps":1500,"batchSize":256}')
//   --teacher-at a,b,...     teacher steps at which to evaluate it and keep its EMA weights (default: its steps)
//   --distill JSON           distillation settings over the demo preset's (e.g. '{"pairSource":"rollout-cache"}')
//   --distill-at a,b,...     distillation steps at which to evaluate the one-step generator (default: its steps)
//   --from STEP              distil from the teacher kept at that step (default: the last of --teacher-at), or
//                            STEP-emaD: its --shadow-ema D weights
//   --teacher-ckpt FILE      distil from a run's teacher.ckpt instead (e.g. out/<run>/teacher.ckpt of a `charlearn train`)
//   --lr-decay none|cosine|linear  the distillation learning rate after warm-up: constant (the library's), or decayed
//                            to --lr-floor x lr by the last step (emulated here by setting the step's lr; see docs/tuning.md)
//                            (the library's own `lrDecay` setting, which the demo preset's distill uses since 2026-12-02,
//                            applies on top: pass --distill '{"lrDecay":"constant"}' with it)
//   --teacher-lr-decay none|cosine|linear  the same for the teacher
//   --label NAME             the record's name
//   --seed N                 the run's seed, as `charlearn demo --set seed=N` (teacher seed N, distiller N + 1, the
//                            network's initialisation and the evaluation samples at N; default 0, the demo's)
//   --shadow-ema a,b,...     also keep EMAs of the teacher's online weights at these decays (the trainers' rule
//                            min(decay, (1+step)/(10+step))), evaluated and kept at each of --teacher-at: exact (the
//                            teacher's EMA does not feed back into its training)
//   --distill-shadow-ema a,b,...  the same for the distilled generator's one-step W2: only the sampler's side (there
//                            the EMA is also the consistency target, so a real run at that decay trains differently)
//   --time A_JSON B_JSON     instead: ms per distillation step of settings A against B (over the demo preset's, from
//                            --teacher-ckpt), alternating 5 steps each for 8 rounds after 3 warm-up steps; prints the
//                            median ratio B / A of the rounds (the load hits both alike)
// Teachers are cached in out/tune-demo/ by their settings; records are appended to out/tune-demo/results.jsonl.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { decodeTensors, encodeTensors, useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { characteristicMap, CharacteristicDistiller, CharacteristicTeacher, EmaNetwork, sampleFlowMap, sampleTeacher, TeacherTrainer, teacherGradientTask } from '@charlearn/distill';
import { loadCheckpoint, startGradientReplicas } from '@charlearn/distill/node';
import { evaluationSamples, exactW2 } from '@charlearn/metrics';
import { createRunNetwork, defaultRunConfig, DEMO_PRESET } from '@charlearn/cli';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const list = (s) => (s === undefined ? undefined : s.split(',').map(Number));
const teacherCfg = { ...DEMO_PRESET.teacher, ...JSON.parse(opt('teacher', '{}')) };
const distillCfg = { ...DEMO_PRESET.distill, ...JSON.parse(opt('distill', '{}')) };
const teacherAt = list(opt('teacher-at')) ?? [teacherCfg.steps];
const distillAt = list(opt('distill-at')) ?? [distillCfg.steps];
const from = String(opt('from', teacherAt[teacherAt.length - 1])); // a step, or '<step>-ema<decay>' for a --shadow-ema teacher
const lrDecay = opt('lr-decay', 'none');
const teacherLrDecay = opt('teacher-lr-decay', 'none');
const lrFloor = Number(opt('lr-floor', '0'));
const label = opt('label', '');
const seed = Number(opt('seed', '0'));
const shadowEma = list(opt('shadow-ema')) ?? [];
const distillShadowEma = list(opt('distill-shadow-ema')) ?? [];
const evalCfg = { ...defaultRunConfig().eval, ...DEMO_PRESET.eval };

const root = new URL('../../../', import.meta.url).pathname;
const out = join(root, 'out', 'tune-demo');
mkdirSync(out, { recursive: true });
await useBackend('wasm');
const target = getTarget(DEMO_PRESET.data.target);
const config = { ...defaultRunConfig(), seed };
const { floor, z: zArr, heldOut } = evaluationSamples(target, evalCfg.samples, config.seed);
// the same certified-optimal W2 as the protocol's (any neighbours value gives the optimum; 8 is faster here:
// packages/cli/bench/eval-profile.mjs), and one W2 for byte-identical point sets (every 1-NFE solve is the same)
const seen = new Map();
const w2 = (pts) => {
  const key = createHash('sha1').update(new Uint8Array(pts.buffer, pts.byteOffset, pts.byteLength)).digest('hex');
  if (!seen.has(key)) seen.set(key, exactW2(pts, heldOut, { neighbours: 8 }));
  return seen.get(key);
};
const z = tf.tensor2d(zArr, [evalCfg.samples, 2]);
const load = () => os.loadavg()[0];
const record = (r) => {
  const line = { label, seed, at: new Date().toISOString(), load1: +load().toFixed(2), ...r };
  appendFileSync(join(out, 'results.jsonl'), JSON.stringify(line) + '\n');
  console.log(JSON.stringify(line));
};

/** lr of a decayed schedule at `step` (after the linear warm-up, which the library applies itself). */
function decayedLr(kind, step, steps, warmup, lr) {
  if (kind === 'none' || step < warmup) return lr;
  const p = Math.min(1, (step - warmup) / Math.max(1, steps - warmup));
  const f = kind === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * p)) : 1 - p;
  return lr * (lrFloor + (1 - lrFloor) * f);
}

/** The CLI's teacher evaluation: every solver x NFE budget from z, its best. */
function teacherFigures(teacherNet) {
  const frozen = new CharacteristicTeacher({ teacher: teacherNet, dataset: target, interpolant: config.interpolant });
  const teacher = {};
  for (const solver of evalCfg.teacherSolvers) {
    for (const nfe of evalCfg.teacherNfe) {
      const r = sampleTeacher(frozen.teacherField, z, solver, nfe, { eps0: 0 });
      const pts = r.x.dataSync();
      r.x.dispose();
      teacher[`${solver}@${r.nfe}`] = w2(pts);
    }
  }
  const best = Object.entries(teacher).reduce((a, b) => (b[1] < a[1] ? b : a));
  return { best: { key: best[0], w2: best[1] }, teacher };
}

// Teacher: trained once per settings, its EMA weights kept at each of --teacher-at.
const teacherKey = createHash('sha1').update(JSON.stringify({ teacherCfg, teacherLrDecay, lrFloor: teacherLrDecay === 'none' ? 0 : lrFloor, ...(seed === 0 ? {} : { seed }) })).digest('hex').slice(0, 10);
const teacherFile = (step) => join(out, `teacher-${teacherKey}-${step}.bin`);
const teacherCkpt = opt('teacher-ckpt');
const timeAt = args.indexOf('--time');
if (timeAt >= 0) {
  const trainer = TeacherTrainer.fromCheckpoint(await loadCheckpoint(teacherCkpt, 'teacher'), target);
  const make = (json) => new CharacteristicDistiller({ teacher: trainer.ema.network, dataset: target, config: { ...DEMO_PRESET.distill, ...JSON.parse(json) }, interpolant: config.interpolant, seed: config.seed + 1 });
  const sides = [make(args[timeAt + 1]), make(args[timeAt + 2])];
  for (const d of sides) for (let i = 0; i < 3; i++) d.trainStep();
  const per = [[], []];
  for (let r = 0; r < 8; r++) {
    for (const k of r % 2 ? [1, 0] : [0, 1]) {
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) sides[k].trainStep();
      per[k].push((performance.now() - t0) / 5);
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  record({ phase: 'time', a: JSON.parse(args[timeAt + 1]), b: JSON.parse(args[timeAt + 2]), msA: med(per[0]), msB: med(per[1]), ratioBoverA: med(per[1].map((x, i) => x / per[0][i])) });
  process.exit(0);
}
if (!teacherCkpt && !teacherAt.every((s) => existsSync(teacherFile(s)) && shadowEma.every((e) => existsSync(teacherFile(`${s}-ema${e}`))))) {
  // the preset's replicas, as `charlearn demo` trains the teacher (a sharded gradient rounds differently)
  const net = createRunNetwork(config, [2]);
  const replicas = Number(DEMO_PRESET.replicas ?? 1);
  const gradients = replicas > 1 ? await startGradientReplicas({ replicas, task: teacherGradientTask(net, config.interpolant, target.sigmaData) }) : undefined;
  const trainer = new TeacherTrainer({ net, dataset: target, config: teacherCfg, interpolant: config.interpolant, seed: config.seed, ...(gradients ? { gradients } : {}) });
  const peak = teacherCfg.lr ?? 1e-3;
  const shadows = shadowEma.map((decay) => ({ decay, ema: new EmaNetwork(trainer.net) }));
  let ms = 0;
  for (let s = 0; s < Math.max(...teacherAt); ) {
    trainer.config.lr = decayedLr(teacherLrDecay, s, teacherCfg.steps, teacherCfg.warmupSteps, peak);
    const t0 = performance.now();
    trainer.trainStep();
    ms += performance.now() - t0;
    for (const sh of shadows) sh.ema.update(trainer.net, s, sh.decay);
    s++;
    if (teacherAt.includes(s)) {
      writeFileSync(teacherFile(s), encodeTensors(trainer.ema.network.getWeights(), {}));
      const f = teacherFigures(trainer.ema.network);
      record({ phase: 'teacher', teacher: teacherCfg, teacherLrDecay, step: s, msPerStep: +(ms / s).toFixed(2), floor, teacherBest: f.best, teacherW2: f.teacher });
      for (const sh of shadows) {
        writeFileSync(teacherFile(`${s}-ema${sh.decay}`), encodeTensors(sh.ema.network.getWeights(), {}));
        const g = teacherFigures(sh.ema.network);
        record({ phase: 'teacher-shadow', teacher: { ...teacherCfg, ema: sh.decay }, teacherLrDecay, step: s, floor, teacherBest: g.best, teacherW2: g.teacher });
      }
    }
  }
  shadows.forEach((sh) => sh.ema.dispose());
  trainer.dispose();
  await gradients?.close();
}

// Distillation from the teacher kept at --from.
if (opt('distill') !== undefined || opt('distill-at') !== undefined) {
  let teacherNet;
  if (teacherCkpt) {
    const trainer = TeacherTrainer.fromCheckpoint(await loadCheckpoint(teacherCkpt, 'teacher'), target);
    teacherNet = trainer.ema.network.clone();
    trainer.dispose();
  } else {
    teacherNet = createRunNetwork(config, [2]);
    teacherNet.setWeights(decodeTensors(new Uint8Array(readFileSync(teacherFile(from)))).arrays);
  }
  const f = teacherFigures(teacherNet);
  const d = new CharacteristicDistiller({ teacher: teacherNet, ownsTeacher: true, dataset: target, config: distillCfg, interpolant: config.interpolant, seed: config.seed + 1 });
  const peak = d.config.lr;
  const shadows = distillShadowEma.map((decay) => ({ decay, ema: new EmaNetwork(d.student) }));
  let ms = 0;
  for (let s = 0; s < Math.max(...distillAt); ) {
    d.config.lr = decayedLr(lrDecay, s, distillCfg.steps, d.config.warmupSteps, peak);
    const t0 = performance.now();
    d.trainStep();
    ms += performance.now() - t0;
    for (const sh of shadows) sh.ema.update(d.student, s, sh.decay);
    s++;
    if (distillAt.includes(s)) {
      for (const sh of shadows) {
        const x1 = sampleFlowMap(characteristicMap(sh.ema.network, d.interpolant, d.sigmaData), z, 1, { eps0: d.config.eps0, eps1: d.config.eps1, start: evalCfg.start });
        const oneStep = w2(x1.dataSync());
        x1.dispose();
        record({ phase: 'distill-shadow', teacher: teacherCfg, teacherStep: teacherCkpt ?? from, distill: { ...distillCfg, samplerEma: sh.decay }, lrDecay, lrFloor, step: s, floor, teacherBest: f.best, oneStep, ratio: +(oneStep / f.best.w2).toFixed(4) });
      }
    }
    if (distillAt.includes(s)) {
      const x1 = d.sample(z, 1, { start: evalCfg.start });
      const x2 = d.sample(z, 2, { start: evalCfg.start });
      const oneStep = w2(x1.dataSync());
      const twoStep = w2(x2.dataSync());
      tf.dispose([x1, x2]);
      record({
        phase: 'distill',
        teacher: teacherCfg,
        teacherLrDecay,
        teacherStep: teacherCkpt ?? from,
        distill: distillCfg,
        lrDecay,
        lrFloor,
        step: s,
        msPerStep: +(ms / s).toFixed(2),
        floor,
        teacherBest: f.best,
        oneStep,
        twoStep,
        ratio: +(oneStep / f.best.w2).toFixed(4),
      });
    }
  }
  shadows.forEach((sh) => sh.ema.dispose());
  d.dispose();
}
z.dispose();
