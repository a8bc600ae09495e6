// npm run bench:soak: a long training soak on the wasm backend. 10,000 teacher steps of the 2-D MLP
// (2 -> 64x64 -> 2, batch 256, swiss-roll) then SOAK_DISTILL_STEPS (default 300) characteristic-generator
// distillation steps, sampling tf.memory().numTensors, numBytes and the process RSS every 500 steps.
// Asserts: tensors and bytes exactly flat after the first sample of each phase; RSS growth after step 1,000
// below SOAK_RSS_BOUND_MB (default 20 MB). Writes the table into docs/reliability.md (between the soak
// markers) and the three series to docs/reliability-soak.png. Exit code 1 when an assertion fails.
// Budgets: SOAK_STEPS (10000), SOAK_EVERY (500), SOAK_DISTILL_STEPS (300), SOAK_BATCH (256).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { createNetwork } from '@charlearn/nets';
import { CharacteristicDistiller, TeacherTrainer } from '@charlearn/distill';
import { PALETTE, lineChartFigure } from '@charlearn/plots';
import { figureToPng } from '@charlearn/plots/png';

const root = new URL('../../', import.meta.url).pathname;
const steps = Number(process.env.SOAK_STEPS ?? 10000);
const every = Number(process.env.SOAK_EVERY ?? 500);
const distillSteps = Number(process.env.SOAK_DISTILL_STEPS ?? 300);
const distillEvery = Math.max(1, Math.min(every, Math.floor(distillSteps / 3) || 1));
const batch = Number(process.env.SOAK_BATCH ?? 256);
const rssBoundMb = Number(process.env.SOAK_RSS_BOUND_MB ?? 20);
const rssFromStep = Math.min(1000, steps);

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => undefined;
const mb = (bytes) => bytes / 2 ** 20;

await useBackend('wasm');
const target = getTarget('swiss-roll');
const net = createNetwork({ kind: 'mlp', dim: 2, hidden: [64, 64], activation: 'silu', timeEmbeddingDim: 16, seed: 1 });
const teacher = new TeacherTrainer({ net, dataset: target, config: { steps, batchSize: batch, warmupSteps: 100 }, seed: 1 });

/** One row of the table. */
function sample(phase, step, loss) {
  gc();
  const m = tf.memory();
  return { phase, step, numTensors: m.numTensors, numBytes: m.numBytes, rssMb: mb(process.memoryUsage().rss), loss };
}

const rows = [sample('teacher', 0, NaN)];
const t0 = performance.now();
let loss = NaN;
for (let s = 1; s <= steps; s++) {
  loss = teacher.trainStep().loss;
  if (s % every === 0) rows.push(sample('teacher', s, loss));
}
const teacherSeconds = (performance.now() - t0) / 1000;

let distillSeconds = 0;
if (distillSteps > 0) {
  const distiller = new CharacteristicDistiller({
    teacher: teacher.ema.network,
    dataset: target,
    config: { steps: distillSteps, batchSize: 128, warmupSteps: 20, gridSize: 8 },
    seed: 2,
  });
  rows.push(sample('distill', 0, NaN));
  const t1 = performance.now();
  for (let s = 1; s <= distillSteps; s++) {
    loss = distiller.trainStep().loss;
    if (s % distillEvery === 0) rows.push(sample('distill', s, loss));
  }
  distillSeconds = (performance.now() - t1) / 1000;
  distiller.dispose();
}
teacher.dispose();

// ---- checks ----
const failures = [];
for (const phase of ['teacher', 'distill']) {
  const r = rows.filter((x) => x.phase === phase && x.step > 0);
  if (r.length < 2) continue;
  const first = r[0];
  for (const x of r) {
    if (x.numTensors !== first.numTensors || x.numBytes !== first.numBytes) {
      failures.push(`${phase}: tensors/bytes not flat: step ${first.step} ${first.numTensors}/${first.numBytes}, step ${x.step} ${x.numTensors}/${x.numBytes}`);
      break;
    }
  }
}
const teacherRows = rows.filter((x) => x.phase === 'teacher');
const rssStart = teacherRows.find((x) => x.step >= rssFromStep) ?? teacherRows[0];
const rssEnd = teacherRows[teacherRows.length - 1];
const rssGrowth = rssEnd.rssMb - rssStart.rssMb;
if (rssGrowth >= rssBoundMb) failures.push(`teacher: RSS grew ${rssGrowth.toFixed(1)} MB from step ${rssStart.step} to ${rssEnd.step} (bound ${rssBoundMb} MB)`);
if (!rows.every((x) => x.step === 0 || Number.isFinite(x.loss))) failures.push('a sampled loss is not finite');

// ---- report ----
const fmt = (x) => [x.phase, x.step, x.numTensors, x.numBytes, x.rssMb.toFixed(1), Number.isFinite(x.loss) ? x.loss.toFixed(4) : '-'];
const header = ['phase', 'step', 'tf numTensors', 'tf numBytes', 'RSS (MB)', 'loss'];
const table = [header, ...rows.map(fmt)];
const widths = header.map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
console.log(table.map((r) => r.map((c, i) => String(c).padStart(widths[i])).join('  ')).join('\n'));
const summary =
  `teacher: ${steps} steps (2 -> 64x64 -> 2 MLP, batch ${batch}, wasm) in ${teacherSeconds.toFixed(1)} s (${(steps / teacherSeconds).toFixed(0)} steps/s); ` +
  `distill: ${distillSteps} steps in ${distillSeconds.toFixed(1)} s. ` +
  `RSS step ${rssStart.step} -> ${rssEnd.step}: ${rssStart.rssMb.toFixed(1)} -> ${rssEnd.rssMb.toFixed(1)} MB (${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(1)} MB, bound < ${rssBoundMb} MB).`;
console.log(`\n${summary}`);
console.log(failures.length ? `\nSOAK FAILED:\n  ${failures.join('\n  ')}` : '\nsoak: tensors and bytes flat, RSS within bound');

const md = [
  '<!-- soak:start (written by `npm run bench:soak`, test/bench/soak.mjs) -->',
  `Command: \`npm run bench:soak\` (\`node --expose-gc test/bench/soak.mjs\`; GC forced before each sample). ${new Date().toISOString().slice(0, 10)}, Node ${process.version}.`,
  '',
  summary,
  '',
  `Result: ${failures.length ? `**failed**: ${failures.join('; ')}` : 'tf.memory() numTensors and numBytes are exactly flat across every sample of each phase; RSS within the bound.'}`,
  '',
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---:').join('|')}|`,
  ...rows.map((x) => `| ${fmt(x).join(' | ')} |`),
  '',
  '![soak: tensors, MB of tensor memory and RSS against step](reliability-soak.png)',
  '<!-- soak:end -->',
].join('\n');
const docPath = join(root, 'docs', 'reliability.md');
const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Reliability\n\n## Soak\n\n<!-- soak:start -->\n<!-- soak:end -->\n';
const start = doc.indexOf('<!-- soak:start');
const end = doc.indexOf('<!-- soak:end -->');
writeFileSync(docPath, start >= 0 && end > start ? doc.slice(0, start) + md + doc.slice(end + '<!-- soak:end -->'.length) : `${doc}\n${md}\n`);

// one x axis across both phases: distillation steps follow the teacher's
const xs = rows.map((x) => (x.phase === 'teacher' ? x.step : steps + x.step));
writeFileSync(
  join(root, 'docs', 'reliability-soak.png'),
  (await figureToPng(lineChartFigure(
    [
      { label: 'tf numTensors', xs, ys: rows.map((x) => x.numTensors), color: PALETTE[0] },
      { label: 'tf numBytes (kB)', xs, ys: rows.map((x) => x.numBytes / 1024), color: PALETTE[1] },
      { label: 'RSS (MB)', xs, ys: rows.map((x) => x.rssMb), color: PALETTE[2] },
    ],
    { title: `soak: ${steps} teacher + ${distillSteps} distill steps (wasm)`, xLabel: 'step', yLabel: 'count / kB / MB', logY: true },
  ), { scale: 1.5 })).png,
);
console.log(`wrote ${docPath} and docs/reliability-soak.png`);
process.exit(failures.length ? 1 : 0);
