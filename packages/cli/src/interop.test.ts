import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTensors, useBackend, writeSafetensors } from '@charlearn/core';
import * as tf from '@tensorflow/tfjs-core';
import { createMlp, loadNetwork, saveNetwork, type NetworkSpec } from '@charlearn/nets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRunner } from './cli-test-helpers';
import { MissingNetworkConfigError, networkFromFile } from './commands/interop';

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
    expect(r.err).toMatch(/imported mlp teacher \(\d+ parameters, config from the file\)/);
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
    // the run already holds a distilled generator.ckpt: refused without --force, replaced with it
    r = await run('import', genFile, '--quick', '--set', 'name=imp');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/RunExistsError: the run folder already holds a distill checkpoint .*generator\.ckpt.*--force/);
    // a generator is distilled from the run's teacher: a config that differs from the teacher's run is refused
    r = await run('import', genFile, '--quick', '--force', '--set', 'name=imp', '--set', 'interpolant=linear');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ResumeMismatchError: .*teacher\.ckpt.*\n\s+interpolant: checkpoint "follmer", config "linear"/);
    r = await run('import', genFile, '--quick', '--force', '--set', 'name=imp');
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
    expect(r.err).toMatch(/MissingNetworkConfigError: no network config for .*bare\.safetensors.*--set model\.kind=<kind>/);
    const extra = join(out, 'extra.safetensors');
    const net = createMlp({ dim: 2, hidden: [8] });
    writeFileSync(extra, writeSafetensors({ ...net.getWeights(), stray: { shape: [1], values: Float32Array.of(0) } }, { 'charlearn.network': JSON.stringify(net.config) }));
    net.dispose();
    r = await run('import', extra, '--quick', '--set', 'name=bad');
    expect(r.err).toMatch(/unexpected 'stray'/);
    r = await run('import', '--quick', '--set', 'name=bad');
    expect(r.err).toMatch(/ConfigError: charlearn import needs a file/);
  }, 60_000);

  const md5 = (path: string): string => createHash('md5').update(readFileSync(path)).digest('hex');

  it('refuses to import over an existing teacher.ckpt without --force (file unchanged), and replaces it with --force', async () => {
    const a = createMlp({ dim: 2, hidden: [16], seed: 1 });
    const b = createMlp({ dim: 2, hidden: [16], seed: 2 });
    const fileA = join(out, 'a.safetensors');
    const fileB = join(out, 'b.safetensors');
    writeFileSync(fileA, saveNetwork(a));
    writeFileSync(fileB, saveNetwork(b));
    let r = await run('import', fileA, '--quick', '--set', 'name=force');
    expect(r.code, r.err).toBe(0);
    const ckptPath = join(out, 'force', 'teacher.ckpt');
    const before = md5(ckptPath);
    r = await run('import', fileB, '--quick', '--set', 'name=force');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/RunExistsError: the run folder already holds a teacher checkpoint .*teacher\.ckpt \(step 0\).*--force/);
    expect(md5(ckptPath)).toBe(before);
    r = await run('import', fileB, '--quick', '--force', '--set', 'name=force');
    expect(r.code, r.err).toBe(0);
    expect(md5(ckptPath)).not.toBe(before);
    const ckpt = decodeTensors(new Uint8Array(readFileSync(ckptPath)));
    for (const [name, { values }] of Object.entries(b.getWeights())) expect(ckpt.arrays[`net/${name}`]!.values, name).toEqual(values);
    expect(existsSync(join(out, 'force', 'teacher.prev.ckpt'))).toBe(false);
    a.dispose();
    b.dispose();
  }, 60_000);

  it('imports a metadata-less state dict with the network from --set model.*, records the run, and distills it (then resumes)', async () => {
    const teacher = createMlp({ dim: 2, hidden: [16, 16], seed: 3 });
    const file = join(out, 'plain.safetensors');
    writeFileSync(file, writeSafetensors(teacher.getWeights(), { format: 'pt' }));
    let r = await run('import', file, '--quick', '--set', 'name=plain', '--set', 'model.kind=mlp', '--set', 'model.hidden=[16,16]');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/imported mlp teacher \(\d+ parameters, config from the run config's model section\)/);
    const ckpt = decodeTensors(new Uint8Array(readFileSync(join(out, 'plain', 'teacher.ckpt'))));
    for (const [name, { values }] of Object.entries(teacher.getWeights())) expect(ckpt.arrays[`net/${name}`]!.values, name).toEqual(values);
    const meta = ckpt.meta as { cli?: Record<string, unknown>; run?: { config: { model: unknown } } };
    expect(meta.run?.config.model).toMatchObject({ kind: 'mlp', hidden: [16, 16] });
    expect(Object.keys(meta.cli ?? {})).toEqual(['history']); // one run-config record: meta.run
    // distill (default model section: the teacher's network comes from the import), 1 step, then --resume to 2
    r = await run('distill', '--quick', '--set', 'name=plain', '--set', 'distill.steps=1');
    expect(r.code, r.err).toBe(0);
    r = await run('distill', '--quick', '--resume', '--set', 'name=plain', '--set', 'distill.steps=2');
    expect(r.code, r.err).toBe(0);
    const gen = decodeTensors(new Uint8Array(readFileSync(join(out, 'plain', 'generator.ckpt'))));
    expect(gen.meta.step).toBe(2);
    r = await run('eval', '--quick', '--set', 'name=plain');
    expect(r.code, r.err).toBe(0);
    teacher.dispose();
  }, 120_000);

  it("uses the file's network config over a disagreeing --set model.*, warning with the differing keys", async () => {
    const net = createMlp({ dim: 2, hidden: [8], seed: 4 });
    const file = join(out, 'spec.safetensors');
    writeFileSync(file, saveNetwork(net));
    const r = await run('import', file, '--quick', '--set', 'name=disagree', '--set', 'model.kind=mlp', '--set', 'model.hidden=[16,16]');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/warning: the network config in .*spec\.safetensors differs from the run config's model section in model\.hidden: the file's config is used/);
    expect(r.err).toMatch(/config from the file/);
    const ckpt = decodeTensors(new Uint8Array(readFileSync(join(out, 'disagree', 'teacher.ckpt'))));
    expect((ckpt.meta as { run: { config: { model: unknown } } }).run.config.model).toMatchObject({ kind: 'mlp', hidden: [8] });
    net.dispose();
  }, 60_000);

  it('builds a songunet for a state dict without metadata from the model section (the fallback), and names what is missing', () => {
    const fixture = new URL('../../distill/fixtures/songunet/teacher.safetensors', import.meta.url);
    const { arrays, meta } = decodeTensors(new Uint8Array(readFileSync(fixture)));
    const spec = JSON.parse(String(meta['charlearn.network'])) as NetworkSpec;
    const tensors = tf.memory().numTensors;
    const plain = join(out, 'songunet-plain.safetensors');
    writeFileSync(plain, writeSafetensors(arrays, { format: 'pt' }));
    const fromFile = networkFromFile(fixture.pathname);
    const fromConfig = networkFromFile(plain, { spec, given: true });
    expect(fromFile.source).toBe('file');
    expect(fromConfig.source).toBe('config');
    expect(fromConfig.net.kind).toBe('songunet');
    const want = fromFile.net.getWeights();
    for (const [name, { values }] of Object.entries(fromConfig.net.getWeights())) expect(values, name).toEqual(want[name]!.values);
    // the file's spec wins over a disagreeing model section, naming the keys
    const disagreeing = networkFromFile(fixture.pathname, { spec: { ...spec, modelChannels: 8 } as NetworkSpec, given: true });
    expect(disagreeing.differences).toEqual(['model.modelChannels']);
    disagreeing.net.dispose();
    expect(() => networkFromFile(plain)).toThrow(MissingNetworkConfigError);
    expect(() => networkFromFile(plain, { spec, given: false })).toThrow(/--set model\.kind=songunet --set model\.modelChannels=/);
    fromFile.net.dispose();
    fromConfig.net.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
