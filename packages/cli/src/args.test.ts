import { describe, expect, it } from 'vitest';
import { ConfigError } from '@charlearn/core';
import { BASE_FLAGS, UsageError, formatFlagsHelp, parseCliArgs, parseOverrideValue, parseSetFlag } from './args';
import { loadRunConfig } from './config';

function usageError(f: () => unknown, parameter: string): string {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UsageError);
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as UsageError).parameter).toBe(parameter);
  return (err as Error).message;
}

describe('parseOverrideValue', () => {
  it('parses numbers, booleans, null, JSON and flow lists; leaves other text', () => {
    expect(parseOverrideValue('100')).toBe(100);
    expect(parseOverrideValue('-0.5')).toBe(-0.5);
    expect(parseOverrideValue('1e-3')).toBe(0.001);
    expect(parseOverrideValue('.5')).toBe(0.5);
    expect(parseOverrideValue('true')).toBe(true);
    expect(parseOverrideValue('false')).toBe(false);
    expect(parseOverrideValue('null')).toBe(null);
    expect(parseOverrideValue('[1, 2, 5]')).toEqual([1, 2, 5]);
    expect(parseOverrideValue('["euler","heun"]')).toEqual(['euler', 'heun']);
    expect(parseOverrideValue('[euler, heun]')).toEqual(['euler', 'heun']);
    expect(parseOverrideValue('{"target":"gmm"}')).toEqual({ target: 'gmm' });
    expect(parseOverrideValue('"123"')).toBe('123');
    expect(parseOverrideValue('adaptive')).toBe('adaptive');
    expect(parseOverrideValue('exp-integrator')).toBe('exp-integrator');
    expect(parseOverrideValue('0x10')).toBe('0x10');
    expect(parseOverrideValue('')).toBe('');
  });

  it('rejects malformed lists', () => {
    expect(usageError(() => parseOverrideValue('[1, 2', 'eval.fewSteps'), '--set')).toContain('eval.fewSteps');
  });
});

describe('parseSetFlag', () => {
  it('splits at the first =', () => {
    expect(parseSetFlag('teacher.steps=100')).toEqual(['teacher.steps', 100]);
    expect(parseSetFlag('name=a=b')).toEqual(['name', 'a=b']);
  });

  it('requires key=value with a dotted key', () => {
    expect(usageError(() => parseSetFlag('teacher.steps'), '--set')).toContain('key=value');
    expect(usageError(() => parseSetFlag('=5'), '--set')).toContain('not a config key');
    expect(usageError(() => parseSetFlag('a..b=5'), '--set')).toContain('not a config key');
  });
});

describe('parseCliArgs', () => {
  it('parses a full command line', () => {
    const a = parseCliArgs([
      'train',
      '--config',
      'run.yaml',
      '--set',
      'teacher.steps=100',
      '--set=eval.teacherNfe=[1,2]',
      '--set',
      'distill.losses.dsm=adaptive',
      '--set',
      'teacher.steps=200',
      '--resume',
      '--backend',
      'cpu',
      '-o',
      'runs',
      '--quick',
    ]);
    expect(a).toEqual({
      command: 'train',
      positionals: [],
      config: 'run.yaml',
      overrides: { 'teacher.steps': 200, 'eval.teacherNfe': [1, 2], 'distill.losses.dsm': 'adaptive' },
      resume: true,
      backend: 'cpu',
      out: 'runs',
      quick: true,
      help: false,
      flags: {},
    });
  });

  it('defaults when nothing is given; -h / --help anywhere', () => {
    expect(parseCliArgs([])).toMatchObject({ command: undefined, overrides: {}, resume: false, quick: false, help: false });
    expect(parseCliArgs(['-h']).help).toBe(true);
    expect(parseCliArgs(['eval', '--help'])).toMatchObject({ command: 'eval', help: true });
    expect(parseCliArgs(['sample', 'ckpt.bin', '-c', 'x.json'])).toMatchObject({
      command: 'sample',
      positionals: ['ckpt.bin'],
      config: 'x.json',
    });
    expect(parseCliArgs(['train', '--', '--quick']).positionals).toEqual(['--quick']);
  });

  it('names an unknown flag, suggests the closest and lists the valid ones', () => {
    const msg = usageError(() => parseCliArgs(['train', '--quik']), '--quik');
    expect(msg).toContain('unknown flag --quik; did you mean --quick?');
    for (const f of Object.keys(BASE_FLAGS)) expect(msg).toContain(`--${f}`);
    expect(usageError(() => parseCliArgs(['-x']), '-x')).toContain('valid flags:');
  });

  it('requires values for string flags and refuses values for boolean flags', () => {
    expect(usageError(() => parseCliArgs(['train', '--config']), '--config')).toContain('needs a value');
    expect(usageError(() => parseCliArgs(['train', '--out', '--quick']), '--out')).toContain('needs a value');
    expect(usageError(() => parseCliArgs(['train', '--resume=yes']), '--resume')).toContain('takes no value');
  });

  it('checks the command when a list is given', () => {
    const commands = ['demo', 'train', 'distill', 'sample', 'eval'];
    expect(parseCliArgs(['distill'], { commands }).command).toBe('distill');
    expect(usageError(() => parseCliArgs(['trian'], { commands }), 'command')).toContain("did you mean 'train'?");
  });

  it('accepts extra per-command flags', () => {
    const extraFlags = {
      samples: { type: 'string', description: 'number of samples' },
      trajectories: { type: 'boolean', description: 'also plot paths' },
      tag: { type: 'string', multiple: true, description: 'tags' },
    } as const;
    const a = parseCliArgs(['sample', '--samples', '500', '--trajectories', '--tag', 'a', '--tag', 'b'], { extraFlags });
    expect(a.flags).toEqual({ samples: '500', trajectories: true, tag: ['a', 'b'] });
    expect(usageError(() => parseCliArgs(['x'], { extraFlags: { quick: { type: 'boolean', description: '' } } }), '--quick')).toContain(
      'clashes',
    );
    expect(formatFlagsHelp(extraFlags)).toContain('--samples <value>');
  });

  it('produces overrides that loadRunConfig applies and validates', () => {
    const a = parseCliArgs(['train', '--set', 'teacher.steps=100', '--set', 'eval.teacherSolvers=[euler, heun]']);
    const cfg = loadRunConfig({}, a.overrides);
    expect(cfg.teacher.steps).toBe(100);
    expect(cfg.eval.teacherSolvers).toEqual(['euler', 'heun']);
    const bad = parseCliArgs(['train', '--set', 'teacher.lr=-1']);
    expect(() => loadRunConfig({}, bad.overrides)).toThrow(/teacher\.lr.*number > 0.*from --set teacher\.lr=-1/);
  });

  it('formats help for the built-in flags', () => {
    const help = formatFlagsHelp();
    expect(help).toContain('-c, --config <file>');
    expect(help).toContain('--set <key=value>');
    expect(help).toContain('-h, --help');
  });
});
