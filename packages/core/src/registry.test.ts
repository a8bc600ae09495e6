import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as src from './index';
import {
  CONTRACT_VERSION,
  CharlearnError,
  ContractVersionError,
  PluginContractError,
  UnknownPluginError,
  createRegistry,
  interpolants,
  linear,
  loadedCoreVersions,
  registerSolver,
  requireMember,
  solvers,
  type Interpolant,
  type SolverPlugin,
} from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  vi.restoreAllMocks();
});

interface Widget {
  readonly name: string;
  run(): number;
}

function validateWidget(p: unknown, parameter: string): asserts p is Widget {
  requireMember(p, 'name', 'string', parameter);
  requireMember(p, 'run', 'function', parameter);
}

const STORE_KEY = Symbol.for('@charlearn/core/registries');

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('createRegistry', () => {
  it('registers, gets, lists (in order), checks and unregisters', () => {
    const reg = createRegistry<Widget>('test-widget-a', validateWidget);
    expect(reg.kind).toBe('test-widget-a');
    expect(reg.list()).toEqual([]);
    const a = { name: 'a', run: () => 1 };
    const b = { name: 'b', run: () => 2 };
    expect(reg.register(a)).toBe(a);
    reg.register(b);
    expect(reg.list()).toEqual(['a', 'b']);
    expect(reg.get('b')).toBe(b);
    expect(reg.has('a')).toBe(true);
    expect(reg.resolve('a')).toBe(a);
    expect(reg.unregister('a')).toBe(true);
    expect(reg.unregister('a')).toBe(false);
    expect(reg.has('a')).toBe(false);
    expect(reg.list()).toEqual(['b']);
  });

  it('unknown name → UnknownPluginError listing the registered names', () => {
    const reg = createRegistry<Widget>('test-widget-b', validateWidget);
    reg.register({ name: 'alpha', run: () => 0 });
    reg.register({ name: 'beta', run: () => 0 });
    const err = catchError(() => reg.get('gamma', 'widget'));
    expect(err).toBeInstanceOf(UnknownPluginError);
    expect(err).toBeInstanceOf(CharlearnError);
    const u = err as UnknownPluginError;
    expect(u.name).toBe('UnknownPluginError');
    expect(u.kind).toBe('test-widget-b');
    expect(u.available).toEqual(['alpha', 'beta']);
    expect(u.parameter).toBe('widget');
    expect(u.message).toContain("'gamma'");
    expect(u.message).toContain("'alpha', 'beta'");
    // without a parameter name, the kind is used
    expect((catchError(() => reg.resolve('nope')) as UnknownPluginError).parameter).toBe('test-widget-b');
    // an empty registry says so
    const empty = createRegistry<Widget>('test-widget-empty', validateWidget);
    expect((catchError(() => empty.get('x')) as Error).message).toContain('(none)');
  });

  it('duplicate name → console.warn and replacement; same object or override → no warning', () => {
    const reg = createRegistry<Widget>('test-widget-c', validateWidget);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const first = { name: 'dup', run: () => 1 };
    const second = { name: 'dup', run: () => 2 };
    reg.register(first);
    reg.register(first);
    expect(warn).not.toHaveBeenCalled();
    reg.register(second);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain("'dup'");
    expect(reg.get('dup')).toBe(second);
    expect(reg.get('dup').run()).toBe(2);
    const third = { name: 'dup', run: () => 3 };
    reg.register(third, { override: true });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(reg.get('dup')).toBe(third);
    expect(reg.list()).toEqual(['dup']);
  });

  it('invalid plugin objects → PluginContractError, and nothing is registered', () => {
    const reg = createRegistry<Widget>('test-widget-d', validateWidget);
    for (const bad of [null, undefined, 42, 'w', {}, { name: 'x' }, { name: 3, run: () => 0 }, { name: 'x', run: 'no' }]) {
      const err = catchError(() => reg.register(bad as unknown as Widget));
      expect(err, JSON.stringify(bad)).toBeInstanceOf(PluginContractError);
      if (typeof bad !== 'string') {
        expect(catchError(() => reg.resolve(bad as unknown as Widget, 'widget'))).toBeInstanceOf(PluginContractError);
      }
    }
    expect(reg.list()).toEqual([]);
    // resolve() hands a valid object back as is, without registering it
    const ok = { name: 'ok', run: () => 0 };
    expect(reg.resolve(ok)).toBe(ok);
    expect(reg.has('ok')).toBe(false);
    // a string is a name: resolve() looks it up
    expect(catchError(() => reg.resolve('w'))).toBeInstanceOf(UnknownPluginError);
    // get() with a non-string
    expect(catchError(() => reg.get(ok as unknown as string))).toBeInstanceOf(PluginContractError);
  });

  it('two registries created with the same kind share their contents (as ESM and CJS copies would)', () => {
    const r1 = createRegistry<Widget>('test-widget-shared', validateWidget);
    const r2 = createRegistry<Widget>('test-widget-shared', validateWidget);
    const other = createRegistry<Widget>('test-widget-other', validateWidget);
    const w = { name: 'shared', run: () => 7 };
    r1.register(w);
    expect(r2.get('shared')).toBe(w);
    expect(r2.list()).toEqual(['shared']);
    expect(other.has('shared')).toBe(false);
    r2.unregister('shared');
    expect(r1.has('shared')).toBe(false);
  });

  it('keeps its store on globalThis under Symbol.for, non-enumerable, with the contract version', () => {
    const d = Object.getOwnPropertyDescriptor(globalThis, STORE_KEY);
    expect(d).toBeDefined();
    expect(d!.enumerable).toBe(false);
    const store = d!.value as { contractVersion: number; registries: Map<string, Map<string, unknown>> };
    expect(store.contractVersion).toBe(CONTRACT_VERSION);
    expect([...store.registries.get('interpolant')!.keys()]).toEqual(expect.arrayContaining(['follmer', 'linear', 'cosine']));
    expect(loadedCoreVersions()).toContain('dev'); // the source build has no injected version
  });
});

describe('shared store across module copies', () => {
  const distUrl = new URL('../dist/index.cjs', import.meta.url);
  const hasDist = existsSync(fileURLToPath(distUrl));

  it.skipIf(!hasDist)('the built CJS file and the source module share the interpolants registry (skipped when dist/ is not built)', () => {
    const require = createRequire(import.meta.url);
    const cjs = require(fileURLToPath(distUrl)) as typeof src;
    expect(cjs.interpolants).not.toBe(src.interpolants); // really two copies
    expect(cjs.follmer).not.toBe(src.follmer);
    // the CJS copy found the built-ins already registered and did not replace them
    expect(cjs.interpolants.get('follmer')).toBe(src.follmer);
    const fromCjs: Interpolant = { ...linear, name: 'test/from-cjs' };
    const fromEsm: Interpolant = { ...linear, name: 'test/from-esm' };
    cjs.interpolants.register(fromCjs);
    src.interpolants.register(fromEsm);
    try {
      expect(src.interpolants.get('test/from-cjs')).toBe(fromCjs);
      expect(cjs.interpolants.get('test/from-esm')).toBe(fromEsm);
      expect(cjs.getInterpolant('test/from-esm')).toBe(fromEsm);
      expect(src.interpolants.list()).toEqual(cjs.interpolants.list());
      // errors thrown by one copy are not instances of the other copy's classes, but carry the same name
      const err = catchError(() => cjs.interpolants.get('missing'));
      expect(err).toBeInstanceOf(cjs.UnknownPluginError);
      expect((err as Error).name).toBe('UnknownPluginError');
      // both copies are recorded
      expect(loadedCoreVersions()).toEqual(expect.arrayContaining(['dev', '0.1.0']));
    } finally {
      src.interpolants.unregister('test/from-cjs');
      src.interpolants.unregister('test/from-esm');
    }
    expect(cjs.interpolants.has('test/from-cjs')).toBe(false);
  });

  it('a store with a different contractVersion makes registry access throw ContractVersionError', () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, STORE_KEY);
    expect(saved).toBeDefined();
    try {
      Object.defineProperty(globalThis, STORE_KEY, {
        value: { contractVersion: CONTRACT_VERSION + 1, coreVersions: ['9.9.9'], registries: new Map() },
        enumerable: false,
        configurable: true,
        writable: false,
      });
      const err = catchError(() => interpolants.list());
      expect(err).toBeInstanceOf(ContractVersionError);
      const msg = (err as Error).message;
      expect(msg).toContain(`v${CONTRACT_VERSION + 1}`);
      expect(msg).toContain(`v${CONTRACT_VERSION}`);
      expect(msg).toContain('9.9.9');
      expect(catchError(() => interpolants.get('follmer'))).toBeInstanceOf(ContractVersionError);
      expect(catchError(() => solvers.has('euler'))).toBeInstanceOf(ContractVersionError);
      expect(catchError(() => createRegistry<Widget>('test-widget-e', validateWidget).register({ name: 'w', run: () => 0 }))).toBeInstanceOf(
        ContractVersionError,
      );
      expect(catchError(() => loadedCoreVersions())).toBeInstanceOf(ContractVersionError);
    } finally {
      Object.defineProperty(globalThis, STORE_KEY, saved!);
    }
    expect(interpolants.get('follmer')).toBe(src.follmer);
  });

  it('a missing store is recreated empty on first access', () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, STORE_KEY);
    try {
      delete (globalThis as Record<symbol, unknown>)[STORE_KEY];
      expect(interpolants.list()).toEqual([]);
      expect(Object.getOwnPropertyDescriptor(globalThis, STORE_KEY)?.value).not.toBe(saved!.value);
    } finally {
      Object.defineProperty(globalThis, STORE_KEY, saved!);
    }
    expect(interpolants.has('follmer')).toBe(true);
  });
});

describe('registerSolver', () => {
  const step: SolverPlugin['step'] = (x) => ({ x: tf.clone(x), state: undefined });
  const good = (): SolverPlugin => ({ name: 'test/identity', order: 1, nfePerStep: 1, step });

  it('registers a valid solver in the shared registry', () => {
    const s = good();
    expect(registerSolver(s)).toBe(s);
    try {
      expect(solvers.get('test/identity')).toBe(s);
      expect(solvers.list()).toContain('test/identity');
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      const s2 = { ...good(), description: 'second' };
      registerSolver(s2, { override: true });
      expect(warn).not.toHaveBeenCalled();
      registerSolver({ ...good() });
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      solvers.unregister('test/identity');
    }
    expect(registerSolver({ ...good(), name: 'test/multistep', initialState: () => [] })).toBeTruthy();
    solvers.unregister('test/multistep');
  });

  it('rejects broken solvers with PluginContractError', () => {
    const bads: [string, unknown][] = [
      ['missing step', { name: 'b', order: 1, nfePerStep: 1 }],
      ['step not a function', { name: 'b', order: 1, nfePerStep: 1, step: 3 }],
      ['order 0', { ...good(), order: 0 }],
      ['order -1', { ...good(), order: -1 }],
      ['order NaN', { ...good(), order: Number.NaN }],
      ['order string', { ...good(), order: '2' }],
      ['missing order', { name: 'b', nfePerStep: 1, step }],
      ['nfePerStep 0', { ...good(), nfePerStep: 0 }],
      ['nfePerStep 1.5', { ...good(), nfePerStep: 1.5 }],
      ['nfePerStep -1', { ...good(), nfePerStep: -1 }],
      ['empty name', { ...good(), name: '' }],
      ['name not a string', { ...good(), name: 5 }],
      ['initialState not a function', { ...good(), initialState: [] }],
      ['null', null],
    ];
    for (const [why, bad] of bads) {
      const err = catchError(() => registerSolver(bad as SolverPlugin));
      expect(err, why).toBeInstanceOf(PluginContractError);
      expect((err as PluginContractError).parameter, why).toBe('solver');
    }
    expect(solvers.has('b')).toBe(false);
    expect(solvers.has('test/identity')).toBe(false);
  });
});
