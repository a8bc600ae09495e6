/**
 * Layering: library packages (core, solvers, nets, data, metrics, distill) import neither `@charlearn/cli` nor a
 * backend plugin from their shipped `src/`; metrics does not import nets; examples never import the CLI; no shipped
 * code reads a `CHARLEARN_TEST_*` variable (fault tests inject through a seam instead).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findViolations, importSpecifiers, repositoryFiles, type Violation } from './lib/layering';

const repo = fileURLToPath(new URL('..', import.meta.url));

/**
 * Violations that exist today and are being removed by other work. The test fails when a violation NOT listed
 * here appears, and also when a listed one is gone (delete its line then), so this list can only shrink.
 */
const KNOWN: readonly string[] = [];

const key = (v: Violation): string => `${v.rule} ${v.path}`;
const show = (vs: readonly Violation[]): string => vs.map((v) => `${v.path}:${v.line} ${v.rule} (${v.found})`).join('\n');

describe('layering', () => {
  const violations = findViolations(repositoryFiles(repo));

  it('no import breaks a layering rule beyond the known, shrinking list', () => {
    const fresh = violations.filter((v) => !KNOWN.includes(key(v)));
    expect(fresh, `layering violations:\n${show(fresh)}`).toEqual([]);
  });

  it('every known violation still exists (remove fixed ones from KNOWN)', () => {
    const found = new Set(violations.map(key));
    expect(KNOWN.filter((k) => !found.has(k))).toEqual([]);
  });

  it('the checker catches each rule in made-up files', () => {
    const made = findViolations([
      { path: 'packages/distill/src/a.ts', text: "import { x } from '@charlearn/cli';\n" },
      { path: 'packages/core/src/b.ts', text: "\nconst w = await import('@charlearn/backend-wasm');\n" },
      { path: 'packages/nets/src/b.test.ts', text: "import '@charlearn/backend-wasm';\n" },
      { path: 'packages/metrics/src/c.ts', text: "export { crc32 } from '@charlearn/nets';\n" },
      { path: 'examples/toy/src/d.mjs', text: "const { run } = require('@charlearn/cli');\n" },
      { path: 'examples/toy/package.json', text: '{"dependencies":{"@charlearn/cli":"^0.1.0"}}' },
      { path: 'packages/cli/src/e.ts', text: "import { ok } from '@charlearn/nets';\nconst d = process.env.CHARLEARN_TEST_DELAY;\n" },
      { path: 'plugins/solver-rk4/src/f.test.ts', text: 'process.env.CHARLEARN_TEST_X;\n' },
    ]);
    expect(made.map((v) => `${v.rule} ${v.path}:${v.line}`)).toEqual([
      'library-imports-cli packages/distill/src/a.ts:1',
      'library-imports-backend packages/core/src/b.ts:2',
      'metrics-imports-nets packages/metrics/src/c.ts:1',
      'example-imports-cli examples/toy/src/d.mjs:1',
      'example-imports-cli examples/toy/package.json:1',
      'src-reads-test-env packages/cli/src/e.ts:2',
    ]);
  });

  it('finds static, dynamic, require and bare imports', () => {
    const text = "import a from 'x';\nimport 'y';\nexport * from \"z\";\nawait import('w');\nrequire('v');\n";
    expect(importSpecifiers(text).map((s) => `${s.specifier}@${s.line}`)).toEqual(['x@1', 'y@2', 'z@3', 'w@4', 'v@5']);
  });
});
