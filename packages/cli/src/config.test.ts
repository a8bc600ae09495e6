import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@charlearn/core';
import {
  ConfigParseError,
  defaultRunConfig,
  describeRunConfig,
  loadRunConfig,
  parseConfigText,
  resolveRunName,
  setDotted,
  type RunConfig,
  runConfigEntries,
} from './config';
import { configEntries } from '@charlearn/core';
import { dataConfigSchema } from '@charlearn/data';
import { DEFAULT_ONE_STEP_CONFIG, distillConfigSchema, driftingOptionsSchema, oneStepConfigSchema, teacherConfigSchema, wflowOptionsSchema } from '@charlearn/distill';
import { DIT_DEFAULTS, UNET_DEFAULTS, ditOptionsSchema, mlpOptionsSchema, unetOptionsSchema } from '@charlearn/nets';
import { DEFAULT_WASM_THREADS } from '@charlearn/backend-wasm';

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
      threads: 1,
      replicas: 1,
      rolloutWorker: true,
      plugins: [],
      data: { target: 'swiss-roll', file: null, holdout: 0.1, dir: null, limit: null, flip: false, pixelRange: [-1, 1], sigmaData: null },
      interpolant: 'follmer',
      model: { kind: 'mlp', hidden: [256, 256, 256], activation: 'silu', timeEmbeddingDim: 64, timeHidden: null, maxPeriod: 10000 },
      teacher: { steps: 4000, batchSize: 512, lr: 0.001, warmupSteps: 500, lrDecay: 'constant', gradClip: 1.0, ema: 0.999, eps0: 1e-5, eps1: 1e-5 },
      distill: {
        steps: 2000,
        batchSize: 256,
        lr: 0.001,
        warmupSteps: 200,
        lrDecay: 'constant',
        gradClip: 1.0,
        ema: 0.999,
        gridSize: 20,
        gridSpacing: 'karras',
        rho: 3,
        eps0: 0.001,
        eps1: 0.001,
        teacherSolver: 'exp-integrator-edm',
        pairGroups: 4,
        fullJumpShare: 0,
        losses: { fit: 1.0, semigroup: 0.1, ctm: 0.0, dsm: 0 },
        semigroupStopGrad: false,
        pairSource: 'on-the-fly',
        rolloutCache: { trajectories: 1024, lifetime: 16, refreshEvery: 1, seed: null },
      },
      method: 'characteristic',
      onestep: { steps: 2000, batchSize: 1024, lr: 0.001, warmupSteps: 100, lrDecay: 'constant', gradClip: 1, ema: 0.999 },
      drifting: { temperatures: [0.02, 0.05, 0.2], scale: null },
      'drifting-conservative': { bandwidth: 'median', bandwidthScale: 1 },
      wflow: { epsilon: 0.05, tol: 1e-3, maxIter: 200, eta: 1 },
      eval: {
        samples: 2000,
        teacherSolvers: ['euler', 'heun', 'exp-integrator'],
        teacherNfe: [1, 2, 5, 10, 20, 100],
        fewSteps: [1, 2, 4, 8],
        neighbours: 8,
        start: 'prior',
      },
      checkpointEvery: 500,
      logEvery: 50,
    } satisfies RunConfig);
    expect(loadRunConfig()).toEqual(d);
    expect(loadRunConfig({})).toEqual(d);
    (d.model.hidden as number[]).push(1);
    expect(defaultRunConfig().model.hidden).toEqual([256, 256, 256]);
  });

  it('threads: the wasm backend\'s default from @charlearn/backend-wasm, auto or 1..8, bad counts a ConfigError naming the key', () => {
    expect(loadRunConfig().threads).toBe(DEFAULT_WASM_THREADS);
    expect(loadRunConfig({ threads: 2 }).threads).toBe(2);
    expect(loadRunConfig({ threads: 'auto' }).threads).toBe('auto');
    for (const bad of [0, 9, 1.5, 'two']) {
      const e = (() => {
        try {
          loadRunConfig({ threads: bad });
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).parameter).toBe('threads');
    }
  });

  it('replicas: 1 by default, auto or 1..16, bad counts a ConfigError naming the key', () => {
    expect(loadRunConfig().replicas).toBe(1);
    expect(loadRunConfig({ replicas: 2 }).replicas).toBe(2);
    expect(loadRunConfig({ replicas: 'auto' }).replicas).toBe('auto');
    for (const bad of [0, 17, 1.5, 'two']) {
      let e: unknown;
      try {
        loadRunConfig({ replicas: bad });
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).parameter).toBe('replicas');
    }
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

  it('describeRunConfig lists every key once, with the library default', () => {
    const text = describeRunConfig();
    const lines = text.split('\n');
    const rows = runConfigEntries();
    expect(lines).toHaveLength(rows.length);
    // each (network kind, key) once
    const ids = rows.map((r) => `${r.kind ?? ''}|${r.key}`);
    expect(new Set(ids).size).toBe(ids.length);
    // the defaults come from the libraries' schemas
    const library: [string, unknown, string?][] = [
      ...configEntries(teacherConfigSchema, 'teacher').map((e) => [e.key, e.default] as [string, unknown]),
      ...configEntries(distillConfigSchema, 'distill').map((e) => [e.key, e.default] as [string, unknown]),
      ...configEntries(oneStepConfigSchema, 'onestep').map((e) => [e.key, e.default] as [string, unknown]),
      ...configEntries(dataConfigSchema, 'data').map((e) => [e.key, e.default] as [string, unknown]),
      ...configEntries(wflowOptionsSchema, 'wflow').map((e) => [e.key, e.default] as [string, unknown]),
      ...configEntries(driftingOptionsSchema, 'drifting').map((e) => [e.key, e.default] as [string, unknown]),
      ...(['mlp', 'unet', 'dit'] as const).flatMap((kind) =>
        configEntries({ mlp: mlpOptionsSchema, unet: unetOptionsSchema, dit: ditOptionsSchema }[kind], 'model').map((e) => [e.key, e.default, kind] as [string, unknown, string]),
      ),
    ];
    expect(library.length).toBeGreaterThan(60);
    for (const [key, dflt, kind] of library) {
      const row = rows.find((r) => r.key === key && r.kind === kind);
      expect(row, `${kind ?? ''} ${key}`).toBeDefined();
      expect(row!.default, key).toBe(dflt);
      const line = lines[rows.indexOf(row!)]!;
      expect(line.trim().startsWith(`${key} `) && line.includes(` ${String(dflt)} `), line).toBe(true);
    }
    expect(JSON.parse(rows.find((r) => r.key === 'model.channels' && r.kind === 'unet')!.default!)).toBe(UNET_DEFAULTS.channels);
    expect(JSON.parse(rows.find((r) => r.key === 'model.patchSize' && r.kind === 'dit')!.default!)).toBe(DIT_DEFAULTS.patchSize);
    expect(JSON.parse(rows.find((r) => r.key === 'onestep.batchSize')!.default!)).toBe(DEFAULT_ONE_STEP_CONFIG.batchSize);
    expect(lines.find((l) => l.trim().startsWith('teacher.steps '))).toMatch(/teacher\.steps\s+4000\s+integer >= 1 - training steps/);
    expect(lines.find((l) => l.trim().startsWith('model.kind '))).toMatch(/"mlp"\s+'mlp' \| 'unet' \| 'dit'/);
  });

  it('data.pixelRange / data.sigmaData: [lo, hi] with lo < hi and σ_d > 0, image data only, named errors', () => {
    const c = loadRunConfig({ data: { target: 'mnist', pixelRange: [0, 1], sigmaData: 1 }, model: { kind: 'unet' } });
    expect(c.data).toMatchObject({ pixelRange: [0, 1], sigmaData: 1 });
    expect(defaultRunConfig().data).toMatchObject({ pixelRange: [-1, 1], sigmaData: null });
    expect(() => loadRunConfig({ data: { target: 'mnist', pixelRange: [1, 0] }, model: { kind: 'unet' } })).toThrow(/data\.pixelRange.*lo < hi/);
    expect(() => loadRunConfig({ data: { target: 'mnist', pixelRange: [0, 1, 2] }, model: { kind: 'unet' } })).toThrow(/data\.pixelRange.*got \[0,1,2\]/);
    expect(() => loadRunConfig({ data: { target: 'mnist', sigmaData: 0 }, model: { kind: 'unet' } })).toThrow(/data\.sigmaData/);
    expect(() => loadRunConfig({ data: { target: 'swiss-roll', pixelRange: [0, 1] } })).toThrow(/data\.pixelRange applies to the image data sets/);
    expect(() => loadRunConfig({ data: { target: 'swiss-roll', sigmaData: 1 } })).toThrow(/data\.sigmaData applies to the image data sets/);
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
    expect((cfg['drifting-conservative'] as { bandwidth: unknown }).bandwidth).toBe(0.3);
    expect(defaultRunConfig().method).toBe('characteristic');
    configError(() => loadRunConfig({ wflow: { maxIter: 0 } }), 'wflow.maxIter');
    configError(() => loadRunConfig({}, { 'drifting.temperatures': [] }), 'drifting.temperatures');
    configError(() => loadRunConfig({ 'drifting-conservative': { bandwidth: 'mean' } }), 'drifting-conservative.bandwidth');
    configError(() => loadRunConfig({ onestep: { batchSize: 1 } }), 'onestep.batchSize');
    expect(configError(() => loadRunConfig({ wflow: { epsilonn: 0.1 } }), 'wflow.epsilonn')).toMatch(/did you mean 'wflow\.epsilon'/);
  });
});
