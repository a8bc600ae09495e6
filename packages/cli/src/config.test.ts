import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError } from '@charlearn/core';
import {
  ConfigParseError,
  closestMatch,
  defaultRunConfig,
  describeConfigSchema,
  editDistance,
  loadRunConfig,
  parseConfigText,
  resolveRunName,
  schema,
  schemaEntries,
  setDotted,
  runConfigSchema,
  type Infer,
  type RunConfig,
} from './config';

/** Run `f`, expect a ConfigError naming `parameter`, return its message. */
function configError(f: () => unknown, parameter: string | undefined): string {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ConfigError for '${parameter ?? ''}'`).toBeInstanceOf(ConfigError);
  const e = err as ConfigError;
  expect(e.parameter).toBe(parameter);
  // File-level errors carry parameter 'config' (the flag); key errors quote the dotted key.
  if (parameter && parameter !== 'config') expect(e.message).toContain(`'${parameter}'`);
  return e.message;
}

const dir = mkdtempSync(join(tmpdir(), 'charlearn-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('edit distance helpers', () => {
  it('computes distances and suggests plausible typos only', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('Steps', 'steps')).toBe(0);
    expect(closestMatch('stpes', ['steps', 'lr'])).toBe('steps');
    expect(closestMatch('batch', ['steps', 'batchSize'])).toBe('batchSize');
    expect(closestMatch('zzzzzz', ['steps', 'lr'])).toBeUndefined();
  });
});

describe('schema helpers', () => {
  const s = schema.object({
    name: schema.optional(schema.nullable(schema.string()), null),
    size: schema.int({ min: 1 }),
    rate: schema.optional(schema.number({ exclusiveMin: 0, max: 1 }), 0.5),
    mode: schema.optional(schema.string({ oneOf: ['fast', 'slow'] }), 'fast'),
    flags: schema.optional(schema.array(schema.boolean()), [true]),
    weight: schema.optional(schema.union(schema.string({ oneOf: ['auto'] }), schema.number({ min: 0 })), 'auto'),
    inner: schema.object({ depth: schema.optional(schema.int({ min: 0, max: 3 }), 2) }),
  });

  it('infers the TypeScript type', () => {
    type T = Infer<typeof s>;
    expectTypeOf<T>().toEqualTypeOf<{
      name: string | null;
      size: number;
      rate: number;
      mode: 'fast' | 'slow';
      flags: boolean[];
      weight: 'auto' | number;
      inner: { depth: number };
    }>();
  });

  it('fills defaults (deep copies) and keeps given values', () => {
    const a = s.parse({ size: 3 }, '');
    expect(a).toEqual({ name: null, size: 3, rate: 0.5, mode: 'fast', flags: [true], weight: 'auto', inner: { depth: 2 } });
    a.flags.push(false);
    expect(s.parse({ size: 3 }, '').flags).toEqual([true]);
    expect(s.parse({ size: 1, name: 'x', rate: 1, weight: 0, inner: null }, '')).toMatchObject({
      name: 'x',
      rate: 1,
      weight: 0,
      inner: { depth: 2 },
    });
  });

  it('names the dotted path and the expectation in every error', () => {
    expect(configError(() => s.parse({}, ''), 'size')).toContain('required');
    expect(configError(() => s.parse({ size: 1.5 }, ''), 'size')).toContain('expected integer >= 1, got 1.5');
    expect(configError(() => s.parse({ size: '3' }, ''), 'size')).toContain('got "3" (string)');
    expect(configError(() => s.parse({ size: 1, rate: 0 }, ''), 'rate')).toContain('number in (0, 1]');
    expect(configError(() => s.parse({ size: 1, rate: Infinity }, ''), 'rate')).toContain('got Infinity');
    expect(configError(() => s.parse({ size: 1, mode: 'slwo' }, ''), 'mode')).toContain("did you mean 'slow'?");
    expect(configError(() => s.parse({ size: 1, flags: [true, 1] }, ''), 'flags[1]')).toContain('expected boolean');
    expect(configError(() => s.parse({ size: 1, flags: 'yes' }, ''), 'flags')).toContain('array of boolean');
    expect(configError(() => s.parse({ size: 1, weight: -1 }, ''), 'weight')).toContain("'auto' | number >= 0");
    expect(configError(() => s.parse({ size: 1, inner: { depth: 4 } }, ''), 'inner.depth')).toContain('in [0, 3]');
    expect(configError(() => s.parse({ size: 1, inner: { detph: 1 } }, ''), 'inner.detph')).toContain(
      "did you mean 'inner.depth'?",
    );
    expect(configError(() => s.parse({ size: 1, inner: [1] }, ''), 'inner')).toContain('expected object');
    expect(configError(() => s.parse({ size: 1, name: 5 }, ''), 'name')).toContain('string | null');
    expect(configError(() => s.parse([], ''), '')).toContain('expected object');
  });

  it('lists leaf keys with types and defaults', () => {
    const rows = schemaEntries(s);
    expect(rows.map((r) => r.key)).toEqual(['name', 'size', 'rate', 'mode', 'flags', 'weight', 'inner.depth']);
    expect(rows.find((r) => r.key === 'size')).toMatchObject({ type: 'integer >= 1', default: undefined });
    expect(rows.find((r) => r.key === 'mode')).toMatchObject({ type: "'fast' | 'slow'", default: '"fast"' });
  });
});

describe('parseConfigText', () => {
  it('reports YAML syntax errors with line and column', () => {
    let err: unknown;
    try {
      parseConfigText('teacher:\n  steps: 10\n  lr: [1, 2\n', 'yaml', 'run.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigParseError);
    const e = err as ConfigParseError;
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.file).toBe('run.yaml');
    expect(e.line).toBeGreaterThanOrEqual(3);
    expect(e.column).toBeGreaterThanOrEqual(1);
    expect(e.message).toMatch(/^cannot parse YAML config run\.yaml at line \d+, column \d+: /);
  });

  it('rejects duplicate YAML keys', () => {
    expect(() => parseConfigText('seed: 1\nseed: 2\n', 'yaml')).toThrow(/line 2, column 1/);
  });

  it('reports JSON syntax errors with line and column', () => {
    let err: unknown;
    try {
      parseConfigText('{\n  "seed": 1,\n  "outDir": "x",\n}\n', 'json', 'run.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigParseError);
    expect((err as ConfigParseError).line).toBe(4);
    expect((err as ConfigParseError).column).toBe(1);
    expect((err as Error).message).toMatch(/^cannot parse JSON config run\.json at line 4, column 1: /);
    expect(() => parseConfigText('{"a": 1', 'json')).toThrow(ConfigParseError);
  });

  it('parses YAML 1.2 numbers, including exponents', () => {
    expect(parseConfigText('a: 1.0e-5\nb: 1e-5\nc: 0.5\nd: [1, 2]\n', 'yaml')).toEqual({ a: 1e-5, b: 1e-5, c: 0.5, d: [1, 2] });
  });
});

describe('run config', () => {
  it('has the documented defaults', () => {
    const d = defaultRunConfig();
    expect(d).toEqual({
      name: null,
      outDir: 'out',
      runDir: null,
      seed: 0,
      backend: 'wasm',
      data: { target: 'swiss-roll', dir: null, limit: null, flip: false },
      interpolant: 'follmer',
      model: {
        kind: 'mlp',
        hidden: [256, 256, 256],
        activation: 'silu',
        timeEmbeddingDim: 64,
        unet: { channels: 16, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [7], heads: 1, dropout: 0, timeEmbeddingDim: null },
        dit: { patchSize: 4, hidden: 128, depth: 4, heads: 4, mlpRatio: 4, timeEmbeddingDim: null },
      },
      teacher: { steps: 4000, batchSize: 512, lr: 0.001, warmupSteps: 500, gradClip: 1.0, ema: 0.999, eps0: 1e-5, eps1: 1e-5 },
      distill: {
        steps: 2000,
        batchSize: 256,
        lr: 0.001,
        warmupSteps: 200,
        gradClip: 1.0,
        ema: 0.999,
        gridSize: 20,
        gridSpacing: 'karras',
        rho: 3,
        eps0: 0.001,
        eps1: 0.001,
        teacherSolver: 'exp-integrator-edm',
        pairGroups: 4,
        losses: { fit: 1.0, semigroup: 0.1, ctm: 0.0, dsm: 0 },
      },
      method: 'characteristic',
      onestep: { steps: 2000, batchSize: 1024, lr: 0.001, warmupSteps: 100, gradClip: 1, ema: 0.999 },
      drifting: { temperatures: [0.02, 0.05, 0.2], scale: null },
      'drifting-conservative': { bandwidth: 'median', bandwidthScale: 1 },
      wflow: { epsilon: 0.05, tol: 1e-3, maxIter: 200, eta: 1 },
      eval: {
        samples: 2000,
        teacherSolvers: ['euler', 'heun', 'exp-integrator'],
        teacherNfe: [1, 2, 5, 10, 20, 100],
        fewSteps: [1, 2, 4, 8],
        start: 'prior',
      },
      checkpointEvery: 500,
      logEvery: 50,
    } satisfies RunConfig);
    expect(loadRunConfig()).toEqual(d);
    expect(loadRunConfig({})).toEqual(d);
    d.model.hidden.push(1);
    expect(defaultRunConfig().model.hidden).toEqual([256, 256, 256]);
  });

  it('YAML and JSON files give the same object', () => {
    const yamlPath = file(
      'run.yaml',
      [
        '# a comment',
        'name: demo',
        'seed: 7',
        'data: { target: gmm }',
        'model:',
        '  hidden: [64, 64]',
        '  activation: gelu',
        'teacher:',
        '  steps: 100',
        '  lr: 3.0e-4',
        'distill:',
        '  losses:',
        '    dsm: 0.5',
        'eval:',
        '  teacherSolvers: [euler]',
        '',
      ].join('\n'),
    );
    const obj = {
      name: 'demo',
      seed: 7,
      data: { target: 'gmm' },
      model: { hidden: [64, 64], activation: 'gelu' },
      teacher: { steps: 100, lr: 3e-4 },
      distill: { losses: { dsm: 0.5 } },
      eval: { teacherSolvers: ['euler'] },
    };
    const jsonPath = file('run.json', JSON.stringify(obj, null, 2));
    const ymlPath = file('run.yml', JSON.stringify(obj)); // JSON is valid YAML
    const a = loadRunConfig(yamlPath);
    expect(loadRunConfig(jsonPath)).toEqual(a);
    expect(loadRunConfig(ymlPath)).toEqual(a);
    expect(loadRunConfig(obj)).toEqual(a);
    expect(a.teacher).toMatchObject({ steps: 100, lr: 3e-4, batchSize: 512 });
    expect(a.distill.losses).toEqual({ fit: 1, semigroup: 0.1, ctm: 0, dsm: 0.5 });
    expect(a.data.target).toBe('gmm');
  });

  it('an empty YAML file means all defaults', () => {
    expect(loadRunConfig(file('empty.yaml', '# nothing\n'))).toEqual(defaultRunConfig());
  });

  it('names the file for missing files, bad extensions and non-mapping content', () => {
    const missing = join(dir, 'nope.yaml');
    expect(configError(() => loadRunConfig(missing), 'config')).toContain(missing);
    expect(configError(() => loadRunConfig(file('run.toml', 'a = 1')), 'config')).toContain("'.toml'");
    expect(configError(() => loadRunConfig(file('list.yaml', '- 1\n- 2\n')), '')).toContain('mapping');
    expect(() => loadRunConfig(file('bad.yaml', 'teacher: [\n'))).toThrow(ConfigParseError);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['teacher.lr', { teacher: { lr: 0 } }, 'number > 0'],
    ['distill.lr', { distill: { lr: -1e-3 } }, 'number > 0'],
    ['teacher.gradClip', { teacher: { gradClip: 0 } }, 'number > 0'],
    ['teacher.steps', { teacher: { steps: 0 } }, 'integer >= 1'],
    ['distill.steps', { distill: { steps: 2.5 } }, 'integer >= 1'],
    ['teacher.batchSize', { teacher: { batchSize: '512' } }, 'integer >= 1'],
    ['distill.batchSize', { distill: { batchSize: 0 } }, 'integer >= 1'],
    ['teacher.ema', { teacher: { ema: 1 } }, 'number in [0, 1)'],
    ['distill.ema', { distill: { ema: -0.1 } }, 'number in [0, 1)'],
    ['teacher.eps0', { teacher: { eps0: 0.5 } }, 'number in [0, 0.5)'],
    ['distill.eps1', { distill: { eps1: -1e-9 } }, 'number in [0, 0.5)'],
    ['distill.gridSize', { distill: { gridSize: 1 } }, 'integer >= 2'],
    ['teacher.warmupSteps', { teacher: { warmupSteps: -1 } }, 'integer >= 0'],
    ['distill.losses.dsm', { distill: { losses: { dsm: 'auto' } } }, "'adaptive' | number >= 0"],
    ['distill.losses.fit', { distill: { losses: { fit: -1 } } }, 'number >= 0'],
    ['distill.pairGroups', { distill: { pairGroups: 0 } }, 'integer >= 1'],
    ['data.target', { data: { target: 'swissroll' } }, "did you mean 'swiss-roll'?"],
    ['model.activation', { model: { activation: 'softplus' } }, "'silu', 'relu', 'tanh', 'gelu'"],
    ['model.hidden', { model: { hidden: [] } }, 'at least 1'],
    ['model.hidden[1]', { model: { hidden: [64, -1] } }, 'integer >= 1'],
    ['eval.teacherNfe[0]', { eval: { teacherNfe: ['10'] } }, 'integer >= 1'],
    ['eval.fewSteps', { eval: { fewSteps: 4 } }, 'array of integer >= 1'],
    ['eval.start', { eval: { start: 'mean' } }, 'prior'],
    ['name', { name: '' }, 'string (non-empty) | null'],
    ['backend', { backend: 3 }, 'string'],
    ['teacher', { teacher: 5 }, 'expected object'],
  ])('%s: wrong type or range names the key, the expectation and the value', (key, raw, expected) => {
    const msg = configError(() => loadRunConfig(raw), key);
    expect(msg).toContain(expected);
  });

  it('unknown keys name the dotted path and suggest the closest key', () => {
    expect(configError(() => loadRunConfig({ teacher: { stpes: 5 } }), 'teacher.stpes')).toContain(
      "did you mean 'teacher.steps'?",
    );
    expect(configError(() => loadRunConfig({ distill: { losses: { semigrup: 1 } } }), 'distill.losses.semigrup')).toContain(
      "did you mean 'distill.losses.semigroup'?",
    );
    expect(configError(() => loadRunConfig({ checkpointevery: 5 }), 'checkpointevery')).toContain(
      "did you mean 'checkpointEvery'?",
    );
    const far = configError(() => loadRunConfig({ zzzzzzzz: 1 }), 'zzzzzzzz');
    expect(far).not.toContain('did you mean');
    expect(far).toContain('top-level keys: name, outDir');
  });

  it('file errors say which file', () => {
    const p = file('bad-values.yaml', 'teacher:\n  lr: -1\n');
    expect(configError(() => loadRunConfig(p), 'teacher.lr')).toContain(`(in ${p})`);
  });

  it('applies dotted overrides on top of the file and validates them', () => {
    const p = file('base.yaml', 'teacher:\n  steps: 100\n  lr: 0.01\n');
    const c = loadRunConfig(p, {
      'teacher.steps': 7,
      'distill.losses.dsm': 0.25,
      'eval.fewSteps': [1, 3],
      backend: 'cpu',
    });
    expect(c.teacher.steps).toBe(7);
    expect(c.teacher.lr).toBe(0.01);
    expect(c.distill.losses.dsm).toBe(0.25);
    expect(c.eval.fewSteps).toEqual([1, 3]);
    expect(c.backend).toBe('cpu');
    // An override that removes a key falls back to the default.
    expect(loadRunConfig(p, { 'teacher.steps': undefined }).teacher.steps).toBe(4000);
    // Invalid overrides are errors that name the key and the flag.
    expect(configError(() => loadRunConfig(p, { 'teacher.steps': 0 }), 'teacher.steps')).toContain('(from --set teacher.steps=0)');
    expect(configError(() => loadRunConfig(p, { 'teacher.stepz': 5 }), 'teacher.stepz')).toContain(
      "did you mean 'teacher.steps'?",
    );
    expect(configError(() => loadRunConfig(p, { 'eval.fewSteps': [1, 'x'] }), 'eval.fewSteps[1]')).toContain('--set eval.fewSteps=');
    expect(configError(() => loadRunConfig(p, { 'teacher.steps.x': 1 }), 'teacher.steps')).toContain('not an object');
    expect(configError(() => loadRunConfig({}, { 'a..b': 1 }), 'a..b')).toContain('invalid config key');
    expect(configError(() => loadRunConfig({}, { '__proto__.x': 1 }), '__proto__.x')).toContain('invalid config key');
  });

  it('overrides that are not an object, and values that are not plain data, are ConfigErrors naming the parameter', () => {
    const bad = (v: unknown): Readonly<Record<string, unknown>> => v as Readonly<Record<string, unknown>>;
    expect(configError(() => loadRunConfig({}, bad(null)), 'overrides')).toContain('got null');
    expect(configError(() => loadRunConfig({}, bad(['teacher.steps=5'])), 'overrides')).toContain('(array)');
    expect(configError(() => loadRunConfig({}, bad('teacher.steps=5')), 'overrides')).toContain('(string)');
    // a function (or a symbol) anywhere in the config object: the dotted key holding it, not a raw DataCloneError
    expect(configError(() => loadRunConfig({ teacher: { lr: () => 1e-3 } }), 'teacher.lr')).toContain('got a function');
    expect(configError(() => loadRunConfig({ eval: { fewSteps: [1, Symbol('x')] } }), 'eval.fewSteps[1]')).toContain('got a symbol');
    expect(configError(() => loadRunConfig({ onProgress() {} }), 'onProgress')).toContain('got a function');
    // ... and in an override's value
    expect(configError(() => loadRunConfig({}, { 'teacher.lr': () => 1e-3 }), 'teacher.lr')).toMatch(/got a function \(from overrides\['teacher\.lr'\]\)/);
    expect(configError(() => loadRunConfig({}, { model: { hidden: [64, () => 64] } }), 'model.hidden[1]')).toContain('got a function');
    // the default (no overrides) and plain data still work
    expect(loadRunConfig({ teacher: { lr: 1e-3 } }, undefined).teacher.lr).toBe(1e-3);
  });

  it('setDotted copies instead of mutating', () => {
    const src = { teacher: { lr: 1 } };
    const out = setDotted(src, 'teacher.steps', 5);
    expect(out).toEqual({ teacher: { lr: 1, steps: 5 } });
    expect(src).toEqual({ teacher: { lr: 1 } });
  });

  it('describeConfigSchema lists every key with its type and default', () => {
    const text = describeConfigSchema();
    const rows = schemaEntries(runConfigSchema);
    // 57 keys of the 2-D config (with runDir and eval.start), + data.dir/limit/flip, model.kind, 7 of model.unet and 6 of model.dit.
    expect(rows).toHaveLength(74);
    const lines = text.split('\n');
    expect(lines).toHaveLength(rows.length);
    for (const r of rows) expect(text).toContain(r.key);
    expect(lines.find((l) => l.trim().startsWith('teacher.steps '))).toMatch(/teacher\.steps\s+4000\s+integer >= 1 - training steps/);
    expect(lines.find((l) => l.trim().startsWith('distill.losses.dsm '))).toMatch(/0\s+'adaptive' \| number >= 0/);
    expect(lines.find((l) => l.trim().startsWith('eval.teacherNfe '))).toContain('[1,2,5,10,20,100]');
    expect(lines.find((l) => l.trim().startsWith('model.kind '))).toMatch(/"mlp"\s+'mlp' \| 'unet' \| 'dit'/);
    expect(lines.find((l) => l.trim().startsWith('model.unet.channelMult '))).toMatch(/\[1,2,2\]\s+array of integer >= 1/);
  });

  it('resolveRunName derives a name from the target and a UTC timestamp', () => {
    const d = new Date('2025-01-02T03:04:05Z');
    expect(resolveRunName(defaultRunConfig(), d)).toBe('swiss-roll-20250102-030405');
    expect(resolveRunName(loadRunConfig({ name: 'mine' }), d)).toBe('mine');
  });
});

describe('method and the teacher-free sections', () => {
  it('defaults to the characteristic method and validates each method section by dotted key', () => {
    const cfg = loadRunConfig({ method: 'wflow', wflow: { epsilon: 0.1 }, 'drifting-conservative': { bandwidth: 0.3 } });
    expect(cfg.method).toBe('wflow');
    expect(cfg.wflow).toEqual({ epsilon: 0.1, tol: 1e-3, maxIter: 200, eta: 1 });
    expect(cfg['drifting-conservative'].bandwidth).toBe(0.3);
    expect(defaultRunConfig().method).toBe('characteristic');
    configError(() => loadRunConfig({ wflow: { maxIter: 0 } }), 'wflow.maxIter');
    configError(() => loadRunConfig({}, { 'drifting.temperatures': [] }), 'drifting.temperatures');
    configError(() => loadRunConfig({ 'drifting-conservative': { bandwidth: 'mean' } }), 'drifting-conservative.bandwidth');
    configError(() => loadRunConfig({ onestep: { batchSize: 1 } }), 'onestep.batchSize');
    expect(configError(() => loadRunConfig({ wflow: { epsilonn: 0.1 } }), 'wflow.epsilonn')).toMatch(/did you mean 'wflow\.epsilon'/);
  });
});
