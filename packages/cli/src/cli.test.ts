import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner, readJson } from './cli-test-helpers';
import { backends } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { evaluationSamples, exactW2 } from '@charlearn/metrics';
import type { EvalMetrics, OneStepMetrics } from './evaluate';
import type { HistoryPoint } from './training-loop';

let out: string;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'charlearn-cli-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

const run = cliRunner(() => out);

describe('charlearn demo --quick', () => {
  it('trains, distills, evaluates and writes samples.png, metrics.json and checkpoints', async () => {
    const { code, err } = await run('demo', '--quick', '--set', 'name=quick');
    expect(code, err).toBe(0);
    const dir = join(out, 'quick');
    for (const f of ['teacher.ckpt', 'generator.ckpt', 'samples.png', 'metrics.json', 'config.json', 'history.json', 'losses.png']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const png = readFileSync(join(dir, 'samples.png'));
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    // four 280-px panels in a row, drawn at 1.5 pixels a unit, plus axes and titles
    expect(png.readUInt32BE(16)).toBeGreaterThan(1.5 * 4 * 280);
    expect(png.readUInt32BE(20)).toBeGreaterThan(1.5 * 280);
    const losses = readFileSync(join(dir, 'losses.png'));
    expect([...losses.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(losses.readUInt32BE(16)).toBeGreaterThan(1.5 * 560);
    const m = readJson<EvalMetrics>(join(dir, 'metrics.json'));
    expect(m.backend).toBe('wasm');
    expect(m.w2.oneStep).toBeGreaterThan(0);
    expect(Object.keys(m.w2.teacher)).toEqual(expect.arrayContaining(['euler@1', 'heun@19', 'exp-integrator@5']));
    expect(m.w2.floor).toBeGreaterThan(0);
    expect(m.sampling.oneStepPerSec).toBeGreaterThan(m.sampling.teacherPerSec);
    // The floor is two data samples: it must be far below an untrained-ish teacher at NFE 1 (the mean).
    expect(m.w2.floor).toBeLessThan(m.w2.teacher['euler@1']!);
    // every solver's one NFE is the same denoiser step from z: the same points, the same figure
    expect(m.w2.teacher['heun@1']).toBe(m.w2.teacher['euler@1']);
    expect(m.w2.teacher['exp-integrator@1']).toBe(m.w2.teacher['euler@1']);
    expect(m.sampling.teacherSampler).toBe('heun@19');
  }, 240_000);

  it('eval.neighbours changes the W2 solver only: eval at 24 and at 1 gives the figures of 8 to the bit', async () => {
    const w2At = async (neighbours: string): Promise<EvalMetrics['w2']> => {
      const { code, err } = await run('eval', '--quick', '--set', 'name=quick', '--set', `eval.neighbours=${neighbours}`);
      expect(code, err).toBe(0);
      return readJson<EvalMetrics>(join(out, 'quick', 'metrics.json')).w2;
    };
    const at8 = await w2At('8');
    expect(await w2At('24')).toEqual(at8);
    expect(await w2At('1')).toEqual(at8);
    const bad = await run('eval', '--quick', '--set', 'name=quick', '--set', 'eval.neighbours=0');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('eval.neighbours');
  }, 240_000);

  it('samples from the run with --steps and --n', async () => {
    const { code, err } = await run('sample', '--quick', '--set', 'name=quick', '--steps', '2', '--n', '100');
    expect(code, err).toBe(0);
    const s = readJson<{ points: number[] }>(join(out, 'quick', 'samples-2step.json'));
    expect(s.points).toHaveLength(200);
    expect(s.points.every(Number.isFinite)).toBe(true);
  }, 120_000);
});

describe('stop and resume', () => {
  it('gives the same next losses as an uninterrupted run with the same seed', async () => {
    const common = ['--quick', '--set', 'logEvery=1', '--set', 'teacher.steps=16'];
    expect((await run('train', ...common, '--set', 'name=straight')).code).toBe(0);
    expect((await run('train', '--quick', '--set', 'logEvery=1', '--set', 'teacher.steps=8', '--set', 'name=resumed')).code).toBe(0);
    const { code, err } = await run('train', ...common, '--set', 'name=resumed', '--resume');
    expect(code, err).toBe(0);
    expect(err).toMatch(/resuming the teacher .* at step 8/);
    const a = readJson<{ teacher: HistoryPoint[] }>(join(out, 'straight', 'history.json')).teacher;
    const b = readJson<{ teacher: HistoryPoint[] }>(join(out, 'resumed', 'history.json')).teacher;
    expect(b.map((p) => p.step)).toEqual(a.map((p) => p.step));
    expect(b.slice(8).map((p) => p.loss)).toEqual(a.slice(8).map((p) => p.loss));
  }, 120_000);
});

describe('clear errors', () => {
  it('names the config key for a bad value and an unknown solver', async () => {
    let r = await run('train', '--quick', '--set', 'teacher.steps=0');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/teacher\.steps/);
    r = await run('train', '--quick', '--set', 'distill.teacherSolver=rk45');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/distill\.teacherSolver.*unknown solver 'rk45'/);
  });

  it('says which backend is unavailable and why', async () => {
    // A backend that is unavailable on every machine (webgpu, say, comes up through SwiftShader where chromium is installed).
    const name = 'test/unavailable';
    backends.register({
      name,
      isAvailable: async () => ({ available: false, reason: 'no test accelerator here: install test-accelerator' }),
      setup: async () => {
        throw new Error('setup() of an unavailable backend must not run');
      },
    });
    try {
      const r = await run('train', '--quick', '--backend', name, '--set', 'name=nobackend');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/BackendUnavailableError: backend 'test\/unavailable' is not available.*no test accelerator here: install test-accelerator/);
    } finally {
      backends.unregister(name);
    }
  });

  it('refuses to distill without a teacher and to load a corrupt checkpoint', async () => {
    let r = await run('distill', '--quick', '--set', 'name=empty');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/CheckpointError: distillation needs a trained teacher/);
    expect((await run('train', '--quick', '--set', 'name=corrupt', '--set', 'teacher.steps=4')).code).toBe(0);
    const path = join(out, 'corrupt', 'teacher.ckpt');
    const bytes = readFileSync(path);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
    writeFileSync(path, bytes);
    r = await run('distill', '--quick', '--set', 'name=corrupt');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/CheckpointError: .*checksum.*corrupt[\\/]teacher\.ckpt/i);
  }, 60_000);

  it('stops on a NaN/Inf loss with the step number and points at the last good checkpoint', async () => {
    const r = await run('train', '--quick', '--set', 'name=nan', '--set', 'teacher.lr=1e38', '--set', 'teacher.warmupSteps=0', '--set', 'teacher.gradClip=1e38', '--set', 'checkpointEvery=1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/NonFiniteError: training stopped: .* at step \d+; the last good checkpoint of this run is .*nan[\\/]teacher\.ckpt \(step \d+\): resume with --resume/);
  }, 60_000);

  it('--resume needs a run name', async () => {
    const r = await run('train', '--quick', '--resume');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--resume needs the run's name/);
  });
});

describe('teacher-free methods (train --method)', () => {
  const fast = ['--quick', '--set', 'wflow.maxIter=20', '--set', 'wflow.tol=0.01', '--set', 'wflow.epsilon=0.1'];

  it.each(['drifting', 'drifting-conservative', 'wflow'])('%s trains, evaluates, samples and re-evaluates through main()', async (method) => {
    const name = `tf-${method}`;
    const { code, err } = await run('train', '--method', method, ...fast, '--set', `name=${name}`, '--set', 'onestep.lr=3e-3');
    expect(code, err).toBe(0);
    const dir = join(out, name);
    for (const f of ['generator.ckpt', 'samples.png', 'metrics.json', 'history.json', 'losses.png']) expect(existsSync(join(dir, f)), f).toBe(true);
    expect(existsSync(join(dir, 'teacher.ckpt'))).toBe(false);
    const m = readJson<OneStepMetrics>(join(dir, 'metrics.json'));
    expect(m).toMatchObject({ method, backend: 'wasm', training: { steps: 40, batchSize: 128 } });
    expect(m.training.wallSeconds).toBeGreaterThan(0);
    // The untrained generator is the identity (its last layer starts at zero): W2 of z itself against the held-out data.
    const target = getTarget('swiss-roll');
    const { heldOut, floor, z } = evaluationSamples(target, 256, 0);
    expect(m.w2.floor).toBeCloseTo(floor, 6);
    expect(m.w2.oneStep).toBeLessThan(0.9 * exactW2(z, heldOut));
    expect(m.w2.oneStep).toBeGreaterThan(m.w2.floor);
    // eval reloads the checkpoint: the same figure; sample writes finite points
    let r = await run('eval', '--method', method, ...fast, '--set', `name=${name}`);
    expect(r.code, r.err).toBe(0);
    expect(readJson<OneStepMetrics>(join(dir, 'metrics.json')).w2.oneStep).toBeCloseTo(m.w2.oneStep, 6);
    // sample finds the teacher-free generator from its checkpoint even without --method
    r = await run('sample', ...fast, '--set', `name=${name}`, '--n', '50');
    expect(r.code, r.err).toBe(0);
    const s = readJson<{ points: number[] }>(join(dir, 'samples-1step.json'));
    expect(s.points).toHaveLength(100);
    expect(s.points.every(Number.isFinite)).toBe(true);
    r = await run('sample', '--method', method, ...fast, '--set', `name=${name}`, '--steps', '2');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--steps: the run's teacher-free generator is one-step only/);
  }, 120_000);

  it('resumes a teacher-free run where it stopped, with the same next losses', async () => {
    const common = ['--method', 'drifting-conservative', '--quick', '--set', 'logEvery=1'];
    expect((await run('train', ...common, '--set', 'onestep.steps=12', '--set', 'name=tf-straight')).code).toBe(0);
    expect((await run('train', ...common, '--set', 'onestep.steps=6', '--set', 'name=tf-resumed')).code).toBe(0);
    const { code, err } = await run('train', ...common, '--set', 'onestep.steps=12', '--set', 'name=tf-resumed', '--resume');
    expect(code, err).toBe(0);
    expect(err).toMatch(/resuming the drifting-conservative generator .* at step 6/);
    const a = readJson<{ onestep: HistoryPoint[] }>(join(out, 'tf-straight', 'history.json')).onestep;
    const b = readJson<{ onestep: HistoryPoint[] }>(join(out, 'tf-resumed', 'history.json')).onestep;
    expect(b.map((p) => p.step)).toEqual(a.map((p) => p.step));
    expect(b.slice(6).map((p) => p.loss)).toEqual(a.slice(6).map((p) => p.loss));
    // a different method cannot resume this run's generator
    const other = await run('train', '--method', 'drifting', '--quick', '--set', 'name=tf-resumed', '--resume');
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/ResumeMismatchError: .*\n  method: checkpoint "drifting-conservative", config "drifting"/);
  }, 120_000);

  it('takes method and its hyperparameters from the config file, with named errors', async () => {
    const cfg = join(out, 'drift.yaml');
    writeFileSync(cfg, ['method: drifting', 'drifting:', '  temperatures: [0.05, 0.2]', 'onestep:', '  steps: 5', ''].join('\n'));
    let r = await run('train', '-c', cfg, '--quick', '--set', 'onestep.steps=5', '--set', 'name=tf-file');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/drifting: one-step generator .* 5 updates, .*"temperatures":\[0\.05,0\.2\]/);
    r = await run('train', '--method', 'drifitng', '--quick');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ConfigError: method: unknown method 'drifitng'; known: characteristic, drifting, drifting-conservative, wflow/);
    r = await run('train', '-c', cfg, '--quick', '--set', 'drifting.temperatures=[0.1,-1]');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ConfigError: config key 'drifting\.temperatures\[1\]'/);
    r = await run('train', '--method', 'wflow', '--quick', '--set', 'wflow.epsilon=0');
    expect(r.err).toMatch(/config key 'wflow\.epsilon'/);
    r = await run('distill', '-c', cfg, '--quick', '--set', 'name=tf-file');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/method 'drifting' has no teacher to distill/);
  }, 60_000);
});
