import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@charlearn/core';
import { defaultRunConfig, loadRunConfig } from './config';
import { configDepth } from './config-limits';
import { asRunFolderError, RunFolderError } from './fs-errors';
import { acquireRunLock, LOCK_FILE, RunLockedError } from './lock';
import { assertStepFits, estimateStepBytes } from './memory-estimate';
import { configDifferences, legacyRecordedConfig, RESUMABLE_KEYS, withoutPlacement } from './resume-check';
import { assertRunName, resolveRunFolder, takeRunFolder } from './run-folder';
import { resumeCommand } from './signals';

const root = mkdtempSync(join(tmpdir(), 'charlearn-run-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('configDifferences', () => {
  const recorded = withoutPlacement(defaultRunConfig() as unknown as Record<string, unknown>);
  const changed = (overrides: Record<string, unknown>) => withoutPlacement(loadRunConfig({}, overrides) as unknown as Record<string, unknown>);

  it('lists every run-defining key that differs, and nothing else', () => {
    const d = configDifferences(recorded, changed({ 'model.hidden': [8], 'data.target': 'gmm', interpolant: 'linear', 'teacher.lr': 0.5, seed: 9 }), 'teacher');
    expect(d.map((x) => x.key).sort()).toEqual(['data.target', 'interpolant', 'model.hidden', 'seed', 'teacher.lr']);
    expect(d.find((x) => x.key === 'model.hidden')).toEqual({ key: 'model.hidden', recorded: [256, 256, 256], current: [8] });
  });

  it('ignores the resumable keys and the sections the phase does not read', () => {
    const resumable = { 'teacher.steps': 9, 'distill.steps': 9, logEvery: 3, checkpointEvery: 7, 'eval.samples': 5, backend: 'cpu', threads: 2, replicas: 2 };
    expect(configDifferences(recorded, changed(resumable), 'teacher')).toEqual([]);
    expect(configDifferences(recorded, changed({ 'distill.lr': 0.5, 'wflow.epsilon': 1 }), 'teacher')).toEqual([]);
    expect(configDifferences(recorded, changed({ 'distill.lr': 0.5 }), 'distill').map((x) => x.key)).toEqual(['distill.lr']);
    expect(configDifferences(recorded, changed({ 'teacher.lr': 0.5 }), 'distill')).toEqual([]);
    expect(configDifferences(recorded, changed({ 'teacher.lr': 0.5, seed: 4 }), 'use-teacher')).toEqual([]);
    // a one-step run reads only its own method's section
    const wflow = changed({ method: 'wflow' });
    expect(configDifferences(wflow, { ...wflow, drifting: { temperatures: [1], scale: null } }, 'onestep')).toEqual([]);
    expect(configDifferences(wflow, changed({ method: 'wflow', 'wflow.epsilon': 1 }), 'onestep').map((x) => x.key)).toEqual(['wflow.epsilon']);
    expect(RESUMABLE_KEYS).toContain('checkpointEvery');
  });

  it('a key only one side has is not compared (a checkpoint older than the key); new keys are run-defining by default', () => {
    expect(configDifferences({ seed: 0 }, { seed: 0, plugins: ['x'] }, 'teacher')).toEqual([]);
    expect(configDifferences({ plugins: [] }, { plugins: ['x'] }, 'teacher')).toEqual([{ key: 'plugins', recorded: [], current: ['x'] }]);
  });

  it('reads what an older checkpoint records', () => {
    expect(legacyRecordedConfig({ kind: 'teacher', dataset: 'swiss-roll', interpolant: 'follmer', config: { lr: 0.001 } }, ['swiss-roll'])).toEqual({
      interpolant: 'follmer',
      teacher: { lr: 0.001 },
      data: { target: 'swiss-roll' },
    });
    expect(legacyRecordedConfig({ kind: 'onestep', objective: 'wflow', dataset: 'mnist-train', config: {} }, ['mnist'])).toEqual({ onestep: {}, method: 'wflow' });
  });
});

describe('run names and folders', () => {
  it('accepts one segment of letters, digits, - _ .; refuses paths, dot names and long names', () => {
    for (const ok of ['roll', 'a.b-c_d', 'R2', '_x']) expect(() => assertRunName(ok)).not.toThrow();
    for (const bad of ['../x', 'a/b', '.hidden', '..', 'a b', '', 'é', 'a'.repeat(101)]) expect(() => assertRunName(bad), bad).toThrow(ConfigError);
  });

  it('runDir is the folder itself; a name that disagrees with it is refused', () => {
    expect(resolveRunFolder({ ...defaultRunConfig(), runDir: join(root, 'x', 'roll') })).toEqual({ name: 'roll', dir: join(root, 'x', 'roll') });
    expect(() => resolveRunFolder({ ...defaultRunConfig(), name: 'other', runDir: join(root, 'roll') })).toThrow(/disagree/);
  });

  it('takeRunFolder removes stale temp files, sparing those of other live processes (a lock attempt)', async () => {
    const dir = join(root, 'temps');
    mkdirSync(dir);
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(dir, `.teacher.ckpt.${dead}.0a1b2c3d.tmp`), 'x');
    writeFileSync(join(dir, `..lock.${process.ppid}.0a1b2c3d.tmp`), 'x');
    writeFileSync(join(dir, 'teacher.ckpt'), 'kept');
    const logs: string[] = [];
    const { lock, removedTempFiles } = await takeRunFolder(dir, { command: 'x', log: (m) => logs.push(m) });
    lock.release();
    expect(removedTempFiles).toEqual([`.teacher.ckpt.${dead}.0a1b2c3d.tmp`]);
    expect(readdirSync(dir).sort()).toEqual([`..lock.${process.ppid}.0a1b2c3d.tmp`, 'teacher.ckpt']);
    expect(logs[0]).toMatch(/removed 1 stale temp file/);
  });

  it('maps OS error codes to RunFolderError with advice; leaves other errors alone', () => {
    const e = asRunFolderError(Object.assign(new Error('x'), { code: 'ENOSPC' }), 'write x', '/p');
    expect(e).toBeInstanceOf(RunFolderError);
    expect(e?.message).toBe('cannot write x: no space left on the device (ENOSPC, /p); free disk space (or pass --out on another disk), then run the same command again');
    expect(asRunFolderError(new Error('plain'), 'a', '/p')).toBeUndefined();
    expect(asRunFolderError(Object.assign(new Error('x'), { code: 'EWHATEVER' }), 'a', '/p')).toBeUndefined();
  });
});

describe('acquireRunLock', () => {
  it('is exclusive: a second holder gets RunLockedError with the PID; released, it can be taken again', async () => {
    const dir = join(root, 'lock-1');
    mkdirSync(dir);
    const lock = await acquireRunLock(dir, { command: 'charlearn train', log: () => undefined });
    const info = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; host: string; command: string };
    expect(info).toMatchObject({ pid: process.pid, host: hostname(), command: 'charlearn train' });
    const second = await acquireRunLock(dir, { command: 'y', log: () => undefined }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(RunLockedError);
    expect((second as RunLockedError).pid).toBe(process.pid);
    lock.release();
    lock.release();
    (await acquireRunLock(dir, { command: 'z', log: () => undefined })).release();
  });

  it('takes over a dead holder (warning) and an unreadable lock; refuses another host', async () => {
    const dir = join(root, 'lock-2');
    mkdirSync(dir);
    const logs: string[] = [];
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 4242, host: hostname(), started: 't', command: 'c' }));
    const lock = await acquireRunLock(dir, { command: 'x', log: (m) => logs.push(m), isAlive: () => false });
    expect(logs).toEqual(['warning: took over the lock of PID 4242 (c, since t), which is no longer running']);
    lock.release();
    writeFileSync(join(dir, LOCK_FILE), '');
    (await acquireRunLock(dir, { command: 'x', log: (m) => logs.push(m) })).release();
    expect(logs[1]).toMatch(/replaced an unreadable lock file/);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 7, host: 'elsewhere', started: 't', command: 'c' }));
    await expect(acquireRunLock(dir, { command: 'x', log: () => undefined })).rejects.toThrow(/locked by PID 7 on host 'elsewhere'/);
  });
});

describe('limits', () => {
  it('configDepth counts nesting without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(configDepth(deep, 40)).toBe(41);
    expect(configDepth({ a: { b: [1] } })).toBe(3);
    expect(configDepth(5)).toBe(0);
  });

  it('estimates the step memory (MLP: batch x activations x 3 x 4 bytes) and refuses a batch beyond wasm memory', () => {
    const c = loadRunConfig({ model: { hidden: [64, 64], timeEmbeddingDim: 16 }, teacher: { batchSize: 100 } });
    expect(estimateStepBytes(c, 'teacher', [2])).toBe(100 * (4 + 16 + 128) * 3 * 4);
    expect(() => assertStepFits(c, 'teacher', [2], 'wasm')).not.toThrow();
    const big = loadRunConfig({ model: { hidden: [64, 64] }, teacher: { batchSize: 5_000_000 } });
    expect(() => assertStepFits(big, 'teacher', [2], 'wasm')).toThrow(/teacher\.batchSize: a training step of batch 5,000,000 needs at least/);
    expect(() => assertStepFits(big, 'teacher', [2], 'webgpu')).not.toThrow();
  });

  it('resumeCommand: the same arguments, --force dropped, --resume added, quoted for a shell', () => {
    expect(resumeCommand(['train', '-c', 'my run.yaml', '--force'])).toBe("charlearn train -c 'my run.yaml' --resume");
    expect(resumeCommand(['distill', '--resume'])).toBe('charlearn distill --resume');
  });
});
