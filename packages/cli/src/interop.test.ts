import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTensors, useBackend, writeSafetensors } from '@charlearn/core';
import { createMlp, loadNetwork, saveNetwork } from '@charlearn/nets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './cli-test-helpers';

let out: string;
beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'charlearn-interop-'));
  await useBackend('cpu');
});
afterAll(() => rmSync(out, { recursive: true, force: true }));
const run = cliRunner(() => out);

describe('charlearn import / export', () => {
  it('imports a teacher network file, distills it, and exports the generator as safetensors', async () => {
    const teacher = createMlp({ dim: 2, hidden: [32, 32], seed: 9 });
    const file = join(out, 'teacher.safetensors');
    writeFileSync(file, saveNetwork(teacher, { source: 'test' }));
    let r = await run('import', file, '--quick', '--set', 'name=imp');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/imported mlp teacher \(\d+ parameters\)/);
    // the run's teacher checkpoint holds exactly the imported weights (and its EMA starts there)
    const ckpt = decodeTensors(new Uint8Array(readFileSync(join(out, 'imp', 'teacher.ckpt'))));
    expect(ckpt.meta.kind).toBe('teacher');
    expect(ckpt.meta.step).toBe(0);
    for (const [name, { values }] of Object.entries(teacher.getWeights())) expect(ckpt.arrays[`net/${name}`]!.values, name).toEqual(values);
    r = await run('distill', '--quick', '--set', 'name=imp');
    expect(r.code, r.err).toBe(0);
    r = await run('export', '--quick', '--set', 'name=imp');
    expect(r.code, r.err).toBe(0);
    const bytes = new Uint8Array(readFileSync(join(out, 'imp', 'generator.safetensors')));
    const { meta } = decodeTensors(bytes);
    expect(meta).toMatchObject({ format: 'charlearn-network', interpolant: 'follmer', sigmaData: expect.any(Number), eps0: expect.any(Number) });
    const g = loadNetwork(bytes);
    expect(g.twoTime).toBe(true);
    expect(g.config).toMatchObject({ kind: 'mlp', dim: 2, hidden: [32, 32] });
    // a generator file imports as the run's generator (EMA = the imported weights): export gives them back
    const student = createMlp({ dim: 2, hidden: [32, 32], seed: 10, twoTime: true });
    const genFile = join(out, 'generator-in.safetensors');
    writeFileSync(genFile, saveNetwork(student));
    r = await run('import', genFile, '--quick', '--set', 'name=imp');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/imported mlp generator/);
    r = await run('sample', '--quick', '--set', 'name=imp', '--n', '16');
    expect(r.code, r.err).toBe(0);
    r = await run('export', '--quick', '--set', 'name=imp');
    const again = decodeTensors(new Uint8Array(readFileSync(join(out, 'imp', 'generator.safetensors')))).arrays;
    for (const [name, { values }] of Object.entries(student.getWeights())) expect(again[name]!.values, name).toEqual(values);
    g.dispose();
    teacher.dispose();
    student.dispose();
  }, 60_000);

  it('refuses a generator, a network of the wrong shape, a file without a spec and a missing file, naming the file', async () => {
    const two = join(out, 'two.safetensors');
    writeFileSync(two, saveNetwork(createMlp({ dim: 2, hidden: [8], twoTime: true })));
    let r = await run('import', two, '--quick', '--set', 'name=bad');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/CheckpointError: importing a generator needs the run's teacher.*teacher\.ckpt/);
    const wide = join(out, 'wide.safetensors');
    writeFileSync(wide, saveNetwork(createMlp({ dim: 3, hidden: [8] })));
    r = await run('import', wide, '--quick', '--set', 'name=bad');
    expect(r.err).toMatch(/takes samples of shape \[3\], the run's data \(.*\) has \[2\]/);
    const bare = join(out, 'bare.safetensors');
    writeFileSync(bare, writeSafetensors({ w: { shape: [1], values: Float32Array.of(1) } }, { format: 'pt' }));
    r = await run('import', bare, '--quick', '--set', 'name=bad');
    expect(r.err).toMatch(/CheckpointError: no network spec in the file.*bare\.safetensors/);
    const extra = join(out, 'extra.safetensors');
    const net = createMlp({ dim: 2, hidden: [8] });
    writeFileSync(extra, writeSafetensors({ ...net.getWeights(), stray: { shape: [1], values: Float32Array.of(0) } }, { 'charlearn.network': JSON.stringify(net.config) }));
    net.dispose();
    r = await run('import', extra, '--quick', '--set', 'name=bad');
    expect(r.err).toMatch(/unexpected 'stray'/);
    r = await run('import', '--quick', '--set', 'name=bad');
    expect(r.err).toMatch(/ConfigError: charlearn import needs a file/);
  }, 60_000);
});
