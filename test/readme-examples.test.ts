/**
 * The ```ts blocks of every README (the root's and each workspace package's)
 * type-check as a user would paste them: one TypeScript program, `@charlearn/*`
 * mapped to the packages' source entry files (as test/tsdoc-examples.test.ts
 * does), no implicit imports: a block imports what it uses, except the free
 * variables a README's later fragments share, declared in
 * test/readme-preludes/<readme key>.d.ts. A block marked
 * `<!-- runs in test/readme-examples.test.ts -->` is also executed as written
 * (transpiled, then run by Node against the built packages).
 * See test/lib/readme-examples.ts for the markers.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { publicEntryPoints, sourcePaths } from '../scripts/public-entry-points.mjs';
import { extractReadmeBlocks, readmeFiles, type ReadmeBlock } from './lib/readme-examples';
import { checkExamples, exampleCompilerOptions, exampleModule, exportedNames, type ExampleDiagnostic, type ExampleModule, type TsdocExample } from './lib/tsdoc-examples';

const repo = fileURLToPath(new URL('..', import.meta.url));
const testDir = fileURLToPath(new URL('.', import.meta.url));
const preludes = fileURLToPath(new URL('./readme-preludes/', import.meta.url));
// Virtual files in this (unwritten) folder, so that imports resolve through the workspace's node_modules.
const virtualDir = join(repo, 'test', '.readme-examples');

const options = exampleCompilerOptions(sourcePaths(publicEntryPoints(repo)));

/** `root` for the repo's README, `<group>-<dir>` for a package's (the prelude's file name). */
function readmeKey(file: string): string {
  const rel = relative(repo, file).replace(/[\\/]README\.md$/, '');
  return rel === 'README.md' ? 'root' : rel.replace(/[\\/]/g, '-');
}

let blocks: ReadmeBlock[] = [];
let diagnostics: ExampleDiagnostic[] = [];
let files: string[] = [];

beforeAll(() => {
  files = readmeFiles(repo);
  const modules = new Map<string, { module: ExampleModule; example: TsdocExample }>();
  const preludeFiles: string[] = [];
  for (const file of files) {
    const key = readmeKey(file);
    const preludeFile = join(preludes, `${key}.d.ts`);
    const prelude = existsSync(preludeFile) ? { file: preludeFile, names: exportedNames(preludeFile) } : undefined;
    if (prelude) preludeFiles.push(preludeFile);
    for (const block of extractReadmeBlocks(file)) {
      blocks.push(block);
      const module = exampleModule(block, { entries: new Map(), prelude }, `../readme-preludes/${key}`, { implicitTf: false });
      modules.set(join(virtualDir, `${key}__L${block.line}.ts`), { example: block, module });
    }
  }
  // A deliberately wrong block, checked in the same program: proves that errors are caught and located.
  const canary: TsdocExample = { file: join(virtualDir, 'CANARY.md'), line: 3, code: "import { sample } from '@charlearn/solvers';\nconst n: number = sample;" };
  modules.set(join(virtualDir, 'canary__L3.ts'), { example: canary, module: exampleModule(canary, { entries: new Map(), prelude: undefined }, '', { implicitTf: false }) });
  const t0 = Date.now();
  diagnostics = checkExamples(modules, preludeFiles, options, repo);
  console.log(`[readme-examples] ${blocks.length} blocks from ${files.length} READMEs, one program: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

describe('README code blocks', () => {
  it('are found in the root README and in every published package', () => {
    const withBlocks = new Set(blocks.map((b) => readmeKey(b.file)));
    expect(withBlocks).toContain('root');
    for (const e of publicEntryPoints(repo)) expect(withBlocks, `${relative(repo, e.packageDir)}/README.md has no ts block`).toContain(readmeKey(join(e.packageDir, 'README.md')));
  });

  it('the checker reports a wrong block at its file:line (canary)', () => {
    const canary = diagnostics.filter((d) => d.where.includes('CANARY.md'));
    expect(canary.map((d) => [d.where, d.code])).toEqual([[join('test', '.readme-examples', 'CANARY.md:4'), 2322]]);
  });

  it('all type-check as pasted (one tsc program, no implicit imports)', () => {
    const real = diagnostics.filter((d) => !d.where.includes('CANARY.md'));
    const report = real.map((d) => `${d.where}: error TS${d.code}: ${d.message}`).join('\n');
    expect(real, `README blocks that do not type-check:\n${report}\n`).toEqual([]);
  });
});

/** What a README's executed block must print, checked beyond its exit code. */
const EXPECTED: Record<string, (out: string) => void> = {
  root: (out) => {
    const m = /(\d+) NFE: mean \|x\| (-?[\d.]+) \(exact 2\.00\), rms y ([\d.]+) \(exact 0\.30\)/.exec(out);
    expect(m, out).not.toBeNull();
    const [nfe, meanAbsX, rmsY] = [Number(m![1]), Number(m![2]), Number(m![3])];
    expect(nfe).toBeGreaterThan(0);
    // 1,000 samples of 0.5·N((±2, 0), 0.3²I): E|x| = 2 and rms y = 0.3 (standard errors ~0.01 and ~0.007).
    expect(Math.abs(meanAbsX - 2)).toBeLessThan(0.05);
    expect(Math.abs(rmsY - 0.3)).toBeLessThan(0.03);
  },
  // the generator saved with saveNetwork and loaded back samples exactly what the trained one does
  'packages-distill': (out) => expect(out).toMatch(/one-step samples \[1000,2\]; loaded vs in-memory generator: max \|Δ\| 0\n?$/),
};

/** Runs a README block as written: transpiled to JavaScript, in Node, from test/ (bare specifiers resolve to the built packages). */
function runBlock(code: string): string {
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  return execFileSync(process.execPath, ['--input-type=module', '-e', js], { cwd: testDir, encoding: 'utf8', timeout: 180_000 });
}

describe('README blocks marked to run', () => {
  it('the root README has exactly one, of at most 15 lines (its first screen)', () => {
    const root = blocks.filter((b) => b.run && readmeKey(b.file) === 'root');
    expect(root).toHaveLength(1);
    expect(root[0]!.code.split('\n').length).toBeLessThanOrEqual(15);
  });

  for (const key of Object.keys(EXPECTED)) {
    it(`${key}: runs as written and prints what it says`, () => {
      const run = blocks.filter((b) => b.run && readmeKey(b.file) === key);
      expect(run.length, `${key} has a block marked <!-- runs in test/readme-examples.test.ts -->`).toBeGreaterThan(0);
      for (const b of run) {
        const t0 = Date.now();
        const out = runBlock(b.code);
        console.log(`[readme-examples] ${relative(repo, b.file)}:${b.line} (${((Date.now() - t0) / 1000).toFixed(1)} s) printed: ${out.trim()}`);
        EXPECTED[key]!(out);
      }
    });
  }

  it('every marked block has its expectation here', () => {
    expect(new Set(blocks.filter((b) => b.run).map((b) => readmeKey(b.file)))).toEqual(new Set(Object.keys(EXPECTED)));
  });
});
