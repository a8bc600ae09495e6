/**
 * `train --force` over a finished run: the replaced run's generator (and its metrics and samples) is moved into
 * `.replaced-<time>/`, byte for byte, with a line saying so; the new teacher never sits beside a stale generator.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './cli-test-helpers';
import { staleArtifacts } from './replaced-artifacts';

let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'charlearn-replaced-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));
const run = cliRunner(() => out);

const TINY = ['name=f', 'model.hidden=[8]', 'teacher.steps=2', 'teacher.batchSize=16', 'teacher.warmupSteps=1', 'distill.steps=2', 'distill.batchSize=8', 'distill.warmupSteps=1', 'distill.gridSize=4', 'checkpointEvery=0', 'logEvery=1'].flatMap((s) => ['--set', s]);

describe('--force sets the replaced run aside', () => {
  it('which files a phase makes stale', () => {
    const names = ['teacher.ckpt', 'teacher.prev.ckpt', 'generator.ckpt', 'generator.prev.ckpt', 'generator.safetensors', 'metrics.json', 'samples.png', 'samples-1step.json', 'samples-4step.f32', 'config.json', 'history.json', 'losses.png', '.lock'];
    expect(staleArtifacts('teacher', names)).toEqual(['generator.ckpt', 'generator.prev.ckpt', 'generator.safetensors', 'metrics.json', 'samples-1step.json', 'samples-4step.f32', 'samples.png']);
    expect(staleArtifacts('distill', names)).toEqual(['generator.safetensors', 'metrics.json', 'samples-1step.json', 'samples-4step.f32', 'samples.png']);
  });

  it('train --force moves the old generator and its samples to .replaced-<time>/, unchanged', async () => {
    for (const command of ['train', 'distill', 'sample']) {
      const r = await run(command, ...TINY);
      expect(r.code, r.err).toBe(0);
    }
    const dir = join(out, 'f');
    const generator = readFileSync(join(dir, 'generator.ckpt'));
    const samples = readFileSync(join(dir, 'samples-1step.json'));
    let r = await run('train', '--force', ...TINY, '--set', 'seed=3');
    expect(r.code, r.err).toBe(0);
    const [replaced, ...more] = readdirSync(dir).filter((n) => n.startsWith('.replaced-'));
    expect(more).toEqual([]);
    expect(replaced).toMatch(/^\.replaced-\d{8}T\d{6}Z$/);
    expect(r.err).toContain(`--force: moved generator.ckpt, samples-1step.json, samples-1step.png (made from the teacher this run replaces) to ${join(dir, replaced!)}/`);
    expect(existsSync(join(dir, 'generator.ckpt'))).toBe(false);
    expect(readFileSync(join(dir, replaced!, 'generator.ckpt')).equals(generator)).toBe(true);
    expect(readFileSync(join(dir, replaced!, 'samples-1step.json')).equals(samples)).toBe(true);
    // the new teacher distills without --force: no generator of the old teacher is in the way
    r = await run('distill', ...TINY, '--set', 'seed=3');
    expect(r.code, r.err).toBe(0);
  }, 60_000);
});
