// Scaling of the wasm backend over both cores, 1 -> 2 threads and 1 -> 2 data-parallel replicas, on the teacher step and the MNIST U-Net step, against PyTorch's
// best thread setting. Run by `npm run bench:torch` after its main table (or alone: node packages/cli/bench/bench-threads.mjs
// [--quick]); writes the <!-- threads:start --> ... <!-- threads:end --> section of docs/bench-torch.md and
// docs/bench-threads.json.
//
// Five long-lived workers: charlearn (bench-torch-worker.mjs) with `threads: 1`, with `threads: 2` and on 2 replicas,
// PyTorch (bench_torch.py) at 1 and 2 threads. Each round asks every worker in turn for a few steps of a row, in an
// order that changes every round (`turnOrder`: a start and a stride that both change, so that no worker always
// follows the same one, e.g. the replicas PyTorch's 2 threads, whose pool may still be spinning), so load from
// elsewhere hits all five alike. A side's figure is the median over rounds of each
// round's median step; the scaling (charlearn 1 thread / 2 threads) and the ratios are medians of per-round pairs. Each
// turn starts after a pause of SETTLE_MS with both cores idle.
// Env: BENCH_ROUNDS, PYTHON (as bench-torch.mjs).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

/** Pause before each side's turn (ms), as in bench-torch.mjs. */
const SETTLE_MS = 300;

/**
 * Rows of the scaling table: steps a request (full, quick) and warm-up steps before the first round (every side; the
 * replicas' worker threads run unoptimised code for their first steps: the teacher step on 2 replicas went 32 -> 22.5
 * ms over the 9 rounds of a run with 3 warm-up steps, 2026-12-03).
 */
const THREAD_ROWS = {
  teacher: { steps: [8, 4], warmup: 30, label: 'teacher step: MLP 2->256x3->2, batch 1024' },
  unet: { steps: [2, 1], warmup: 4, label: 'U-Net teacher step, MNIST preset, batch 64' },
};

/** A worker answering one JSON line per request line (bench-torch.mjs imports it). */
export function lineWorker(name, cmd, argv) {
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'inherit'], cwd: root });
  const lines = createInterface({ input: child.stdout });
  const queue = [];
  lines.on('line', (l) => queue.shift()?.resolve(JSON.parse(l)));
  child.on('exit', (code) => {
    for (const q of queue.splice(0)) q.reject(new Error(`${name} exited with ${code}`));
  });
  const next = () => new Promise((resolve, reject) => queue.push({ resolve, reject }));
  const ready = next();
  return {
    name,
    ready,
    async ask(req) {
      const answer = next();
      child.stdin.write(`${JSON.stringify(req)}\n`);
      const a = await answer;
      if (a.error) throw new Error(`${name}, row ${req.row}: ${a.error}`);
      return a;
    },
    close: () => child.stdin.end(),
  };
}

/**
 * The order of round `round`'s turns over `n` workers: stride `1 + (round mod (n - 1))` from start `round mod n` when
 * `n` is prime (5 here), so that over `n - 1` consecutive rounds every worker follows each other one exactly once.
 * A plain rotation (`(i + round) mod n`) keeps every worker behind the same one in every round.
 * For other `n`, where not every stride gives a permutation, it alternates the direction (strides 1 and n - 1).
 */
export function turnOrder(n, round) {
  const isPrime = n > 1 && Array.from({ length: n - 2 }, (_, k) => k + 2).every((d) => n % d !== 0);
  const stride = isPrime && n > 2 ? 1 + (round % (n - 1)) : round % 2 ? n - 1 : 1;
  return Array.from({ length: n }, (_, i) => (round + i * stride) % n);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Measures the scaling table and writes it. `python` must have torch (bench-torch.mjs checks it first).
 * @returns the rows, as written to docs/bench-threads.json.
 */
export async function benchThreadScaling({ quick = false, rounds = quick ? 3 : 7, python = '/usr/bin/python3' } = {}) {
  const started = performance.now();
  const load0 = os.loadavg();
  const sides = [
    lineWorker('charlearn 1 thread', process.execPath, [join(here, 'bench-torch-worker.mjs'), '--threads', '1']),
    lineWorker('charlearn 2 threads', process.execPath, [join(here, 'bench-torch-worker.mjs'), '--threads', '2']),
    lineWorker('PyTorch 1 thread', python, [join(here, 'bench_torch.py'), '--threads', '1']),
    lineWorker('PyTorch 2 threads', python, [join(here, 'bench_torch.py'), '--threads', '2']),
    lineWorker('charlearn 2 replicas', process.execPath, [join(here, 'bench-torch-worker.mjs'), '--threads', '1', '--replicas', '2']),
  ];
  const hello = await Promise.all(sides.map((s) => s.ready));
  if (hello[0].threads !== 1 || hello[1].threads !== 2) throw new Error(`the charlearn workers run ${hello[0].threads} and ${hello[1].threads} wasm threads, expected 1 and 2`);
  if (hello[4].replicas !== 2) throw new Error(`the replicas worker runs ${hello[4].replicas} replicas, expected 2`);
  console.log(`\nboth cores: charlearn wasm 1 and 2 threads and 2 data-parallel replicas vs PyTorch ${hello[2].torch} 1 and 2 threads; ${rounds} rounds; load ${load0.map((l) => l.toFixed(1)).join(' ')}`);

  const perRound = {};
  for (const name of Object.keys(THREAD_ROWS)) perRound[name] = sides.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [name, spec] of Object.entries(THREAD_ROWS)) {
      for (const k of turnOrder(sides.length, r)) {
        // both cores idle before each turn: the previous side's background threads (PyTorch's OpenMP pool spinning, V8's
        // concurrent GC after a burst of steps) otherwise run into the next side's, and cost the two-thread sides most
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        const a = await sides[k].ask({ row: name, steps: spec.steps[quick ? 1 : 0], warmup: r === 0 ? spec.warmup : 0 });
        perRound[name][k].push(median(a.ms));
      }
      const [c1, c2, t1, t2, d2] = perRound[name].map((x) => x.at(-1));
      console.log(`  round ${r + 1}/${rounds} ${name.padEnd(8)} charlearn ${c1.toFixed(1)} / ${c2.toFixed(1)} ms (1 / 2 threads), ${d2.toFixed(1)} ms (2 replicas), PyTorch ${t1.toFixed(1)} / ${t2.toFixed(1)} ms (1 / 2 threads)`);
    }
  }
  sides.forEach((s) => s.close());
  const load1 = os.loadavg();

  const pairs = (a, b) => median(a.map((x, i) => x / b[i]));
  const rows = Object.entries(THREAD_ROWS).map(([name, spec]) => {
    const [c1, c2, t1, t2, d2] = perRound[name];
    const best = t1.map((x, i) => Math.min(x, t2[i]));
    return {
      row: name,
      label: spec.label,
      charlearn1Ms: median(c1),
      charlearn2Ms: median(c2),
      replicas2Ms: median(d2),
      scaling: pairs(c1, c2),
      replicaScaling: pairs(c1, d2),
      ratioReplicasVsBest: pairs(d2, best),
      torch1Ms: median(t1),
      torch2Ms: median(t2),
      torchScaling: pairs(t1, t2),
      ratio1VsBest: pairs(c1, best),
      ratio2VsBest: pairs(c2, best),
    };
  });
  const minutes = (performance.now() - started) / 60000;
  const f = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const lines = [
    '| work | charlearn 1 thread | 2 wasm threads | 2 replicas | scaling: 2 threads | scaling: 2 replicas | PyTorch 1 thread | PyTorch 2 threads | PyTorch scaling | 2 replicas vs PyTorch best |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (t) =>
        `| ${t.label} | ${f(t.charlearn1Ms)} ms | ${f(t.charlearn2Ms)} ms | ${f(t.replicas2Ms)} ms | ${t.scaling.toFixed(2)}x | ${t.replicaScaling.toFixed(2)}x | ${f(t.torch1Ms)} ms | ${f(t.torch2Ms)} ms | ${t.torchScaling.toFixed(2)}x | ${t.ratioReplicasVsBest.toFixed(2)}x |`,
    ),
  ];
  console.log(`\n${lines.join('\n')}\n\nscaling = charlearn's time at 1 thread / its time at 2 threads or on 2 replicas (> 1: faster); median of per-round pairs. ${minutes.toFixed(1)} min; load at the end ${load1.map((l) => l.toFixed(1)).join(' ')}`);

  const env = { date: new Date().toISOString(), node: process.version, torch: hello[2].torch, cpus: os.cpus().length, cpu: os.cpus()[0]?.model.trim(), rounds, quick, loadAverageStart: load0, loadAverageEnd: load1, minutes };
  mkdirSync(join(root, 'docs'), { recursive: true });
  writeFileSync(join(root, 'docs', 'bench-threads.json'), `${JSON.stringify({ env, rows, perRound }, null, 2)}\n`);
  const shared = load0[0] > 1.5 || load1[0] > 1.5;
  const section = `<!-- threads:start -->
## Both cores: 2 wasm threads, and 2 data-parallel replicas

Generated by \`npm run bench:torch${quick ? ' -- --quick' : ''}\` (packages/cli/bench/bench-threads.mjs; alone: \`node packages/cli/bench/bench-threads.mjs${quick ? ' --quick' : ''}\`) on ${env.date.slice(0, 10)}: ${env.cpus} cores, ${rounds} rounds, ${minutes.toFixed(1)} min; load average ${load0[0].toFixed(1)} at the start and ${load1[0].toFixed(1)} at the end${shared ? ' (the machine was shared with other jobs: a second thread only helps when a core is free, so the scaling here is a lower bound)' : ''}.

${lines.join('\n')}

- charlearn at 2 threads is \`setupWasmBackend({ threads: 2 })\` (CLI: \`--set threads=2\`): tfjs-backend-wasm's threaded SIMD binary, whose XNNPACK pool splits matrix products, convolutions and element-wise kernels over the threads. charlearn starts its pthread workers in Node (upstream tfjs cannot: tensorflow/tfjs#3830; docs/threads.md). Kernels charlearn runs in JavaScript (transposes, row reductions, the fused Adam update) stay on one thread.
- charlearn on 2 replicas is \`TeacherTrainer\` with \`gradients: await startGradientReplicas({ replicas: 2, task })\` (\`@charlearn/distill/node\`; CLI: \`--set replicas=2\`): data-parallel training, one shard of the batch on this thread and one on a worker thread, each on a single-threaded wasm backend, the gradients averaged in shared memory (docs/threads.md).
- Five long-lived workers, the order changing every round so that no worker always follows the same one; scaling and ratios are medians of per-round pairs. "2 replicas vs PyTorch best" = charlearn on 2 replicas / the faster of PyTorch's two settings in the same round (< 1: charlearn faster).
<!-- threads:end -->`;
  const docPath = join(root, 'docs', 'bench-torch.md');
  const previous = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
  const marked = /<!-- threads:start -->[\s\S]*?<!-- threads:end -->/;
  writeFileSync(docPath, marked.test(previous) ? previous.replace(marked, section) : `${previous.trimEnd()}\n\n${section}\n`);
  console.log('wrote the thread-scaling section of docs/bench-torch.md and docs/bench-threads.json');
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  await benchThreadScaling({
    quick,
    rounds: Number(process.env.BENCH_ROUNDS ?? (quick ? 3 : 7)),
    python: process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'),
  });
}
