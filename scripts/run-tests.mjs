// Runs the `test` script of every workspace that has one, two at a time (CHARLEARN_TEST_JOBS to change), the longest
// suites first, and prints each suite's output as one block when it ends. `npm test` calls it after
// `turbo run build typecheck`, so every dist/ is built and nothing is rebuilt or restored while tests read it.
//
// Why not `turbo run test`: on 2 cores vitest runs one worker a workspace, so `--concurrency=1` leaves a core idle,
// and with more turbo picks the cross-package suite (test/, about half of all test time) last, because it depends on
// every build; here it starts first and the other suites share the second slot.
// Exit status: 1 when any suite failed (all suites still run), else 0.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
/** Started first, in this order (the slowest suites, from scripts/test-times.mjs); the rest in workspace order. */
const FIRST = ['charlearn-tests', '@charlearn/cli', '@charlearn/solvers'];
const jobs = Math.max(1, Number(process.env.CHARLEARN_TEST_JOBS ?? 2) || 1);

function workspaces() {
  const out = [];
  for (const pattern of readJson(join(root, 'package.json')).workspaces ?? []) {
    const dirs = pattern.endsWith('/*')
      ? readdirSync(join(root, pattern.slice(0, -2)))
          .sort()
          .map((d) => join(pattern.slice(0, -2), d))
      : [pattern];
    for (const rel of dirs) {
      const pj = join(root, rel, 'package.json');
      if (!existsSync(pj)) continue;
      const { name, scripts } = readJson(pj);
      if (scripts?.test) out.push({ name, rel });
    }
  }
  const rank = (w) => (FIRST.includes(w.name) ? FIRST.indexOf(w.name) : FIRST.length);
  return out.sort((a, b) => rank(a) - rank(b));
}

/** `npm run test` in `w.rel`; resolves to its exit status once it ended and its output was printed. */
function runSuite(w) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    console.log(`▶ ${w.name} (${w.rel})`);
    const child = spawn('npm', ['run', 'test'], { cwd: join(root, w.rel), stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    const done = (code) => {
      const s = ((Date.now() - t0) / 1000).toFixed(1);
      const text = Buffer.concat(chunks).toString('utf8').replace(/\n+$/, '');
      console.log(`\n━━ ${w.name}: ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${s} s ━━\n${text.replace(/^/gm, `${w.name}: `)}\n`);
      resolve(code);
    };
    child.on('error', (e) => {
      chunks.push(Buffer.from(`run-tests: cannot start npm: ${e.message}\n`));
      done(1);
    });
    child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

const queue = workspaces();
const failed = [];
const t0 = Date.now();
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let w = queue.shift(); w; w = queue.shift()) if ((await runSuite(w)) !== 0) failed.push(w.name);
  }),
);
console.log(`run-tests: ${failed.length === 0 ? 'all suites passed' : `failed: ${failed.join(', ')}`} (${((Date.now() - t0) / 1000).toFixed(1)} s, ${jobs} at a time)`);
process.exit(failed.length === 0 ? 0 : 1);
