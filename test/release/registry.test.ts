/**
 * The release flow against a real (local) npm registry, without touching the repo:
 *
 * 1. verdaccio on 127.0.0.1 (temp storage, no uplinks); the third-party packages a
 *    consumer needs (tfjs-core, tfjs-backend-cpu and their dependencies) are
 *    published to it from the repo's node_modules (test/lib/mirror.ts: the
 *    installed folders re-packed and PUT as `npm publish` would, without an npm
 *    process each), so installs never leave it.
 * 2. A scratch copy of the workspace manifests + built dist/ runs the real
 *    `changeset publish` (as `npm run release` does) against it.
 * 3. A consumer project under os.tmpdir() installs @charlearn/solvers + core from
 *    it, type-checks a custom solver plugin with the repo's tsc (nodenext),
 *    registers it and samples with it as ESM and as CJS. A second app installs
 *    @charlearn/cli and runs its bin with `npx --no charlearn`.
 * 4. `changeset version` in the copy (patch, then minor) + `changeset publish`;
 *    the consumer upgrades with `npm update` and `npm install pkg@new`.
 * 5. One copy of the truth: a plugin's nested older core shares the registries
 *    with the app's newer one, and a core with another contract major fails with
 *    a ContractVersionError naming both contract versions.
 *
 * Needs the public packages built (`npm run build`). KEEP_RELEASE_TMP=1 keeps the temp folders.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeJson, secondsSince, sh, shFails } from '../lib/exec';
import { startLocalRegistry, type LocalRegistry } from '../lib/local-registry';
import { mirrorInstalledPackage } from '../lib/mirror';
import {
  changeset,
  dependencyClosure,
  manifest,
  stageWorkspace,
  syncBakedCoreVersion,
  writeChangeset,
  type WorkspacePackage,
} from '../lib/release-workspace';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
const ESM_RUN = 'build/src/run.js';
const CJS_RUN = 'build/cjs/src/run.js';
const THIRD_PARTY = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu'];

/**
 * Every third-party runtime dependency of the public workspace packages (valibot, yaml, vega, ...): what
 * `npm i @charlearn/<pkg>` fetches from outside the workspace, read from the manifests so a new one needs no edit here.
 */
/** `dirs` (installed packages) grouped by package name, one directory per version (npm nests the same version in several places). */
function byName(dirs: readonly string[]): Iterable<string[]> {
  const groups = new Map<string, Map<string, string>>();
  for (const dir of dirs) {
    const { name, version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
    const versions = groups.get(name) ?? new Map<string, string>();
    if (!versions.has(version)) versions.set(version, dir);
    groups.set(name, versions);
  }
  // Lowest version first: npm refuses to tag `latest` onto a version lower than one already published.
  const order = (v: string): number[] => v.split(/[.+-]/).slice(0, 3).map((x) => Number(x) || 0);
  const compare = (a: string, b: string): number => order(a).reduce((d, x, i) => d || x - (order(b)[i] ?? 0), 0);
  return [...groups.values()].map((versions) => [...versions.keys()].sort(compare).map((v) => versions.get(v)!));
}

function publicThirdPartyDependencies(staged: string, pkgs: readonly WorkspacePackage[]): string[] {
  const names = new Set<string>();
  for (const p of pkgs.filter((q) => !q.private)) {
    const deps = (JSON.parse(readFileSync(join(staged, p.rel, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {};
    for (const d of Object.keys(deps)) if (!d.startsWith('@charlearn/')) names.add(d);
  }
  return [...names].sort();
}

let registry: LocalRegistry | undefined;
let work = '';
let ws = ''; // staged workspace copy
let app = ''; // the consumer project
let packages: WorkspacePackage[] = [];
const timings: Record<string, string> = {};

const npm = (args: string[], cwd: string): string => sh('npm', ['--loglevel=error', ...args], cwd, registry!.env);
const installed = (name: string, from = app): string =>
  (JSON.parse(readFileSync(join(from, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** The registry's document for `name` (versions, dist-tags), or undefined on 404. */
async function packument(name: string): Promise<{ versions: Record<string, unknown>; 'dist-tags': Record<string, string> } | undefined> {
  const res = await fetch(`${registry!.url}${name.replace('/', '%2f')}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`GET ${name}: HTTP ${res.status}`);
  return (await res.json()) as { versions: Record<string, unknown>; 'dist-tags': Record<string, string> };
}

/** `changeset version` in the copy for `releases`, then the rebuild-equivalent, then `changeset publish`. */
async function releaseInCopy(id: string, releases: Record<string, 'patch' | 'minor'>): Promise<string> {
  const t0 = Date.now();
  writeChangeset(ws, id, releases, `Test release ${id}.`);
  await changeset(ws, ['version'], registry!.env);
  const core = syncBakedCoreVersion(ws);
  await changeset(ws, ['publish', '--no-git-tag'], registry!.env);
  timings[`release ${id} (version + publish)`] = `${secondsSince(t0)} s`;
  return core;
}

interface RunOut {
  backend: string;
  contract: number;
  coreVersions: string[];
  solvers: string[];
  runs: { steps: number; nfe: number; maxError: number; values: number[] }[];
}

/** The consumer's run.ts output must show the plugin registered, used by name, and converging to the exact flow. */
function checkRun(r: RunOut, coreVersion: string): void {
  expect(r.backend).toBe('cpu');
  expect(r.contract).toBe(1);
  expect(r.coreVersions).toEqual([coreVersion]);
  expect(r.solvers).toEqual(expect.arrayContaining(['euler', 'heun', 'consumer/midpoint']));
  const [coarse, fine] = r.runs;
  expect(coarse!.nfe).toBe(2 * 8); // midpoint: 2 model calls a step
  expect(fine!.nfe).toBe(2 * 32);
  expect(fine!.values.every(Number.isFinite)).toBe(true);
  // Second order against the exact characteristic: 4x the steps, ~16x smaller error (float32 floor aside).
  expect(fine!.maxError).toBeLessThan(0.05);
  expect(coarse!.maxError / fine!.maxError).toBeGreaterThan(6);
}

beforeAll(async () => {
  const t0 = Date.now();
  registry = await startLocalRegistry();
  timings['registry start'] = `${secondsSince(t0)} s`;
  work = mkdtempSync(join(tmpdir(), 'charlearn-release-'));
  ws = join(work, 'workspace');
  app = join(work, 'app');
  packages = stageWorkspace(repo, ws);

  // The third-party mirror and the release itself are independent: publish both at once.
  const t1 = Date.now();
  const mirror = dependencyClosure([...new Set([...THIRD_PARTY, ...publicThirdPartyDependencies(ws, packages)])], repo);
  const publicCount = packages.filter((p) => !p.private).length;
  await Promise.all([
    // Versions of one name go one after the other (two concurrent first publishes of a name conflict, HTTP 409).
    Promise.all(
      [...byName(mirror)].map(async (dirs) => {
        for (const dir of dirs) await mirrorInstalledPackage(dir, registry!.url, registry!.token, work);
      }),
    ).then(() => {
      timings[`publish ${mirror.length} third-party packages`] = `${secondsSince(t1)} s`;
    }),
    changeset(ws, ['publish', '--no-git-tag'], registry.env).then(() => {
      timings[`changeset publish (${publicCount} packages)`] = `${secondsSince(t1)} s`;
    }),
  ]);

  const t3 = Date.now();
  mkdirSync(app);
  cpSync(join(fixtures, 'consumer'), app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'charlearn-release-consumer', private: true, type: 'module' }, null, 2));
  const v = manifest(ws, 'packages/solvers').version;
  npm(['install', `@charlearn/solvers@${v}`, `@charlearn/core@${manifest(ws, 'packages/core').version}`, ...THIRD_PARTY.map((p) => `${p}@4.22.0`)], app);
  timings['consumer npm install'] = `${secondsSince(t3)} s`;
});

afterAll(async () => {
  await registry?.stop();
  if (work && !process.env.KEEP_RELEASE_TMP) rmSync(work, { recursive: true, force: true });
  console.log(`[release] ${Object.entries(timings).map(([k, t]) => `${k}: ${t}`).join(', ')}`);
});

describe('release to a local registry', () => {
  it('changeset publish put every public workspace package on the registry at its version, and no private one', async () => {
    expect(packages.filter((p) => !p.private).length).toBeGreaterThanOrEqual(4);
    for (const p of packages) {
      const doc = await packument(p.name);
      if (p.private) {
        expect(doc, p.name).toBeUndefined();
      } else {
        expect(doc?.['dist-tags'].latest, p.name).toBe(manifest(ws, p.rel).version);
      }
    }
    // the consumer got them from there (lockfile URLs), not from anywhere else
    const lock = readFileSync(join(app, 'package-lock.json'), 'utf8');
    const resolved = [...lock.matchAll(/"resolved": "([^"]+)"/g)].map((m) => m[1]!);
    expect(resolved.length).toBeGreaterThan(5);
    for (const url of resolved) expect(url.startsWith(registry!.url)).toBe(true);
  });

  it('a consumer type-checks a custom solver plugin (nodenext), registers it and samples with it as ESM and as CJS', () => {
    // One program: src/ is ESM (the app is "type": "module"), cjs/src/ the same sources as CommonJS.
    const t0 = Date.now();
    cpSync(join(app, 'src'), join(app, 'cjs', 'src'), { recursive: true });
    writeFileSync(join(app, 'cjs', 'package.json'), JSON.stringify({ type: 'commonjs' }));
    sh(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
    writeFileSync(join(app, 'build', 'cjs', 'package.json'), JSON.stringify({ type: 'commonjs' }));
    timings['tsc (esm + cjs)'] = `${secondsSince(t0)} s`;
    // nodenext emitted real CommonJS for the cjs/ copy (require of the packages' CJS builds)
    expect(readFileSync(join(app, 'build', 'cjs', 'src', 'run.js'), 'utf8')).toMatch(/require\("@charlearn\/core"\)/);
    expect(readFileSync(join(app, 'build', 'src', 'run.js'), 'utf8')).toMatch(/from '@charlearn\/core'/);

    const core = installed('@charlearn/core');
    const esm = nodeJson<RunOut>(ESM_RUN, app);
    checkRun(esm, core);
    const cjs = nodeJson<RunOut>(CJS_RUN, app);
    checkRun(cjs, core);
    expect(cjs.runs.map((r) => r.values)).toEqual(esm.runs.map((r) => r.values));
  });

  it('an app that installs @charlearn/cli from the registry runs `npx charlearn help` (the local bin, no lookup elsewhere)', () => {
    const t0 = Date.now();
    const cliApp = join(work, 'cli-app');
    mkdirSync(cliApp);
    writeFileSync(join(cliApp, 'package.json'), JSON.stringify({ name: 'charlearn-cli-consumer', private: true, type: 'module' }, null, 2));
    npm(['install', `@charlearn/cli@${manifest(ws, 'packages/cli').version}`], cliApp);
    timings['cli app npm install'] = `${secondsSince(t0)} s`;
    // --no: npx must find the bin installed in the app, never download a package named `charlearn`
    const help = sh('npx', ['--no', 'charlearn', 'help'], cliApp, registry!.env);
    expect(help).toMatch(/^usage: charlearn <command> \[flags\]$/m);
    expect(help).toMatch(/^\s+distill\s/m);
    expect(shFails('npx', ['--no', 'charlearn', 'trian'], cliApp, registry!.env)).toMatch(/unknown command 'trian'; did you mean 'train'\?/);
  });

  it('after a patch release (changeset version + publish), `npm update` moves the consumer to it', async () => {
    const before = installed('@charlearn/solvers');
    const core = await releaseInCopy('patch', { '@charlearn/solvers': 'patch' });
    const solvers = manifest(ws, 'packages/solvers').version;
    expect(solvers).toMatch(/^0\.1\.\d+$/); // a patch stays inside the consumer's ^0.1.x range
    expect(solvers).not.toBe(before);
    const t0 = Date.now();
    npm(['update'], app);
    timings['npm update'] = `${secondsSince(t0)} s`;
    expect(installed('@charlearn/solvers')).toBe(solvers);
    expect(installed('@charlearn/core')).toBe(core);
    checkRun(nodeJson<RunOut>(ESM_RUN, app), core);
  });

  it('after a minor release, `npm update` keeps ^0.1.x and `npm install @charlearn/solvers@<new>` upgrades', async () => {
    const core = await releaseInCopy('minor', { '@charlearn/core': 'minor', '@charlearn/solvers': 'minor' });
    const solvers = manifest(ws, 'packages/solvers').version;
    expect(core).toMatch(/^0\.2\.0$/);
    expect(readFileSync(join(ws, 'packages/solvers/CHANGELOG.md'), 'utf8')).toContain(`## ${solvers}`);
    npm(['update'], app);
    expect(installed('@charlearn/solvers')).not.toBe(solvers); // 0.x caret ranges do not cross minors
    const t0 = Date.now();
    npm(['install', `@charlearn/solvers@${solvers}`, `@charlearn/core@${core}`], app);
    timings['npm install <new>'] = `${secondsSince(t0)} s`;
    expect(installed('@charlearn/solvers')).toBe(solvers);
    expect(installed('@charlearn/core')).toBe(core);
    // solvers' own dependency on core was bumped by changesets, so nothing is nested
    expect(JSON.parse(sh('npm', ['ls', '@charlearn/core', '--json'], app, registry!.env)).dependencies['@charlearn/solvers'].dependencies['@charlearn/core'].version).toBe(core);
    checkRun(nodeJson<RunOut>(ESM_RUN, app), core);
  });
});

describe('one copy of the truth', () => {
  it('a plugin with its own nested older core (0.1.x under solver-rk4) shares the registries with the app core, ESM and CJS', () => {
    npm(['install', '@charlearn/solver-rk4@0.1.0'], app);
    const top = installed('@charlearn/core');
    const r = nodeJson<{
      topVersion: string;
      nestedVersion: string;
      nestedPath: string;
      distinctCopies: boolean;
      rk4FromTop: boolean;
      rk4OrderFromTop: number;
      probeFromNested: boolean;
      backFromTop: boolean;
      sameLists: boolean;
      coreVersions: string[];
    }>('one-copy.mjs', app);
    expect(r.topVersion).toBe(top);
    expect(r.nestedVersion).toMatch(/^0\.1\./);
    expect(r.nestedPath).toContain(join('node_modules', '@charlearn', 'solver-rk4', 'node_modules', '@charlearn', 'core', 'dist', 'index.cjs'));
    expect(r.distinctCopies).toBe(true);
    expect(r.rk4FromTop).toBe(true);
    expect(r.rk4OrderFromTop).toBe(4);
    expect(r.probeFromNested).toBe(true);
    expect(r.backFromTop).toBe(true);
    expect(r.sameLists).toBe(true);
    expect(r.coreVersions).toEqual(expect.arrayContaining([top, r.nestedVersion]));
  });

  it('a core with another contract major (nested under a plugin) fails with ContractVersionError naming both contracts', () => {
    // A "future" core: the staged build with CONTRACT_VERSION 2, published as 1.0.0, and a plugin that depends on it.
    const future = join(work, 'future-core');
    cpSync(join(ws, 'packages/core'), future, { recursive: true });
    const pj = JSON.parse(readFileSync(join(future, 'package.json'), 'utf8')) as { version: string };
    writeFileSync(join(future, 'package.json'), JSON.stringify({ ...pj, version: '1.0.0' }, null, 2));
    for (const f of ['dist/index.js', 'dist/index.cjs']) {
      const text = readFileSync(join(future, f), 'utf8');
      expect(text.match(/var CONTRACT_VERSION = 1;/g)).toHaveLength(1);
      writeFileSync(join(future, f), text.replace('var CONTRACT_VERSION = 1;', 'var CONTRACT_VERSION = 2;'));
    }
    syncBakedCoreVersion(work, 'future-core');
    npm(['publish', future, '--ignore-scripts'], work);
    npm(['publish', join(fixtures, 'future-plugin'), '--ignore-scripts'], work);
    npm(['install', 'charlearn-future-plugin@1.0.0'], app);
    expect(installed('@charlearn/core', join(app, 'node_modules', 'charlearn-future-plugin'))).toBe('1.0.0');
    const top = installed('@charlearn/core');

    const esm = nodeJson<{ loaded: boolean; name: string; message: string; before: string[] }>('contract-esm.mjs', app);
    expect(esm.loaded).toBe(false);
    expect(esm.name).toBe('ContractVersionError');
    expect(esm.message).toContain(`contract v1 (core ${top}`);
    expect(esm.message).toContain('contract v2 (core 1.0.0)');
    expect(esm.message).toContain('npm ls @charlearn/core');
    expect(esm.before).toContain('follmer'); // the app's own copy worked until the other one arrived

    const cjs = nodeJson<{ loaded: boolean; name: string; message: string; futureContract: number }>('contract-cjs.cjs', app);
    expect(cjs.loaded).toBe(false);
    expect(cjs.futureContract).toBe(2);
    expect(cjs.name).toBe('ContractVersionError');
    expect(cjs.message).toContain('contract v2 (core 1.0.0)');
    expect(cjs.message).toContain(`contract v1 (core ${top})`);
  });
});
