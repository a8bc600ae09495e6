/**
 * The repository's layering rules as data, and a checker that lists every import (or environment read)
 * that breaks one. Pure over a list of files, so a test can feed it a made-up violation.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** The library packages: they build what the CLI composes and may depend on neither the CLI nor a backend. */
export const LIBRARY_PACKAGES = ['core', 'solvers', 'nets', 'data', 'metrics', 'distill'] as const;

/** One source file: its path relative to the repository root (`/` separators) and its text. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

/** One broken rule: the file, the 1-based line, the rule's name and the offending import or read. */
export interface Violation {
  readonly path: string;
  readonly line: number;
  readonly rule: string;
  readonly found: string;
}

/** Every module specifier a file imports: `from '…'`, `import('…')`, `require('…')`, bare `import '…'`. */
export function importSpecifiers(text: string): { specifier: string; line: number }[] {
  const out: { specifier: string; line: number }[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"\n]+)\1/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ specifier: m[2]!, line: text.slice(0, m.index).split('\n').length });
  return out;
}

/** Test files and test helpers (they may load a backend to run fast; they do not ship). */
export function isTestFile(path: string): boolean {
  return /\.test\.[cm]?[jt]sx?$/.test(path) || /(^|\/)test-(helpers|utils)\.[jt]s$/.test(path) || /-test-(helpers|utils)\.[jt]s$/.test(path);
}

const packageOf = (path: string): string | undefined => /^packages\/([^/]+)\/src\//.exec(path)?.[1];
const isBackend = (s: string): boolean => /^@charlearn\/backend-/.test(s);
const isCli = (s: string): boolean => s === '@charlearn/cli' || s.startsWith('@charlearn/cli/');
const isNets = (s: string): boolean => s === '@charlearn/nets' || s.startsWith('@charlearn/nets/');

/**
 * The violations in `files`:
 * - `library-imports-cli`: a library package's `src/` imports `@charlearn/cli`;
 * - `library-imports-backend`: a library package's shipped `src/` (not its tests) imports a backend plugin;
 * - `metrics-imports-nets`: `packages/metrics/src` imports `@charlearn/nets`;
 * - `example-imports-cli`: anything under `examples/` imports `@charlearn/cli` (or lists it as a dependency);
 * - `src-reads-test-env`: shipped code under `packages/` or `plugins/` names a `CHARLEARN_TEST_*` variable.
 */
export function findViolations(files: readonly SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const { path, text } of files) {
    const pkg = packageOf(path);
    const library = pkg !== undefined && (LIBRARY_PACKAGES as readonly string[]).includes(pkg);
    const example = path.startsWith('examples/');
    const shipped = /^(packages|plugins)\/[^/]+\/src\//.test(path) && !isTestFile(path);
    if (example && path.endsWith('package.json')) {
      const deps = JSON.parse(text) as Record<string, Record<string, string> | undefined>;
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
        if (deps[field]?.['@charlearn/cli'] !== undefined) out.push({ path, line: 1, rule: 'example-imports-cli', found: `${field}: @charlearn/cli` });
      }
      continue;
    }
    for (const { specifier, line } of importSpecifiers(text)) {
      if (library && isCli(specifier)) out.push({ path, line, rule: 'library-imports-cli', found: specifier });
      if (library && shipped && isBackend(specifier)) out.push({ path, line, rule: 'library-imports-backend', found: specifier });
      if (pkg === 'metrics' && isNets(specifier)) out.push({ path, line, rule: 'metrics-imports-nets', found: specifier });
      if (example && isCli(specifier)) out.push({ path, line, rule: 'example-imports-cli', found: specifier });
    }
    if (shipped) {
      const re = /CHARLEARN_TEST_[A-Z0-9_]*/g;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        out.push({ path, line: text.slice(0, m.index).split('\n').length, rule: 'src-reads-test-env', found: m[0] });
      }
    }
  }
  return out;
}

const SOURCE = /\.(?:[cm]?[jt]sx?|vue|svelte)$/;
const SKIP = new Set(['node_modules', 'dist', '.turbo', 'coverage', 'public']);

function walk(root: string, dir: string, out: SourceFile[]): void {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith('.')) continue;
    const full = join(dir, name);
    const rel = relative(root, full).split(sep).join('/');
    if (statSync(full).isDirectory()) walk(root, full, out);
    else if (SOURCE.test(name) || (rel.startsWith('examples/') && name === 'package.json')) out.push({ path: rel, text: readFileSync(full, 'utf8') });
  }
}

/** The files the rules look at: `packages/<name>/src`, `plugins/<name>/src` and all of `examples/` (sources and `package.json`s). */
export function repositoryFiles(root: string): SourceFile[] {
  const out: SourceFile[] = [];
  for (const group of ['packages', 'plugins']) {
    for (const name of readdirSync(join(root, group))) {
      const src = join(root, group, name, 'src');
      try {
        if (statSync(src).isDirectory()) walk(root, src, out);
      } catch {
        // a package without src/
      }
    }
  }
  walk(root, join(root, 'examples'), out);
  return out;
}
