/**
 * One schema per concept, composed by the CLI: the same bad setting passed to a library constructor and to
 * `charlearn` gives the same error text (the CLI only says where the value came from), and a plugin solver package
 * (`@charlearn/solver-rk4`) is selectable as `distill.teacherSolver` with `--plugin`.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { CharacteristicDistiller, OneStepTrainer, TeacherTrainer } from '@charlearn/distill';
import { createMlp, networkSpecFromOptions } from '@charlearn/nets';
import { cliRunner, readJson } from './cli-test-helpers';

let out: string;
beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'charlearn-schemas-'));
  await useBackend('cpu');
});
afterAll(() => rmSync(out, { recursive: true, force: true }));
const run = cliRunner(() => out);

/** The message of the ConfigError `f` throws. */
function libraryMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('the same bad key, library constructor and CLI', () => {
  const dataset = getTarget('gmm');
  const cases: [string, string, () => unknown][] = [
    ['teacher: { learningRate: 0.5 }', 'teacher', () => new TeacherTrainer({ net: createMlp({ dim: 2, hidden: [8] }), dataset, config: { learningRate: 0.5 } as never })],
    ['teacher: { stpes: 5 }', 'teacher', () => new TeacherTrainer({ net: createMlp({ dim: 2, hidden: [8] }), dataset, config: { stpes: 5 } as never })],
    ['teacher: { steps: many }', 'teacher', () => new TeacherTrainer({ net: createMlp({ dim: 2, hidden: [8] }), dataset, config: { steps: 'many' } as never })],
    ['distill: { teacherSolvr: heun }', 'distill', () => new CharacteristicDistiller({ teacher: createMlp({ dim: 2, hidden: [8] }), dataset, config: { teacherSolvr: 'heun' } as never })],
    ['distill: { losses: { dsm: adaptiv } }', 'distill', () => new CharacteristicDistiller({ teacher: createMlp({ dim: 2, hidden: [8] }), dataset, config: { losses: { dsm: 'adaptiv' } } as never })],
    ['method: wflow\nwflow: { epsilom: 0.1 }', 'wflow', () => new OneStepTrainer({ objective: 'wflow', objectiveOptions: { epsilom: 0.1 }, net: createMlp({ dim: 2, hidden: [8] }), dataset })],
    ['onestep: { batchsize: 8 }', 'onestep', () => new OneStepTrainer({ objective: 'drifting', config: { batchsize: 8 } as never, net: createMlp({ dim: 2, hidden: [8] }), dataset })],
    ['model: { kind: mlp, hiden: [8] }', 'model', () => networkSpecFromOptions('mlp', { hiden: [8] }, [2], 0)],
    ['model: { kind: mlp, activation: swish }', 'model', () => networkSpecFromOptions('mlp', { activation: 'swish' }, [2], 0)],
  ];
  for (const [yaml, section, construct] of cases) {
    it(`${yaml.replace('\n', '; ')}`, async () => {
      const message = libraryMessage(construct);
      expect(message).toContain(`'${section}`);
      const file = join(out, `bad-${section}.yaml`);
      writeFileSync(file, `${yaml}\n`);
      const r = await run('train', '-c', file);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`charlearn: ConfigError: ${message} (in ${file})\n`);
    });
  }
});

describe('a plugin solver package from the command line', () => {
  it("@charlearn/solver-rk4's rk4/classic as distill.teacherSolver through --plugin", async () => {
    const common = ['--quick', '--plugin', '@charlearn/solver-rk4', '--set', 'name=rk4', '--set', 'teacher.steps=10', '--set', 'distill.steps=3', '--set', 'distill.teacherSolver=rk4/classic'];
    let r = await run('train', ...common);
    expect(r.code, r.err).toBe(0);
    r = await run('distill', ...common);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/teacher solver rk4\/classic/);
    expect(existsSync(join(out, 'rk4', 'generator.ckpt'))).toBe(true);
    const config = readJson<{ plugins: string[]; distill: { teacherSolver: string } }>(join(out, 'rk4', 'config.json'));
    expect(config.plugins).toEqual(['@charlearn/solver-rk4']);
    expect(config.distill.teacherSolver).toBe('rk4/classic');
  }, 180_000);
});
