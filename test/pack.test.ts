/**
 * Packed-tarball consumer test: `npm pack` @charlearn/core and @charlearn/solvers
 * (test/lib/packed.ts: packed once, shared with test/plugins.test.ts)
 * (built dist/, as published), install the tarballs into a scratch project outside
 * the repo next to tfjs-core/tfjs-backend-cpu/typescript, and use them the way a
 * user would: ESM, CJS, both in one process, and TypeScript under nodenext and
 * bundler resolution. Needs `npm run build` first (turbo's ^build does it).
 * Set KEEP_PACK_TMP=1 to keep the scratch project for debugging.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, execAsync, nodeJson as runNodeJson, secondsSince, sh, shAsync, type Run } from './lib/exec';
import { packedTarballs } from './lib/packed';

const repo = fileURLToPath(new URL('..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/pack-consumer/', import.meta.url));
const PACKAGES = ['packages/core', 'packages/solvers'];
const THIRD_PARTY = ['@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-backend-cpu@4.22.0', 'typescript@~5.9.3'];

/** Last stdout line of a node script run in the scratch project, parsed as JSON. */
const nodeJson = <T>(file: string): T => runNodeJson<T>(file, app);

let work = '';
let app = '';

beforeAll(() => {
  const t0 = Date.now();
  for (const rel of PACKAGES) {
    const dir = join(repo, rel);
    if (!existsSync(join(dir, 'dist', 'index.js'))) {
      throw new Error(`${rel}/dist is missing: build first (npm run build, or turbo run test which builds ^deps)`);
    }
  }
  work = mkdtempSync(join(tmpdir(), 'charlearn-pack-'));
  app = join(work, 'app');
  mkdirSync(app);
  // npm pack of each, shared with test/plugins.test.ts through a content-keyed cache (test/lib/packed.ts)
  const files = packedTarballs(PACKAGES.map((rel) => join(repo, rel)));
  const tPack = Date.now();
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'charlearn-pack-consumer', private: true, type: 'module' }, null, 2));
  // One install: the local core tarball satisfies solvers' "@charlearn/core": "^0.1.0" (not on the registry).
  sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...files, ...THIRD_PARTY], app);
  for (const f of readdirSync(fixtures)) cpSync(join(fixtures, f), join(app, f));
  console.log(`[pack] npm pack ${((tPack - t0) / 1000).toFixed(1)} s, npm install ${secondsSince(tPack)} s (${work})`);
});

afterAll(() => {
  if (work && !process.env.KEEP_PACK_TMP) rmSync(work, { recursive: true, force: true });
});

interface SampleOut {
  format: string;
  backend: string;
  shape: number[];
  nfe: number;
  values: number[];
  testing: string;
}

function checkSamples(r: SampleOut): void {
  expect(r.backend).toBe('cpu');
  expect(r.shape).toEqual([256, 2]);
  expect(r.nfe).toBeGreaterThan(0);
  expect(r.values).toHaveLength(512);
  expect(r.values.every(Number.isFinite)).toBe(true);
  // Heun on the exact field of 0.5·N((±2, 0), 0.3²I): points land near the two modes.
  const xs = r.values.filter((_, i) => i % 2 === 0);
  const ys = r.values.filter((_, i) => i % 2 === 1);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  expect(mean(xs.map(Math.abs))).toBeGreaterThan(1.6);
  expect(mean(xs.map(Math.abs))).toBeLessThan(2.4);
  expect(mean(ys.map(Math.abs))).toBeLessThan(0.5);
  const right = xs.filter((v) => v > 0).length / xs.length;
  expect(right).toBeGreaterThan(0.3);
  expect(right).toBeLessThan(0.7);
}

describe('packed tarballs in a scratch project', () => {
  let esm: SampleOut;

  it('(a) ESM: import { sample } + core, Heun on cpu samples the 2-D mixture', () => {
    esm = nodeJson<SampleOut>('esm.mjs');
    checkSamples(esm);
  });

  it('(b) CJS: require() does the same, with identical numbers', () => {
    const cjs = nodeJson<SampleOut>('cjs.cjs');
    checkSamples(cjs);
    if (esm) expect(cjs.values).toEqual(esm.values);
  });

  it('(d) @charlearn/solvers/testing resolves from ESM and CJS', () => {
    const code = (kind: string) => `console.log(typeof ${kind}('@charlearn/solvers/testing').runSolverConformance)`;
    expect(sh(process.execPath, ['--input-type=commonjs', '-e', code('require')], app).trim()).toBe('function');
    expect(sh(process.execPath, ['--input-type=module', '-e', `import('@charlearn/solvers/testing').then((m) => console.log(typeof m.runSolverConformance))`], app).trim()).toBe('function');
  });

  it('ESM and CJS copies share one solver registry', () => {
    const r = nodeJson<{ esm: string[]; cjs: string[] }>('dual.mjs');
    expect(r.esm).toEqual(expect.arrayContaining(['euler', 'heun', 'exp-integrator']));
    expect(r.cjs).toEqual(r.esm);
  });

  const tsc = () => [join(app, 'node_modules', 'typescript', 'bin', 'tsc')];
  /**
   * One nodenext program of the good files (types.ts, types-cjs.cts) and bad.ts: a tsc run is ~15-40 s on 2 cores,
   * and the nodenext check and the rejection check need the same options, so one run serves both; the good files
   * must have no diagnostic of their own (nor may any file other than bad.ts), bad.ts must have its type error.
   */
  let nodenextRun: Promise<Run> | undefined;
  const nodenextWithBad = (): Promise<Run> => (nodenextRun ??= execAsync(process.execPath, [...tsc(), '-p', 'tsconfig.nodenext-and-bad.json', '--pretty', 'false'], app));
  const errorLines = (r: Run): string[] => `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l));

  it('(c) a custom SolverPlugin type-checks under module/moduleResolution nodenext (.ts and .cts)', async () => {
    const r = await nodenextWithBad();
    // every diagnostic of the program is bad.ts's (global ones and those in node_modules' .d.ts have other prefixes)
    expect(errorLines(r).filter((l) => !l.startsWith('bad.ts(')), describeRun('tsc', ['-p', 'tsconfig.nodenext-and-bad.json'], app, r)).toEqual([]);
  });

  it('(c) ... and under moduleResolution bundler', async () => {
    await shAsync(process.execPath, [...tsc(), '-p', 'tsconfig.bundler.json'], app);
  });

  it('(c) tsc rejects a malformed SolverPlugin', async () => {
    const r = await nodenextWithBad();
    expect(r.status).not.toBe(0);
    const out = r.stdout + r.stderr;
    // Fails for the intended reason (a type error in bad.ts), not e.g. an unresolved import.
    expect(out).toMatch(/^bad\.ts\(\d+,\d+\): error TS(2322|2739|2740|2741)/m);
    expect(out).not.toMatch(/error TS(2307|2792|7016)/);
  });
});
