import { describe, expect, expectTypeOf, it } from 'vitest';
import * as v from 'valibot';
import { ConfigError } from './errors';
import { closestMatch, configEntries, configSection, describeConfig, editDistance, integerSchema, numberSchema, parseConfig, sectionEntries, setting } from './config-schema';

/** Runs `f`, expects a ConfigError naming `parameter`, returns its message. */
function configError(f: () => unknown, parameter: string): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).parameter).toBe(parameter);
    return (e as Error).message;
  }
  throw new Error(`expected a ConfigError for '${parameter}'`);
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

describe('config schemas', () => {
  const s = configSection({
    name: setting(v.nullable(v.pipe(v.string(), v.minLength(1))), null, 'a name'),
    size: integerSchema({ min: 1 }),
    rate: setting(numberSchema({ gt: 0, max: 1 }), 0.5, 'a rate'),
    mode: setting(v.picklist(['fast', 'slow']), 'fast', 'speed'),
    flags: setting(v.array(v.boolean()), [true], 'flags'),
    weight: setting(v.union([v.literal('auto'), numberSchema({ min: 0 })]), 'auto', 'a weight'),
    inner: configSection({ depth: setting(integerSchema({ min: 0, max: 3 }), 2, 'depth') }),
  });

  it('infers the TypeScript type', () => {
    type T = v.InferOutput<typeof s>;
    expectTypeOf<T['mode']>().toEqualTypeOf<'fast' | 'slow'>();
    expectTypeOf<T['weight']>().toEqualTypeOf<'auto' | number>();
    expectTypeOf<T['inner']>().toEqualTypeOf<{ depth: number }>();
  });

  it('fills defaults (fresh copies) and keeps given values', () => {
    const a = parseConfig(s, { size: 3 }, 'x');
    expect(a).toEqual({ name: null, size: 3, rate: 0.5, mode: 'fast', flags: [true], weight: 'auto', inner: { depth: 2 } });
    a.flags.push(false);
    expect(parseConfig(s, { size: 3 }, 'x').flags).toEqual([true]);
  });

  it('names the dotted path, the expectation and the value in every error', () => {
    expect(configError(() => parseConfig(s, {}, 'x'), 'x.size')).toBe("config key 'x.size' is required (expected integer >= 1)");
    expect(configError(() => parseConfig(s, { size: 1.5 }, 'x'), 'x.size')).toBe("config key 'x.size': expected integer >= 1, got 1.5");
    expect(configError(() => parseConfig(s, { size: '3' }, 'x'), 'x.size')).toBe("config key 'x.size': expected integer >= 1, got \"3\" (string)");
    expect(configError(() => parseConfig(s, { size: 1, rate: 0 }, 'x'), 'x.rate')).toContain('number in (0, 1]');
    expect(configError(() => parseConfig(s, { size: 1, rate: Infinity }, 'x'), 'x.rate')).toContain('got Infinity');
    expect(configError(() => parseConfig(s, { size: 1, mode: 'slwo' }, 'x'), 'x.mode')).toBe("config key 'x.mode': expected one of 'fast', 'slow', got \"slwo\" (string); did you mean 'slow'?");
    expect(configError(() => parseConfig(s, { size: 1, flags: [true, 1] }, 'x'), 'x.flags[1]')).toContain('expected boolean');
    expect(configError(() => parseConfig(s, { size: 1, weight: -1 }, 'x'), 'x.weight')).toContain("'auto' | number >= 0");
    expect(configError(() => parseConfig(s, { size: 1, inner: { depth: 4 } }, 'x'), 'x.inner.depth')).toContain('in [0, 3]');
    expect(configError(() => parseConfig(s, { size: 1, inner: { detph: 1 } }, 'x'), 'x.inner.detph')).toBe(
      "unknown config key 'x.inner.detph'; did you mean 'x.inner.depth'? (keys of 'x.inner': depth)",
    );
    expect(configError(() => parseConfig(s, { size: 1, inner: [1] }, 'x'), 'x.inner')).toContain('expected object');
    expect(configError(() => parseConfig(s, { size: 1, name: 5 }, 'x'), 'x.name')).toContain('string (non-empty) | null');
    expect(configError(() => parseConfig(s, { size: 1, zzzzzzzz: 5 }, ''), 'zzzzzzzz')).toBe('unknown config key \'zzzzzzzz\' (top-level keys: name, size, rate, mode, flags, weight, inner)');
  });

  it('lists leaf keys with types, defaults and docs, and composes sections', () => {
    const rows = configEntries(s, 'x');
    expect(rows.map((r) => r.key)).toEqual(['x.name', 'x.size', 'x.rate', 'x.mode', 'x.flags', 'x.weight', 'x.inner.depth']);
    expect(rows.find((r) => r.key === 'x.size')).toMatchObject({ type: 'integer >= 1', default: undefined });
    expect(rows.find((r) => r.key === 'x.mode')).toMatchObject({ type: "'fast' | 'slow'", default: '"fast"', doc: 'speed' });
    expect(describeConfig(rows).split('\n')[2]).toMatch(/^ {2}x\.rate\s+0\.5\s+number in \(0, 1\] - a rate$/);
    const more = configSection({ ...sectionEntries(s), extra: setting(v.boolean(), false, 'extra') });
    expect(Object.keys(parseConfig(more, { size: 1 }, 'y'))).toContain('extra');
  });
});
