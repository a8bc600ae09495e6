/**
 * Every ```ts block under an `@example` tag in the TSDoc of the public packages'
 * `src/**\/*.ts` (tests excluded) type-checks, in one TypeScript program, with
 * `@charlearn/*` mapped to the packages' source entry files (see
 * test/lib/tsdoc-examples.ts for how a fragment becomes a module: it may use,
 * without importing them, its own module's exports, its package's public names,
 * `@charlearn/core`'s, `tf`, and the free variables declared by the package's
 * prelude test/tsdoc-preludes/<package dir>.d.ts).
 * A failure lists `file:line` of each broken example and the compiler message.
 * TSDOC_EXAMPLES_OUT=<dir> also writes the generated modules there.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { publicEntryPoints, sourcePaths } from '../scripts/public-entry-points.mjs';
import {
  checkExamples,
  documentedSources,
  exampleCompilerOptions,
  exampleFileName,
  exampleModule,
  exportedNames,
  extractExamples,
  type ExampleContext,
  type ExampleDiagnostic,
  type ExampleModule,
  type TsdocExample,
} from './lib/tsdoc-examples';

const repo = fileURLToPath(new URL('..', import.meta.url));
const preludes = fileURLToPath(new URL('./tsdoc-preludes/', import.meta.url));
// The modules are virtual files in this (unwritten) folder of the repo, so that
// `@charlearn/*` and `@tensorflow/*` resolve through the workspace's node_modules.
const virtualDir = join(repo, 'test', '.tsdoc-examples');

const options = exampleCompilerOptions(sourcePaths(publicEntryPoints(repo)));

interface Collected {
  examples: TsdocExample[];
  modules: Map<string, { module: ExampleModule; example: TsdocExample }>;
  preludeFiles: string[];
  diagnostics: ExampleDiagnostic[];
}

let collected: Collected;

beforeAll(() => {
  const entries = publicEntryPoints(repo);
  const core = entries.find((e) => e.specifier === '@charlearn/core');
  const byPackage = new Map<string, typeof entries>();
  for (const e of entries) byPackage.set(e.packageDir, [...(byPackage.get(e.packageDir) ?? []), e]);
  const examples: TsdocExample[] = [];
  const modules = new Map<string, { module: ExampleModule; example: TsdocExample }>();
  const preludeFiles: string[] = [];
  for (const [packageDir, pkgEntries] of byPackage) {
    const preludeFile = join(preludes, `${basename(packageDir)}.d.ts`);
    const prelude = existsSync(preludeFile) ? { file: preludeFile, names: exportedNames(preludeFile) } : undefined;
    if (prelude) preludeFiles.push(preludeFile);
    const publicNames: [string, Set<string>][] = [...pkgEntries, ...(core && core.packageDir !== packageDir ? [core] : [])].map((e) => [
      e.specifier,
      exportedNames(e.source),
    ]);
    for (const file of documentedSources(packageDir)) {
      const found = extractExamples(file);
      if (!found.length) continue;
      // the example's own module first: an example of an internal helper uses it as its module's code would
      const ctx: ExampleContext = { entries: new Map([[file.replace(/\.ts$/, ''), exportedNames(file)], ...publicNames]), prelude };
      for (const example of found) {
        examples.push(example);
        modules.set(exampleFileName(virtualDir, example, packageDir), {
          example,
          module: exampleModule(example, ctx, `../tsdoc-preludes/${basename(packageDir)}`),
        });
      }
    }
  }
  const out = process.env.TSDOC_EXAMPLES_OUT;
  if (out) {
    mkdirSync(out, { recursive: true });
    for (const [f, { module }] of modules) writeFileSync(join(out, basename(f)), module.text);
  }
  // A deliberately wrong example, checked in the same program: proves that errors are caught and located.
  const canary: TsdocExample = { file: join(virtualDir, 'canary.ts'), line: 7, code: "const n: number = 'not a number';" };
  modules.set(join(virtualDir, 'canary__L7.ts'), { example: canary, module: exampleModule(canary, { entries: new Map(), prelude: undefined }, '') });
  const t0 = Date.now();
  const diagnostics = checkExamples(modules, preludeFiles, options, repo);
  console.log(`[tsdoc-examples] ${examples.length} examples from ${byPackage.size} packages, one program: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  collected = { examples, modules, preludeFiles, diagnostics };
});

describe('TSDoc @example blocks of the public packages', () => {
  it('are found in every public package', () => {
    expect(collected.examples.length).toBeGreaterThan(50);
    const packagesWithExamples = new Set(collected.examples.map((e) => e.file.split(/[\\/]src[\\/]/)[0]));
    expect(packagesWithExamples.size).toBeGreaterThanOrEqual(8);
  });

  it('the checker reports a wrong example at its file:line (canary)', () => {
    const canary = collected.diagnostics.filter((d) => d.where.includes('canary.ts'));
    expect(canary.map((d) => [d.where, d.code])).toEqual([[join('test', '.tsdoc-examples', 'canary.ts:7'), 2322]]);
  });

  it('all type-check (one tsc program)', () => {
    const real = collected.diagnostics.filter((d) => !d.where.includes('canary.ts'));
    const report = real.map((d) => `${d.where}: error TS${d.code}: ${d.message}`).join('\n');
    expect(real, `TSDoc examples that do not type-check:\n${report}\n`).toEqual([]);
  });
});
