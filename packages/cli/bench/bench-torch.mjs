// npm run bench:torch [-- --quick]: charlearn against the same work in PyTorch on this CPU, in one process tree.
//
// Three long-lived workers: charlearn on wasm (bench-torch-worker.mjs, one thread) and PyTorch (bench_torch.py) at
// 1 and at 2 threads. Each round asks every side for a few steps of one row in turn (the side order rotates every
// round), so load from elsewhere on the machine hits the three alike; a row's figure is the median over rounds of
// each round's median step, and each ratio is the median over rounds of that round's charlearn / PyTorch pair.
// Rows: the teacher step (MLP 2 -> 256x3 -> 2, SiLU, 64-d time embedding, batch 1024, Adam, clip, EMA), the
// distillation step (CharacteristicDistiller's defaults at batch 1024; PyTorch repeats charlearn's draws of the
// teacher step count n, so both do the same teacher work; a round's figure is its mean), one-step sampling of the
// two-time MLP (2,000 points) and the MNIST preset's U-Net teacher step (batch 64).
// Writes docs/bench-torch.md and docs/bench-torch.json.
//
// PyTorch: Debian's python3-torch for /usr/bin/python3 (PYTHON overrides). When `import torch` fails and this runs
// as root, it runs `apt-get install -y python3-torch`; otherwise it prints that line and stops.
// Env: BENCH_ROUNDS, BENCH_ROWS (a partial run leaves docs/ alone unless BENCH_WRITE_DOCS=1; comma list of teacher,distill,distill-cache,sample,unet,e2e; add threads for the
// thread-scaling section of bench-threads.mjs, which runs by default). --quick: 3 rounds, fewer steps (~3 min).
// --reference PATH (or CHARLEARN_REFERENCE_CODE=PATH): a checkout of github:burning489/CharacteristicGenerator; adds the
// paper's own code's distillation step at batch 1024 against charlearn's (paperCodeRows below); skipped when not given.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lineWorker, median } from './bench-threads.mjs';
import { ensureTorch, python } from './torch-env.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const quick = process.argv.includes('--quick');
const rounds = Number(process.env.BENCH_ROUNDS ?? (quick ? 3 : 7));
/**
 * Steps a request, per row (full, quick), and warm-up steps before the first round (every side): a fresh worker's first
 * steps run its code unoptimised (V8 optimises each thread's code on its own), ~1.5x slower for the first ~20 teacher
 * steps and ~40 sampling calls (2026-12-03).
 */
const ROWS = {
  teacher: { steps: quick ? 4 : 8, warmup: 20, label: 'teacher step: MLP 2->256x3->2, SiLU, 64-d time embedding, batch 1024, Adam + clip + EMA' },
  distill: { steps: quick ? 4 : 8, warmup: 5, label: 'distillation step, batch 1024 (teacher pairs + fit + semi-group, Adam + clip + EMA)' },
  'distill-cache': {
    steps: quick ? 4 : 8,
    warmup: 10,
    label: 'distillation step, batch 1024, charlearn with pairs from its rollout cache (default policy) vs PyTorch on the fly',
    variants: { 'distill-cache-worker': 'distillation step, batch 1024, charlearn from its rollout cache with the rollout worker (startRolloutWorker: the next chunk solved on a worker thread) vs PyTorch on the fly' },
  },
  // variants: more charlearn columns of the same row, each the worker's row of that name, asked in the same rounds.
  sample: {
    steps: quick ? 6 : 12,
    // 40 calls (~0.5 s) before the first round, every side: a fresh replica pool's calls ran 10-17 ms for its first
    // ~40 (its worker thread's code not yet optimised by V8), ~8-10 ms after (bench-torch-worker.mjs alone, 2026-12-03)
    warmup: 40,
    label: 'one-step sampling, two-time MLP 3x256, 2,000 points',
    variants: {
      'sample-replicas': 'one-step sampling, 2,000 points, charlearn on 2 sampling replicas (startSamplingReplicas: a shard of 1,000 rows a thread, polling 2 ms)',
      'sample-replicas-nospin': 'one-step sampling, 2,000 points, charlearn on 2 sampling replicas, no polling (spinMs: 0)',
      'sample-replicas-chunked': 'one-step sampling, 2,000 points, charlearn on 2 sampling replicas, chunks of 500 rows claimed in turn (chunksPerReplica: 2)',
    },
  },
  unet: { steps: quick ? 1 : 2, warmup: 1, label: 'U-Net teacher step, MNIST preset (16 channels, [1, 2, 2], attention at 7), batch 64' },
};
/** Pause before each side's turn (ms): the previous side's thread pools stop polling (see the round loop). */
const SETTLE_MS = 300;
/** Rows that are whole runs rather than timed steps (endToEndRows below); 'threads' is bench-threads.mjs, below. */
const RUN_ROWS = ['e2e', 'threads'];
const requested = (process.env.BENCH_ROWS ?? [...Object.keys(ROWS), ...RUN_ROWS].join(',')).split(',');
for (const r of requested) if (!ROWS[r] && !RUN_ROWS.includes(r)) throw new Error(`BENCH_ROWS: unknown row '${r}' (rows: ${[...Object.keys(ROWS), ...RUN_ROWS].join(', ')})`);
const wanted = requested.filter((r) => ROWS[r]);

/** A worker speaking one JSON line per request; `ask` resolves with its answer (bench-threads.mjs's helper). */
const worker = lineWorker;

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The checkout of the paper's code: `--reference PATH` or CHARLEARN_REFERENCE_CODE; null when neither is given. */
function referenceCheckout() {
  const i = process.argv.indexOf('--reference');
  const path = i >= 0 ? process.argv[i + 1] : process.env.CHARLEARN_REFERENCE_CODE;
  if (!path) return null;
  if (!existsSync(join(path, 'sde.py'))) throw new Error(`--reference ${path}: no sde.py there; give a checkout of github:burning489/CharacteristicGenerator`);
  return path;
}

/**
 * The paper's own code's distillation step (bench_torch.py's `paper-distill` row: the reference checkout's
 * `Follmer.compute_characteristic_loss` on the same 2-D MLP, batch 1024, RAdam + warm-up + clip + EMA) at 1 and 2
 * threads, against charlearn's distillation step at batch 1024 on the fly and from its rollout cache, in rounds that
 * alternate the sides as the main rows do. Both draw the teacher step count n from the same weighted 1..19 law, each
 * its own draws, so a round's figure is the mean of its steps. Rows shaped like the main table's.
 */
async function paperCodeRows(ours, reference) {
  const paper = [1, 2].map((t) => worker(`paper code ${t} thread${t > 1 ? 's' : ''}`, python, [join(here, 'bench_torch.py'), '--threads', String(t), '--reference', reference]));
  await Promise.all(paper.map((p) => p.ready));
  const steps = quick ? 4 : 8;
  const rowsOut = [];
  for (const [name, ourRow, label] of [
    ['paper-distill', 'distill', "distillation step, batch 1024: charlearn on the fly vs the paper's own code (its loss, DEIS pairs)"],
    ['paper-distill-cache', 'distill-cache', "distillation step, batch 1024: charlearn from its rollout cache vs the paper's own code"],
    ['paper-distill-cache-worker', 'distill-cache-worker', "distillation step, batch 1024: charlearn from its rollout cache with the rollout worker vs the paper's own code"],
  ]) {
    const per = [[], [], []];
    let parameters = [0, 0, 0];
    for (let r = 0; r < rounds; r++) {
      const order = [0, 1, 2].map((k) => (k + r) % 3);
      for (const k of order) {
        const side = k === 0 ? ours : paper[k - 1];
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS)); // as in the main rounds
        const a = await side.ask({ row: k === 0 ? ourRow : 'paper-distill', steps, warmup: r === 0 ? 2 : 0 });
        per[k].push(mean(a.ms));
        parameters[k] = a.parameters;
      }
      console.log(`  round ${r + 1}/${rounds} ${name} charlearn ${per[0].at(-1).toFixed(1)} ms, paper code 1 thread ${per[1].at(-1).toFixed(1)} ms, 2 threads ${per[2].at(-1).toFixed(1)} ms`);
    }
    if (parameters[0] !== parameters[1]) throw new Error(`${name}: parameter counts differ (charlearn ${parameters[0]}, paper code ${parameters[1]})`);
    const [o, t1, t2] = per;
    const ratio = (t) => median(o.map((x, i) => x / t[i]));
    rowsOut.push({
      row: name,
      label,
      parameters: parameters[0],
      charlearnMs: median(o),
      torch1Ms: median(t1),
      torch2Ms: median(t2),
      ratioVsTorch1: ratio(t1),
      ratioVsTorch2: ratio(t2),
      ratioVsBest: ratio(o.map((_, i) => Math.min(t1[i], t2[i]))),
      leakedTensors: 0,
    });
  }
  paper.forEach((p) => p.close());
  return rowsOut;
}

/**
 * The end-to-end row: `charlearn demo`'s training (its preset's teacher and distillation settings, swiss roll) in
 * charlearn and in bench_torch.py's PyTorch pipeline (the same algorithm written again, at 1 and 2 threads), each
 * timing its training steps only and taking the one-step W2 (the CLI's protocol: 2,000 samples from the same z against
 * the same 2,000 held-out points) every `every` distillation steps. The W2 all three reach is the largest of their
 * best figures; a side's time is its training time at its first mark at or below it. One run each (minutes).
 */
async function endToEndRows(ours, torch1, torch2) {
  const [{ DEMO_PRESET }, { parseConfig }, { teacherConfigSchema, distillConfigSchema }, { getTarget, STORED_NORMALISATION }, { evaluationSamples }] = await Promise.all([
    import('@charlearn/cli'),
    import('@charlearn/core'),
    import('@charlearn/distill'),
    import('@charlearn/data'),
    import('@charlearn/metrics'),
  ]);
  const shrink = quick ? 4 : 1;
  const teacher = parseConfig(teacherConfigSchema, { ...DEMO_PRESET.teacher, steps: Math.round(DEMO_PRESET.teacher.steps / shrink) }, 'teacher');
  const distill = parseConfig(distillConfigSchema, { ...DEMO_PRESET.distill, steps: Math.round(DEMO_PRESET.distill.steps / shrink) }, 'distill');
  const { heldOut, z } = evaluationSamples(getTarget('swiss-roll'), 2000, 0);
  const every = Math.max(1, Math.round(distill.steps / 10));
  const req = { row: 'e2e', replicas: Number(DEMO_PRESET.replicas ?? 1), config: { teacher, distill: { ...distill, teacherSolver: String(distill.teacherSolver) } }, heldOut: Array.from(heldOut), z: Array.from(z), normalisation: STORED_NORMALISATION['swiss-roll'], every };
  const runs = [];
  for (const side of [ours, torch1, torch2]) {
    const a = await side.ask(req);
    console.log(`  e2e ${side.name}: teacher ${a.teacherSeconds.toFixed(1)} s; one-step W2 ${a.marks.map((m) => `${m.step}: ${m.w2.toFixed(4)} (${m.seconds.toFixed(1)} s)`).join(', ')}`);
    runs.push(a);
  }
  const goal = Math.max(...runs.map((r) => Math.min(...r.marks.map((m) => m.w2))));
  const [o, t1, t2] = runs.map((r) => r.marks.find((m) => m.w2 <= goal).seconds * 1000);
  return {
    row: 'e2e',
    label: `end to end: the demo's training (${teacher.steps} teacher + ${distill.steps} distillation steps, swiss roll) to one-step W2 ${goal.toFixed(3)}`,
    parameters: 0,
    charlearnMs: o,
    torch1Ms: t1,
    torch2Ms: t2,
    ratioVsTorch1: o / t1,
    ratioVsTorch2: o / t2,
    ratioVsBest: o / Math.min(t1, t2),
    leakedTensors: 0,
    goalW2: goal,
    marks: runs.map((r) => r.marks),
  };
}

ensureTorch();
const reference = referenceCheckout();
const started = performance.now();
const load0 = os.loadavg();
const ours = worker('charlearn', process.execPath, [join(here, 'bench-torch-worker.mjs')]);
const torch1 = worker('PyTorch 1 thread', python, [join(here, 'bench_torch.py'), '--threads', '1']);
const torch2 = worker('PyTorch 2 threads', python, [join(here, 'bench_torch.py'), '--threads', '2']);
const sides = [ours, torch1, torch2];
const hello = await Promise.all(sides.map((s) => s.ready));
const torchVersion = hello[1].torch;
console.log(`charlearn tfjs ${hello[0].tfjs} (${hello[0].backend}) vs PyTorch ${torchVersion}; ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}); ${rounds} rounds; load ${load0.map((l) => l.toFixed(1)).join(' ')}`);

/** Per row and side: one figure a round (ms); parameters per side; the distill row's n draws; leaks. */
const results = {};
/** The sides asked in a row's rounds: the three workers, then charlearn once more for each variant of the row. */
const rowSides = (name) => [...sides.map((side) => ({ side, row: name })), ...Object.keys(ROWS[name].variants ?? {}).map((row) => ({ side: ours, row }))];
for (const name of wanted) results[name] = { perRound: rowSides(name).map(() => []), parameters: rowSides(name).map(() => 0), leakedTensors: 0 };
for (let r = 0; r < rounds; r++) {
  for (const name of wanted) {
    const spec = ROWS[name];
    const res = results[name];
    // Rotate the side order every round; the distillation row runs charlearn first so PyTorch repeats its n draws.
    const asked = rowSides(name);
    let order = asked.map((_, k) => (k + r) % asked.length);
    if (name.startsWith('distill')) order = [0, ...(r % 2 ? [2, 1] : [1, 2]), ...asked.slice(3).map((_, i) => 3 + i)];
    let ns;
    for (const k of order) {
      // Every turn: let the previous side's threads settle first. PyTorch's 2-thread worker keeps a core busy for ~100 ms
      // after each answer (measured from /proc: 10 of its jiffies in the first 100 ms, none after; its OpenMP and
      // OpenBLAS pools poll before they sleep), so without the pause the side asked next ran on one free core (the
      // sampling replicas ~1.6x slower; the teacher step 28.6 -> 32.7-35.7 ms in the full run of 2026-12-03).
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const a = await asked[k].side.ask({ row: asked[k].row, steps: spec.steps, warmup: r === 0 ? spec.warmup : 0, ...(ns ? { ns } : {}) });
      if (k === 0) ns = a.ns;
      if (asked[k].side === ours) res.leakedTensors += a.leakedTensors ?? 0;
      res.perRound[k].push(name.startsWith('distill') ? mean(a.ms) : median(a.ms));
      res.parameters[k] = a.parameters;
    }
    const [o, t1, t2, ...more] = res.perRound.map((x) => x.at(-1));
    const variants = Object.keys(spec.variants ?? {}).map((v, i) => `, ${v} ${more[i].toFixed(1)} ms`).join('');
    console.log(`  round ${r + 1}/${rounds} ${name.padEnd(8)} charlearn ${o.toFixed(1)} ms, PyTorch 1 thread ${t1.toFixed(1)} ms, 2 threads ${t2.toFixed(1)} ms${variants}${ns ? ` (n = ${ns.join(', ')})` : ''}`);
  }
}
const e2eRows = requested.includes('e2e') ? [await endToEndRows(ours, torch1, torch2)] : [];
let paperRows = [];
if (reference) paperRows = await paperCodeRows(ours, reference);
else console.log("paper code row skipped: give --reference <checkout of github:burning489/CharacteristicGenerator> (or CHARLEARN_REFERENCE_CODE) to time the paper's own distillation step");
sides.forEach((s) => s.close());
const load1 = os.loadavg();

/** A table row from per-round figures: charlearn's `o` against PyTorch's `t1`, `t2` of the same rounds. */
function tableRow(name, label, o, t1, t2, parameters, leakedTensors) {
  const ratio = (t) => median(o.map((x, i) => x / t[i]));
  const best = o.map((_, i) => Math.min(t1[i], t2[i]));
  return {
    row: name,
    label,
    parameters,
    charlearnMs: median(o),
    torch1Ms: median(t1),
    torch2Ms: median(t2),
    ratioVsTorch1: ratio(t1),
    ratioVsTorch2: ratio(t2),
    ratioVsBest: ratio(best),
    leakedTensors,
    ...(name.startsWith('sample') ? { samplesPerSec: { charlearn: 2000 / (median(o) / 1000), torch1: 2000 / (median(t1) / 1000), torch2: 2000 / (median(t2) / 1000) } } : {}),
  };
}
const table = wanted.flatMap((name) => {
  const { perRound, parameters, leakedTensors } = results[name];
  const [o, t1, t2, ...more] = perRound;
  for (const p of parameters.slice(1)) if (p !== parameters[0]) throw new Error(`${name}: parameter counts differ (charlearn ${parameters[0]}, others ${parameters.slice(1).join(', ')})`);
  const variants = Object.entries(ROWS[name].variants ?? {}).map(([v, label], i) => tableRow(v, label, more[i], t1, t2, parameters[0], 0));
  return [tableRow(name, ROWS[name].label, o, t1, t2, parameters[0], leakedTensors), ...variants];
});
table.push(...e2eRows, ...paperRows);

const f = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const lines = [
  '| work | charlearn (wasm, 1 thread) | PyTorch 1 thread | PyTorch 2 threads | ratio vs 1 thread | ratio vs 2 threads | ratio vs best |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...table.map((t) => {
    const s = t.samplesPerSec;
    const cell = (ms, k) => (s ? `${f(ms)} ms (${Math.round(s[k] / 1000)}k samples/s)` : `${f(ms)} ms`);
    return `| ${t.label} | ${cell(t.charlearnMs, 'charlearn')} | ${cell(t.torch1Ms, 'torch1')} | ${cell(t.torch2Ms, 'torch2')} | ${t.ratioVsTorch1.toFixed(2)}x | ${t.ratioVsTorch2.toFixed(2)}x | ${t.ratioVsBest.toFixed(2)}x |`;
  }),
];
const minutes = (performance.now() - started) / 60000;
console.log(`\n${lines.join('\n')}\n\nratio = charlearn time / PyTorch time, median of per-round pairs (< 1: charlearn faster). ${minutes.toFixed(1)} min; load at the end ${load1.map((l) => l.toFixed(1)).join(' ')}`);

const env = {
  date: new Date().toISOString(),
  node: process.version,
  tfjs: hello[0].tfjs,
  torch: torchVersion,
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model.trim(),
  rounds,
  quick,
  loadAverageStart: load0,
  loadAverageEnd: load1,
  minutes,
};
// A partial run (BENCH_ROWS) prints its rows but leaves docs/ alone, so the table there always holds every row of one run.
const writeDocs = !process.env.BENCH_ROWS || process.env.BENCH_WRITE_DOCS === '1';
if (!writeDocs) console.log('BENCH_ROWS picks some rows: docs/bench-torch.md not rewritten (BENCH_WRITE_DOCS=1 to write it anyway)');
if (writeDocs) mkdirSync(join(root, 'docs'), { recursive: true });
if (writeDocs) writeFileSync(join(root, 'docs', 'bench-torch.json'), `${JSON.stringify({ env, rows: table, perRound: Object.fromEntries(wanted.map((n) => [n, results[n].perRound])) }, null, 2)}\n`);
const doc = `# charlearn vs PyTorch on the same CPU

Generated by \`npm run bench:torch${quick ? ' -- --quick' : ''}\` (packages/cli/bench/bench-torch.mjs) on ${env.date.slice(0, 10)}: ${env.cpus} cores (${env.cpu}), Node ${env.node}, tfjs ${env.tfjs} on the wasm backend (one thread here; 1 vs 2 threads in the thread-scaling section below), PyTorch ${env.torch} on the CPU. ${rounds} rounds, ${minutes.toFixed(1)} min; load average ${load0[0].toFixed(1)} at the start and ${load1[0].toFixed(1)} at the end${load0[0] > 1.5 || load1[0] > 1.5 ? ' (the machine was shared with other jobs: the ratios hold better than the absolute times)' : ''}.

${lines.join('\n')}

- **How it is measured.** Three long-lived workers in one process tree, charlearn (packages/cli/bench/bench-torch-worker.mjs) and PyTorch (packages/cli/bench/bench_torch.py) at 1 and 2 threads; each round asks each side in turn for a few steps of a row (the order rotates), a side's figure is the median over rounds of each round's median step, and a ratio is the median over rounds of that round's charlearn / PyTorch pair (< 1: charlearn is faster). No process starts inside a timing, and every turn starts after a 300 ms pause: PyTorch's 2-thread worker keeps a core polling for ~100 ms after each answer, which slowed whichever side came next.
- **Same work.** Each PyTorch row is charlearn's code path written again (same layers, parameter counts checked equal, same EDM preconditioning on the Föllmer path, Adam with warm-up, global-norm clip, EMA). The distillation row uses CharacteristicDistiller's defaults (Karras grid of 20 times + t = 1, exp-integrator-edm pairs from 4 start indices, fit + 0.1 semi-group through both sides); PyTorch repeats charlearn's draws of the teacher step count n, so both spend the same teacher evaluations.
- **Rollout cache.** The \`distill-cache\` row is charlearn with \`pairSource: 'rollout-cache'\` (its default policy: 1,024 trajectories, each used for 16 steps, so 64 new teacher solves over the grid a step instead of ~14 teacher evaluations for each of the 1,024 pairs) against PyTorch solving its pairs on the fly as the paper's code does; what that costs in quality is measured at equal wall time by \`node packages/cli/bench/bench-pairs.mjs\` (section below when it has run). Where the time of a step goes: docs/profile-steps.md.
- **Sampling replicas** (rows \`sample-replicas*\`, asked in the same rounds as the \`sample\` row): charlearn's one-step sampling on \`startSamplingReplicas({ replicas: 2 })\` (\`@charlearn/distill/node\`; CLI: \`charlearn sample --set replicas=2\`), the 2,000 rows sampled by this thread and one worker thread, each on a single-threaded wasm backend, bitwise the samples of one thread; the variants are its \`chunksPerReplica\` and \`spinMs\` options (docs/threads.md). The table's charlearn column is then the replicas' time.
- **End to end** (row \`e2e\`, \`endToEndRows\`): the demo preset's whole training in charlearn and in bench_torch.py's PyTorch pipeline (the same algorithm: teacher, then distillation with the preset's pairs, on the fly or from a rollout cache), one run each, timing training steps only; the figure is each side's training time to the largest of the three sides' best one-step W2 (the CLI's protocol: same z, same held-out points).
- **The paper's own code** (rows \`paper-distill*\`, \`paperCodeRows\`): with \`--reference <checkout of github:burning489/CharacteristicGenerator>\` (or CHARLEARN_REFERENCE_CODE) the reference code's own \`Follmer.compute_characteristic_loss\` (DEIS pairs, composed consistency, adaptive-weight DSM, l2) on the same 2-D MLP at batch 1024 with RAdam, warm-up, clip and EMA, against charlearn's distillation step; skipped with a line when no checkout is given. Its code is imported from the checkout, never copied here.
`;
// Keep the sections other benches write into this file (bench-pairs.mjs: <!-- pairs:start --> ... <!-- pairs:end -->).
const docPath = join(root, 'docs', 'bench-torch.md');
const previous = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
const kept = [...previous.matchAll(/<!-- (\w+):start -->[\s\S]*?<!-- \1:end -->/g)].map((m) => m[0]);
if (writeDocs) {
  writeFileSync(docPath, kept.length ? `${doc}\n${kept.join('\n\n')}\n` : doc);
  console.log('wrote docs/bench-torch.md and docs/bench-torch.json');
}

// Thread scaling (1 -> 2 wasm threads vs PyTorch's best), its own section of docs/bench-torch.md: bench-threads.mjs.
if (!process.env.BENCH_ROWS || process.env.BENCH_ROWS.split(',').includes('threads')) {
  const { benchThreadScaling } = await import('./bench-threads.mjs');
  await benchThreadScaling({ quick, rounds, python });
}
