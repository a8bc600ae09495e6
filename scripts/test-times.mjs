// Where `npm test`'s time goes: reads the vitest JSON reports that every workspace writes into .test-results/
// (see vitest.shared.ts) and prints each suite's wall time, then the slowest test files and tests.
// usage: node scripts/test-times.mjs [--top N] [dir]   (default: the repo's .test-results/, top 20)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 20;
const dir = args[0] ?? join(import.meta.dirname, '..', '.test-results');
if (!existsSync(dir)) {
  console.error(`test-times: ${dir} does not exist (run the tests first: npm test, or npx vitest run in a workspace)`);
  process.exit(1);
}
const suites = [];
const files = [];
const tests = [];
for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
  const suite = f.replace(/\.json$/, '');
  const r = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  // A file's startTime is when its first test starts (after imports and beforeAll hooks): with one worker a suite
  // runs its files one after the other, so a file's wall time is from the previous file's end to its own end.
  const runs = [...(r.testResults ?? [])].sort((a, b) => a.startTime - b.startTime);
  const first = Math.min(r.startTime ?? Infinity, ...runs.map((t) => t.startTime));
  let last = first;
  for (const t of runs) {
    const name = `${suite}: ${relative(process.cwd(), t.name)}`;
    files.push({ name, ms: t.endTime - Math.min(t.startTime, Math.max(last, first)), tests: t.assertionResults.length });
    last = Math.max(last, t.endTime);
    for (const a of t.assertionResults) tests.push({ name: `${name} > ${a.fullName}`, ms: a.duration ?? 0 });
  }
  // from vitest's start to the last file's end: collection and worker start-up included
  suites.push({ name: suite, ms: last - first });
}
const s = (ms) => `${(ms / 1000).toFixed(1).padStart(6)} s`;
const print = (title, rows) => {
  console.log(`\n${title}`);
  for (const r of rows) console.log(`  ${s(r.ms)}  ${r.name}${r.tests !== undefined ? ` (${r.tests} tests)` : ''}`);
};
const byTime = (a, b) => b.ms - a.ms;
print(`suites (vitest run, wall time; sum ${s(suites.reduce((t, r) => t + r.ms, 0)).trim()})`, suites.sort(byTime));
print(`slowest ${top} test files (wall: imports and beforeAll included; exact with one worker a suite)`, files.sort(byTime).slice(0, top));
print(`slowest ${top} tests (hooks such as beforeAll not included)`, tests.sort(byTime).slice(0, top));
