// Adds up the vitest JSON reports in .test-results/ into one closing line: "tests: N passed, N failed".
// `--reset` clears old reports first (npm test calls it before running the suites).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '..', '.test-results');
if (process.argv.includes('--reset')) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.exit(0);
}
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const f of files.sort()) {
  const r = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const p = r.numPassedTests ?? 0;
  const x = r.numFailedTests ?? 0;
  const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`  ${f.replace(/\.json$/, '').padEnd(16)} ${String(p).padStart(4)} passed ${String(x).padStart(3)} failed${s ? ` ${s} skipped` : ''}`);
  passed += p;
  failed += x;
  skipped += s;
}
if (files.length === 0) {
  console.error('test-summary: no test reports found in .test-results/');
  process.exit(1);
}
console.log(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
