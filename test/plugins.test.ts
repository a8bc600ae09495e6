/**
 * Plugins end to end, as a user would meet them: the published packages and a third-party plugin package
 * (test/fixtures/plugin-package: a stateful solver, an objective with options, a network kind) are packed, installed
 * into a scratch project outside the repo, and driven through `charlearn` with `plugins:` in a YAML config:
 * train (teacher on the plugin's network kind), distill (teacher targets from the plugin's solver), eval, sample;
 * then `sample --steps 1` of that generator with the plugin not loaded (one-step sampling never runs the solver),
 * `sample --steps 2` without it (the checkpoint's requirement, named), the plugin's objective trained with options,
 * and a typo in those options naming the closest key. Needs `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cleanEnv, secondsSince, sh, type Run } from './lib/exec';
import { packedTarballs } from './lib/packed';

const repo = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = ['packages/core', 'packages/solvers', 'packages/nets', 'packages/data', 'packages/metrics', 'packages/distill', 'packages/plots', 'packages/cli', 'plugins/backend-wasm'];
const PLUGIN = join(repo, 'test', 'fixtures', 'plugin-package');

let work = '';
let app = '';
const bin = (): string => join(app, 'node_modules', '@charlearn', 'cli', 'dist', 'bin.js');
/** Runs the installed `charlearn` in the scratch project; stdout and stderr both kept (the CLI logs to stderr). */
function charlearn(...args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin(), ...args], { cwd: app, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', fail);
    child.on('close', (code) => done({ status: code ?? 1, stdout, stderr }));
  });
}

/** A tiny 2-D run (a few steps of each phase) with `extra` on top, as YAML. */
function tinyYaml(extra: Record<string, unknown>): string {
  const base: Record<string, unknown> = {
    outDir: 'out',
    backend: 'cpu',
    data: { target: '8gaussians' },
    teacher: { steps: 30, batchSize: 64, warmupSteps: 2 },
    distill: { steps: 6, batchSize: 32, warmupSteps: 1, gridSize: 4 },
    onestep: { steps: 20, batchSize: 64, warmupSteps: 2, lr: 0.003 },
    eval: { samples: 64, teacherNfe: [2], fewSteps: [1, 2] },
    checkpointEvery: 0,
    logEvery: 10,
  };
  for (const [k, v] of Object.entries(extra)) base[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof base[k] === 'object' ? { ...(base[k] as object), ...v } : v;
  return stringify(base);
}

beforeAll(() => {
  const t0 = Date.now();
  for (const rel of PACKAGES) if (!existsSync(join(repo, rel, 'dist'))) throw new Error(`${rel}/dist is missing: build first (npm run build)`);
  work = mkdtempSync(join(tmpdir(), 'charlearn-plugins-'));
  app = join(work, 'app');
  mkdirSync(app);
  // npm pack of each, shared with test/pack.test.ts through a content-keyed cache (test/lib/packed.ts)
  const files = packedTarballs([...PACKAGES.map((rel) => join(repo, rel)), PLUGIN]);
  const tPack = Date.now();
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'charlearn-plugin-user', private: true, type: 'module' }, null, 2));
  sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...files], app);
  console.log(`[plugins] npm pack ${((tPack - t0) / 1000).toFixed(1)} s, npm install ${secondsSince(tPack)} s (${work})`);
});

afterAll(() => {
  if (work && !process.env.KEEP_PACK_TMP) rmSync(work, { recursive: true, force: true });
});

const ok = (r: Run): string => {
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout + r.stderr;
};

describe('a third-party plugin package through plugins: in a YAML config', () => {
  it('train, distill, eval and sample with its network kind and stateful solver', async () => {
    const yaml = tinyYaml({
      name: 'ab2',
      plugins: ['charlearn-plugin-fixture'],
      model: { kind: 'fixture/wide-mlp', width: 24, layers: 2 },
      distill: { teacherSolver: 'fixture/ab2' },
      eval: { teacherSolvers: ['fixture/ab2', 'euler'] },
    });
    expect(yaml).toContain('plugins:\n  - charlearn-plugin-fixture');
    writeFileSync(join(app, 'run.yaml'), yaml);
    expect(ok(await charlearn('train', '-c', 'run.yaml'))).toMatch(/fixture\/wide-mlp \(width 24, layers 2;/);
    ok(await charlearn('distill', '-c', 'run.yaml'));
    const evalOut = ok(await charlearn('eval', '-c', 'run.yaml'));
    expect(evalOut).toMatch(/fixture\/ab2/);
    ok(await charlearn('sample', '-c', 'run.yaml', '--steps', '2', '--n', '50'));
    const s = JSON.parse(readFileSync(join(app, 'out', 'ab2', 'samples-2step.json'), 'utf8')) as { points: number[] };
    expect(s.points).toHaveLength(100);
    expect(s.points.every(Number.isFinite)).toBe(true);
    const ckpt = JSON.parse(readFileSync(join(app, 'out', 'ab2', 'config.json'), 'utf8')) as { plugins: string[]; distill: { teacherSolver: string } };
    expect(ckpt.plugins).toEqual(['charlearn-plugin-fixture']);
  });

  it('sample --steps 1 of that generator with the plugin not loaded (not even installed); eval names the checkpoint requirement', async () => {
    const installed = join(app, 'node_modules', 'charlearn-plugin-fixture');
    const away = join(work, 'plugin-away');
    renameSync(installed, away);
    try {
      writeFileSync(join(app, 'bare.yaml'), tinyYaml({ name: 'ab2' }));
      ok(await charlearn('sample', '-c', 'bare.yaml', '--steps', '1', '--n', '40'));
      const s = JSON.parse(readFileSync(join(app, 'out', 'ab2', 'samples-1step.json'), 'utf8')) as { points: number[] };
      expect(s.points).toHaveLength(80);
      expect(s.points.every(Number.isFinite)).toBe(true);
      // the generator file alone, no config at all (its recorded settings are the config)
      ok(await charlearn('sample', '--checkpoint', join('out', 'ab2', 'generator.ckpt'), '--steps', '1', '--n', '30'));
      expect((JSON.parse(readFileSync(join(app, 'out', 'ab2', 'samples-1step.json'), 'utf8')) as { points: number[] }).points).toHaveLength(60);
      // eval runs the teacher's solver: the checkpoint says which plugin it needs
      const r = await charlearn('eval', '-c', 'bare.yaml');
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/PluginLoadError: cannot import plugin 'charlearn-plugin-fixture' \(required by the checkpoint .*generator\.ckpt, which was made with it\): the package is not installed/);
    } finally {
      renameSync(away, installed);
    }
    // with it installed again, the checkpoint alone is enough for eval too
    ok(await charlearn('eval', '--checkpoint', join('out', 'ab2', 'generator.ckpt')));
  });

  it('a plugin objective trained with its options; a typo in them names the closest key', async () => {
    writeFileSync(join(app, 'moments.yaml'), tinyYaml({ name: 'moments', plugins: ['charlearn-plugin-fixture'], method: 'fixture/moments', 'fixture/moments': { gain: 0.5 } }));
    ok(await charlearn('train', '-c', 'moments.yaml'));
    expect(existsSync(join(app, 'out', 'moments', 'generator.ckpt'))).toBe(true);
    writeFileSync(join(app, 'typo.yaml'), tinyYaml({ name: 'typo', plugins: ['charlearn-plugin-fixture'], method: 'fixture/moments', 'fixture/moments': { gian: 0.5 } }));
    const r = await charlearn('train', '-c', 'typo.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("ConfigError: unknown config key 'fixture/moments.gian'; did you mean 'fixture/moments.gain'? (keys of 'fixture/moments': gain, meanOnly) (in typo.yaml)");
  });

  it('a plugin that is not installed is a named error saying who asked for it', async () => {
    writeFileSync(join(app, 'missing.yaml'), 'plugins: [no-such-charlearn-plugin]\n');
    const r = await charlearn('train', '-c', 'missing.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PluginLoadError: cannot import plugin 'no-such-charlearn-plugin' \(config key 'plugins\[0\]' in missing\.yaml\): the package is not installed/);
    const f = await charlearn('train', '--plugin', './nope.mjs');
    expect(f.stderr).toMatch(/PluginLoadError: cannot import plugin '\.\/nope\.mjs' \(--plugin \.\/nope\.mjs\): no such file/);
  });
});
