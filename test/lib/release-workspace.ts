/**
 * A scratch copy of the monorepo's release surface, for running the real
 * changesets commands without touching the repo: the root manifest, the
 * changesets config, every workspace manifest, and for public packages their
 * README and built `files` (dist/). Pending changesets of the repo are NOT
 * copied, so a version step in the copy does only what the test asks.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { shAsync } from './exec';

/** One workspace package of the copy. */
export interface WorkspacePackage {
  readonly name: string;
  /** Path relative to the workspace root (`packages/core`). */
  readonly rel: string;
  readonly private: boolean;
}

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  files?: string[];
  workspaces?: string[];
  dependencies?: Record<string, string>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** The manifest of workspace package `rel` in `root`. */
export function manifest(root: string, rel: string): Manifest {
  return readJson<Manifest>(join(root, rel, 'package.json'));
}

/** Workspace packages of `root`, expanding the `dir/*` patterns of its `workspaces`. */
export function workspacePackages(root: string): WorkspacePackage[] {
  const out: WorkspacePackage[] = [];
  for (const pattern of readJson<Manifest>(join(root, 'package.json')).workspaces ?? []) {
    const dirs = pattern.endsWith('/*')
      ? readdirSync(join(root, pattern.slice(0, -2)))
          .sort()
          .map((d) => `${pattern.slice(0, -2)}/${d}`)
      : [pattern];
    for (const rel of dirs) {
      if (!existsSync(join(root, rel, 'package.json'))) continue;
      const m = manifest(root, rel);
      out.push({ name: m.name, rel, private: m.private === true });
    }
  }
  return out;
}

/**
 * Copies the release surface of `repo` into `dest` (see the module comment).
 * Throws, naming the package, when a public package's `files` are not built.
 */
export function stageWorkspace(repo: string, dest: string): WorkspacePackage[] {
  mkdirSync(join(dest, '.changeset'), { recursive: true });
  cpSync(join(repo, 'package.json'), join(dest, 'package.json'));
  cpSync(join(repo, '.changeset', 'config.json'), join(dest, '.changeset', 'config.json'));
  const packages = workspacePackages(repo);
  for (const p of packages) {
    mkdirSync(join(dest, p.rel), { recursive: true });
    cpSync(join(repo, p.rel, 'package.json'), join(dest, p.rel, 'package.json'));
    if (p.private) continue;
    if (!existsSync(join(repo, p.rel, 'dist'))) throw new Error(`${p.rel}/dist is missing: build first (npm run build)`);
    // `files` entries as npm reads them (a glob copies its first folder; a missing entry packs nothing).
    const entries = [...(manifest(repo, p.rel).files ?? []), 'README.md'].map((f) => f.split(/[*{?]/)[0]!.replace(/\/$/, ''));
    for (const f of new Set(entries)) {
      const from = join(repo, p.rel, f);
      if (f && existsSync(from)) cpSync(from, join(dest, p.rel, f), { recursive: true });
    }
  }
  return packages;
}

const requireFromHere = createRequire(import.meta.url);
const changesetBin = join(dirname(requireFromHere.resolve('@changesets/cli/package.json')), 'bin.js');

/** Runs the repo's `changeset` CLI in `root` with `env`; resolves to its stdout. */
export function changeset(root: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return shAsync(process.execPath, [changesetBin, ...args], root, env);
}

/** Bump kinds a changeset can ask for. */
export type Bump = 'patch' | 'minor' | 'major';

/** Writes `.changeset/<id>.md` in `root` asking for `releases`, with `summary` as its text. */
export function writeChangeset(root: string, id: string, releases: Record<string, Bump>, summary: string): void {
  const lines = Object.entries(releases).map(([name, bump]) => `"${name}": ${bump}`);
  writeFileSync(join(root, '.changeset', `${id}.md`), `---\n${lines.join('\n')}\n---\n\n${summary}\n`);
}

/**
 * After `changeset version` in a staged copy: the core version tsup bakes into
 * `@charlearn/core`'s dist (`define: __CHARLEARN_CORE_VERSION__`, reported by
 * `loadedCoreVersions()`) is rewritten to the bumped manifest version, as a
 * rebuild would. Throws when the built files do not have exactly one such line
 * each (the build changed shape).
 */
export function syncBakedCoreVersion(root: string, rel = 'packages/core'): string {
  const { version } = manifest(root, rel);
  for (const file of ['dist/index.js', 'dist/index.cjs']) {
    const path = join(root, rel, file);
    const text = readFileSync(path, 'utf8');
    const re = /var CORE_VERSION = "[^"]*"/g;
    const hits = text.match(re)?.length ?? 0;
    if (hits !== 1) throw new Error(`${rel}/${file}: expected one \`var CORE_VERSION = "..."\`, found ${hits}`);
    writeFileSync(path, text.replace(re, `var CORE_VERSION = ${JSON.stringify(version)}`));
  }
  return version;
}

/** `node_modules/<name>/package.json` in `from` or its nearest ancestor that has one (Node's lookup, ignoring `exports`). */
function findInstalled(name: string, from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pj = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(pj)) return pj;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed above ${from}`);
  }
}

/**
 * Installed packages `names` (resolved from `fromDir`) and everything they
 * depend on (`dependencies`, transitively), as package directories: what a
 * registry must serve for `names` to install.
 */
export function dependencyClosure(names: string[], fromDir: string): string[] {
  const seen = new Map<string, string>();
  const visit = (name: string, from: string): void => {
    const pj = findInstalled(name, from);
    if (seen.has(pj)) return;
    seen.set(pj, dirname(pj));
    for (const dep of Object.keys(readJson<Manifest>(pj).dependencies ?? {})) visit(dep, dirname(pj));
  };
  for (const n of names) visit(n, fromDir);
  return [...seen.values()];
}
