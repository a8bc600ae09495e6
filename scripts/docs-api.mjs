#!/usr/bin/env node
/**
 * `npm run docs:api`: the HTML API reference of every public entry point
 * (scripts/public-entry-points.mjs) into docs/api with TypeDoc, options from
 * typedoc.json. One TypeScript program over the sources, with `@charlearn/*`
 * mapped to the source entry files, so cross-package references (a solvers
 * function taking a core `FieldModel`) link within the reference. Each entry
 * module is named after its import specifier (`@charlearn/solvers/testing`).
 * Extra arguments are passed to typedoc (e.g. `--logLevel Verbose`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { publicEntryPoints, repoRoot, sourcePaths } from './public-entry-points.mjs';

const entries = publicEntryPoints();
const cacheDir = join(repoRoot, 'node_modules', '.cache', 'charlearn-docs-api');
mkdirSync(cacheDir, { recursive: true });
const tsconfig = join(cacheDir, 'tsconfig.json');
writeFileSync(
  tsconfig,
  JSON.stringify(
    {
      extends: join(repoRoot, 'tsconfig.base.json'),
      compilerOptions: { noEmit: true, paths: sourcePaths(entries), types: ['node'] },
      files: entries.map((e) => e.source),
    },
    null,
    2,
  ),
);
const typedoc = join(dirname(createRequire(import.meta.url).resolve('typedoc/package.json')), 'bin', 'typedoc');
const args = ['--options', join(repoRoot, 'typedoc.json'), '--tsconfig', tsconfig];
for (const e of entries) args.push('--entryPoints', relative(repoRoot, e.source));
const r = spawnSync(process.execPath, [typedoc, ...args, ...process.argv.slice(2)], { cwd: repoRoot, stdio: 'inherit' });
process.exit(r.status ?? 1);
