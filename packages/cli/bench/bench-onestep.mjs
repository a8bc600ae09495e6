// npm run bench:onestep [-- --quick] [-- --sweep]: one-step generators on the four 2-D targets at one network
// evaluation: the characteristic generator (teacher + distillation) against the teacher-free drifting, conservative
// drifting and W-Flow, all through `charlearn` itself (so every figure is the CLI's metrics.json: exact W2 of 2,000
// samples against 2,000 held-out points, normalised coordinates, the floor and the teacher: the protocol of
// bench-2d.mjs, the same seeds). Writes docs/onestep-samples.png and the generated sections of docs/onestep.md (between
// its <!-- results --> / <!-- sweep --> markers; the hand-written notes around them stay).
// Budgets: BENCH_UPDATES (generator updates, default 1000), BENCH_BATCH (256), BENCH_TEACHER_STEPS (1500),
// BENCH_HIDDEN ("128,128,128"), BENCH_TARGETS. --quick: 250 updates, teacher 500 steps. --sweep: the tuning sweep on
// 8gaussians instead.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '@charlearn/cli';
import { PALETTE, panelsFigure, stackFigures } from '@charlearn/plots';
import { figureToPng } from '@charlearn/plots/png';
import { getTarget } from '@charlearn/data';
import { Rng } from '@charlearn/core';

const root = new URL('../../../', import.meta.url).pathname;
const out = join(root, 'out', 'bench-onestep');
const quick = process.argv.includes('--quick');
const sweep = process.argv.includes('--sweep');
const updates = Number(process.env.BENCH_UPDATES ?? (quick ? 250 : 1000));
const batch = Number(process.env.BENCH_BATCH ?? 256);
const teacherSteps = Number(process.env.BENCH_TEACHER_STEPS ?? (quick ? 500 : 1500));
const hidden = `[${process.env.BENCH_HIDDEN ?? '128,128,128'}]`;
const targets = (process.env.BENCH_TARGETS ?? 'swiss-roll,8gaussians,checkerboard,gmm').split(',');
const seed = 0;
/** Tuned on 8gaussians with `--sweep` (docs/onestep.md lists the sweep). */
const TUNED = {
  drifting: ['--set', 'drifting.temperatures=[0.02,0.05,0.2]', '--set', 'onestep.lr=0.003'],
  'drifting-conservative': ['--set', 'drifting-conservative.bandwidthScale=0.5', '--set', 'onestep.lr=0.003'],
  wflow: ['--set', 'wflow.epsilon=0.05', '--set', 'wflow.maxIter=10', '--set', 'wflow.tol=0.01', '--set', 'onestep.lr=0.003'],
};
const METHODS = ['drifting', 'drifting-conservative', 'wflow'];
const common = ['--set', `model.hidden=${hidden}`, '--set', `seed=${seed}`, '--set', 'checkpointEvery=0', '--set', 'logEvery=50'];
const oneStepBudget = ['--set', `onestep.steps=${updates}`, '--set', `onestep.batchSize=${batch}`];
const t0 = performance.now();

async function cli(...argv) {
  const code = await main([...argv, '--out', out]);
  if (code !== 0) throw new Error(`charlearn ${argv.join(' ')} exited ${code}`);
}
const json = (name, file) => JSON.parse(readFileSync(join(out, name, file), 'utf8'));
const f = (x) => x.toFixed(3);
const docPath = join(root, 'docs', 'onestep.md');

/** Replaces the text between `<!-- key:start -->` and `<!-- key:end -->` in docs/onestep.md (appends the section when missing). */
function writeSection(key, body) {
  mkdirSync(join(root, 'docs'), { recursive: true });
  const [open, close] = [`<!-- ${key}:start -->`, `<!-- ${key}:end -->`];
  let doc = '';
  try {
    doc = readFileSync(docPath, 'utf8');
  } catch {
    doc = '# One-step generators on 2-D targets: characteristic generator vs drifting vs W-Flow\n\n';
  }
  const section = `${open}\n${body}\n${close}`;
  const i = doc.indexOf(open);
  const j = doc.indexOf(close);
  doc = i >= 0 && j > i ? doc.slice(0, i) + section + doc.slice(j + close.length) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(docPath, doc);
}

/** Trains `method` on `target` and returns its metrics.json plus the wall time of the whole command. */
async function teacherFree(target, method, name, flags) {
  const started = performance.now();
  await cli('train', '--method', method, '--set', `data.target=${target}`, '--set', `name=${name}`, ...common, ...oneStepBudget, ...flags);
  return { ...json(name, 'metrics.json'), wall: (performance.now() - started) / 1000 };
}

if (sweep) {
  const target = '8gaussians';
  const grid = [
    ['drifting', 'temperatures [0.02, 0.05, 0.2] (paper)', ['--set', 'drifting.temperatures=[0.02,0.05,0.2]']],
    ['drifting', 'temperatures [0.05, 0.2]', ['--set', 'drifting.temperatures=[0.05,0.2]']],
    ['drifting', 'temperatures [0.01, 0.02, 0.05]', ['--set', 'drifting.temperatures=[0.01,0.02,0.05]']],
    ['drifting', 'paper temperatures, lr 3e-3', ['--set', 'onestep.lr=0.003']],
    ['drifting-conservative', 'bandwidth median x 0.25', ['--set', 'drifting-conservative.bandwidthScale=0.25']],
    ['drifting-conservative', 'bandwidth median x 0.5', ['--set', 'drifting-conservative.bandwidthScale=0.5']],
    ['drifting-conservative', 'bandwidth median x 1', ['--set', 'drifting-conservative.bandwidthScale=1']],
    ['drifting-conservative', 'bandwidth median x 0.5, lr 3e-3', ['--set', 'drifting-conservative.bandwidthScale=0.5', '--set', 'onestep.lr=0.003']],
    ['wflow', 'ε 0.02, 30 iterations', ['--set', 'wflow.epsilon=0.02', '--set', 'wflow.maxIter=30', '--set', 'wflow.tol=0.01']],
    ['wflow', 'ε 0.05, 30 iterations', ['--set', 'wflow.epsilon=0.05', '--set', 'wflow.maxIter=30', '--set', 'wflow.tol=0.01']],
    ['wflow', 'ε 0.2, 30 iterations', ['--set', 'wflow.epsilon=0.2', '--set', 'wflow.maxIter=30', '--set', 'wflow.tol=0.01']],
    ['wflow', 'ε 0.05, 10 iterations', ['--set', 'wflow.epsilon=0.05', '--set', 'wflow.maxIter=10', '--set', 'wflow.tol=0.01']],
    ['wflow', 'ε 0.05, 30 iterations, lr 3e-3', ['--set', 'wflow.epsilon=0.05', '--set', 'wflow.maxIter=30', '--set', 'wflow.tol=0.01', '--set', 'onestep.lr=0.003']],
  ];
  const lines = [
    `## Tuning sweep (\`node packages/cli/bench/bench-onestep.mjs --sweep\`, BENCH_UPDATES=${updates})`,
    '',
    `On ${target} only: ${updates} updates × batch ${batch}, MLP ${hidden}, seed ${seed}, lr 1e-3 unless said; W2 as below (n = 2,000).`,
    '',
    '| method | setting | one-step W2 | floor | wall |',
    '|---|---|---|---|---|',
  ];
  for (const [i, [method, label, flags]] of grid.entries()) {
    const m = await teacherFree(target, method, `sweep-${i}`, flags);
    lines.push(`| ${method} | ${label} | ${f(m.w2.oneStep)} | ${f(m.w2.floor)} | ${m.wall.toFixed(0)} s |`);
    console.log(lines.at(-1));
  }
  writeSection('sweep', lines.join('\n'));
  console.log(lines.join('\n'));
  process.exit(0);
}

const results = {};
const rows = [];
for (const target of targets) {
  const r = {};
  // Characteristic generator: teacher, distillation with the same updates × batch, eval (teacher NFE sweep, floor).
  const name = `char-${target}`;
  const teacherFlags = ['--set', `data.target=${target}`, '--set', `name=${name}`, ...common, '--set', `teacher.steps=${teacherSteps}`, '--set', 'teacher.batchSize=512'];
  let started = performance.now();
  await cli('train', ...teacherFlags);
  const teacherWall = (performance.now() - started) / 1000;
  const distillFlags = [...teacherFlags, '--set', `distill.steps=${updates}`, '--set', `distill.batchSize=${batch}`, '--set', 'eval.teacherSolvers=[heun,exp-integrator]', '--set', 'eval.teacherNfe=[1,5,20,100]', '--set', 'eval.fewSteps=[1]'];
  started = performance.now();
  await cli('distill', ...distillFlags);
  const distillWall = (performance.now() - started) / 1000;
  await cli('eval', ...distillFlags);
  await cli('sample', ...distillFlags, '--n', '2000');
  r.characteristic = { ...json(name, 'metrics.json'), wall: distillWall, teacherWall, points: json(name, 'samples-1step.json').points };
  for (const method of METHODS) {
    const runName = `${method}-${target}`;
    r[method] = await teacherFree(target, method, runName, TUNED[method]);
    await cli('sample', '--method', method, '--set', `data.target=${target}`, '--set', `name=${runName}`, ...common, '--n', '2000');
    r[method].points = json(runName, 'samples-1step.json').points;
  }
  results[target] = r;
  const c = r.characteristic;
  const best = Math.min(...['characteristic', ...METHODS].map((m) => r[m].w2.oneStep));
  const cell = (m) => (r[m].w2.oneStep === best ? `**${f(best)}**` : f(r[m].w2.oneStep));
  rows.push(`| ${target} | ${f(c.w2.floor)} | ${f(c.w2.teacherBest.w2)} (${c.w2.teacherBest.key}) | ${['characteristic', ...METHODS].map(cell).join(' | ')} |`);
  console.log(rows.at(-1));
}

// Samples figure: one row per target (own axes), columns data | characteristic | drifting | conservative | W-Flow.
const figureRows = [];
const labels = { characteristic: 'characteristic', drifting: 'drifting', 'drifting-conservative': 'conservative drifting', wflow: 'W-Flow' };
for (const [target, r] of Object.entries(results)) {
  const t = getTarget(target);
  const data = t.denormalise(t.sampleArray(2000, new Rng(seed + 1001)));
  const panels = [{ title: `${target}: data`, layers: [{ kind: 'scatter', points: data, color: PALETTE[0], size: 2 }] }];
  for (const [i, m] of ['characteristic', ...METHODS].entries()) {
    panels.push({ title: `${labels[m]} W2 ${f(r[m].w2.oneStep)}`, layers: [{ kind: 'scatter', points: Float32Array.from(r[m].points), color: PALETTE[(i + 1) % PALETTE.length], size: 2 }] });
  }
  figureRows.push(panelsFigure(panels, { panelWidth: 200, panelHeight: 200 }));
}
mkdirSync(join(root, 'docs'), { recursive: true });
writeFileSync(join(root, 'docs', 'onestep-samples.png'), (await figureToPng(stackFigures(figureRows), { scale: 1.5 })).png);

const minutes = (performance.now() - t0) / 60000;
const lines = [];
lines.push(`Reproduce: \`npm run bench:onestep${quick ? ' -- --quick' : ''}\` (${minutes.toFixed(0)} min here; the 2-core machine was shared with other jobs, so wall times are indicative only).`, '');
lines.push('## Exact W2 to held-out data, one network evaluation (best generator in bold)', '');
lines.push('| target | floor (data vs data) | teacher, best NFE | characteristic generator | drifting | conservative drifting | W-Flow |');
lines.push('|---|---|---|---|---|---|---|');
lines.push(...rows, '');
lines.push('## Wall time per method (training + its evaluation command)', '');
lines.push('| target | teacher training | characteristic distillation | drifting | conservative drifting | W-Flow |', '|---|---|---|---|---|---|');
for (const [target, r] of Object.entries(results)) {
  lines.push(`| ${target} | ${r.characteristic.teacherWall.toFixed(0)} s | ${r.characteristic.wall.toFixed(0)} s | ${METHODS.map((m) => `${r[m].wall.toFixed(0)} s`).join(' | ')} |`);
}
lines.push('', '![samples](onestep-samples.png)', '');
lines.push('## Budget and settings', '');
lines.push(`- Every generator: MLP ${hidden} (SiLU, 64-d time embedding), one network evaluation per sample, seed ${seed}, Adam (warm-up 100 teacher-free, 200 distillation), clip 1, EMA 0.999 (the EMA samples); lr 1e-3 for the teacher and the distillation (their defaults), 3e-3 for the teacher-free methods (the sweep).`);
lines.push(`- Generator budget, the same for all four: **${updates} updates × batch ${batch}** (${((updates * batch) / 1e3).toFixed(0)}k generated points).`);
lines.push(`- The characteristic generator also needs its teacher: ${teacherSteps} steps × batch 512 of denoiser matching, and every distillation update runs the teacher along n of the 19 grid intervals, P(n) ∝ n (13 on average; exp-integrator-edm), i.e. many teacher evaluations per batch; its cost is in the wall-time table.`);
lines.push(`- Teacher "best NFE": the best of Heun and the exponential integrator at NFE 1, 5, 20, 100 (the key says which).`);
lines.push(`- Teacher-free settings (tuned on 8gaussians, below): ${METHODS.map((m) => `${m}: ${TUNED[m].filter((_, i) => i % 2).join(', ')}`).join('; ')}; W-Flow η 1.`);
lines.push('- W2: exact (optimal assignment) between 2,000 generated and 2,000 fresh held-out points in normalised coordinates; the floor is an independent data sample of the same size against the same held-out set (differences well below it are noise).');
writeSection('results', lines.join('\n'));
console.log(lines.join('\n'));
