/**
 * The public entry points of the published workspace packages, read from their
 * manifests: every non-private package under packages/* and plugins/*, every
 * `exports` subpath with import/require conditions (not `./package.json` or
 * data globs), mapped to its source file `src/<index|subpath>.ts`.
 *
 * Used by `npm run docs:api` (scripts/docs-api.mjs) and by the TSDoc example
 * test (test/tsdoc-examples.test.ts), so both follow the packages as they are.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * @returns {{ specifier: string, packageName: string, packageDir: string, source: string }[]}
 *   `specifier` is what a user imports (`@charlearn/solvers/testing`), `source`
 *   the absolute path of its TypeScript entry file.
 */
export function publicEntryPoints(root = repoRoot) {
  const out = [];
  for (const group of ['packages', 'plugins']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const dir of readdirSync(base).sort()) {
      const packageDir = join(base, dir);
      const manifestPath = join(packageDir, 'package.json');
      if (!existsSync(manifestPath)) continue;
      const pkg = JSON.parse(readFileSync(manifestPath, 'utf8'));
      if (pkg.private || !pkg.exports) continue;
      for (const [subpath, target] of Object.entries(pkg.exports)) {
        if (typeof target === 'string' || subpath.includes('*')) continue;
        const source = join(packageDir, 'src', `${subpath === '.' ? 'index' : subpath.slice(2)}.ts`);
        if (!existsSync(source)) throw new Error(`${pkg.name}: exports["${subpath}"] has no source file ${source}`);
        out.push({ specifier: subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`, packageName: pkg.name, packageDir, source });
      }
    }
  }
  return out;
}

/** `compilerOptions.paths` mapping every public specifier to its source entry file (absolute). */
export function sourcePaths(entries = publicEntryPoints()) {
  return Object.fromEntries(entries.map((e) => [e.specifier, [e.source]]));
}
