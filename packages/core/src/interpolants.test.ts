import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PluginContractError,
  UnknownPluginError,
  ValueRangeError,
  TypeMismatchError,
  assertTime,
  cosine,
  follmer,
  getInterpolant,
  interpolants,
  linear,
  type Interpolant,
} from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const paths: Interpolant[] = [follmer, linear, cosine];
const interior = [0.05, 0.2, 0.37, 0.5, 0.71, 0.9];

describe.each(paths.map((p) => [p.name, p] as const))('%s', (_name, path) => {
  it('has α(0) = 0, σ(0) = 1 (noise end) and α(1) = 1, σ(1) = 0 (data end)', () => {
    const c0 = path.at(0);
    const c1 = path.at(1);
    expect(c0.alpha).toBeCloseTo(0, 15);
    expect(c0.sigma).toBeCloseTo(1, 15);
    expect(c1.alpha).toBeCloseTo(1, 15);
    expect(c1.sigma).toBeCloseTo(0, 15);
  });

  it('dAlpha and dSigma match central finite differences of at() (1e-6 relative)', () => {
    const h = 1e-5;
    for (const t of interior) {
      const c = path.at(t);
      const plus = path.at(t + h);
      const minus = path.at(t - h);
      const fdA = (plus.alpha - minus.alpha) / (2 * h);
      const fdS = (plus.sigma - minus.sigma) / (2 * h);
      expect(Math.abs(fdA - c.dAlpha)).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(c.dAlpha), 1e-3));
      expect(Math.abs(fdS - c.dSigma)).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(c.dSigma), 1e-3));
    }
  });

  it('α is increasing and σ decreasing on (0, 1) (t = 0 noise, t = 1 data)', () => {
    for (const t of interior) {
      const c = path.at(t);
      expect(c.dAlpha).toBeGreaterThan(0);
      expect(c.dSigma).toBeLessThan(0);
      expect(c.alpha).toBeGreaterThan(0);
      expect(c.sigma).toBeGreaterThan(0);
    }
  });

  it('tensor coefficients(t) equal at(t) element-wise for a batch, and leak no tensors', () => {
    const ts = [0, 0.01, 0.25, 0.5, 0.66, 0.9, 0.99];
    const t = tf.tensor1d(ts);
    const before = tf.memory().numTensors;
    const c = path.coefficients(t);
    for (const k of ['alpha', 'sigma', 'dAlpha', 'dSigma'] as const) {
      expect(c[k].shape).toEqual([ts.length]);
      const got = c[k].dataSync();
      ts.forEach((ti, i) => {
        const want = path.at(ti)[k];
        expect(Math.abs(got[i]! - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want)));
      });
    }
    for (const k of ['alpha', 'sigma', 'dAlpha', 'dSigma'] as const) c[k].dispose();
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });

  it('is registered under its name', () => {
    expect(interpolants.get(path.name)).toBe(path);
    expect(getInterpolant(path.name)).toBe(path);
  });
});

describe('variance-preserving paths', () => {
  it.each([follmer, cosine].map((p) => [p.name, p] as const))('%s: α² + σ² = 1 on [0, 1]', (_n, path) => {
    for (let i = 0; i <= 20; i++) {
      const { alpha, sigma } = path.at(i / 20);
      expect(alpha * alpha + sigma * sigma).toBeCloseTo(1, 12);
    }
  });

  it('linear is not variance preserving (α² + σ² = 1/2 at t = 1/2)', () => {
    const { alpha, sigma } = linear.at(0.5);
    expect(alpha * alpha + sigma * sigma).toBeCloseTo(0.5, 14);
  });

  it('follmer has the closed forms α = t, σ = √(1 − t²), σ\' = −t/σ', () => {
    for (const t of interior) {
      const c = follmer.at(t);
      expect(c.alpha).toBe(t);
      expect(c.sigma).toBeCloseTo(Math.sqrt(1 - t * t), 14);
      expect(c.dSigma).toBeCloseTo(-t / Math.sqrt(1 - t * t), 12);
    }
    // finite velocity at the noise end: σ'(0) = 0
    expect(follmer.at(0).dSigma).toBeCloseTo(0, 15);
  });

  it('cosine has α = sin(πt/2), σ = cos(πt/2)', () => {
    expect(cosine.at(0.5).alpha).toBeCloseTo(Math.SQRT1_2, 14);
    expect(cosine.at(0.5).sigma).toBeCloseTo(Math.SQRT1_2, 14);
    expect(cosine.at(1 / 3).alpha).toBeCloseTo(0.5, 14);
  });
});

describe('interpolant registry and helpers', () => {
  it('lists the three built-in paths and defaults to follmer', () => {
    expect(interpolants.list()).toEqual(expect.arrayContaining(['follmer', 'linear', 'cosine']));
    expect(getInterpolant()).toBe(follmer);
    expect(getInterpolant(undefined)).toBe(follmer);
  });

  it('unknown name → UnknownPluginError naming the parameter and listing the registered paths', () => {
    let err: unknown;
    try {
      getInterpolant('vp-sde', 'path');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownPluginError);
    const u = err as UnknownPluginError;
    expect(u.parameter).toBe('path');
    expect(u.kind).toBe('interpolant');
    expect(u.available).toEqual(expect.arrayContaining(['follmer', 'linear', 'cosine']));
    expect(u.message).toContain("'vp-sde'");
    expect(u.message).toContain("'follmer'");
  });

  it('rejects plugin objects that break the contract', () => {
    expect(() => getInterpolant({ name: 'x' } as unknown as Interpolant)).toThrow(PluginContractError);
    const nanPath = {
      name: 'nan',
      at: () => ({ alpha: Number.NaN, sigma: 1, dAlpha: 1, dSigma: 0 }),
      coefficients: follmer.coefficients,
    } as Interpolant;
    expect(() => getInterpolant(nanPath)).toThrow(PluginContractError);
    expect(() => interpolants.register(nanPath)).toThrow(PluginContractError);
    expect(interpolants.has('nan')).toBe(false);
  });

  it('accepts a valid custom path object and can register it', () => {
    const custom: Interpolant = { ...linear, name: 'test/custom-linear' };
    expect(getInterpolant(custom)).toBe(custom);
    interpolants.register(custom);
    try {
      expect(getInterpolant('test/custom-linear')).toBe(custom);
    } finally {
      interpolants.unregister('test/custom-linear');
    }
    expect(interpolants.has('test/custom-linear')).toBe(false);
  });

  it('assertTime accepts [0, 1] and rejects the rest with the parameter name', () => {
    expect(() => assertTime('t', 0)).not.toThrow();
    expect(() => assertTime('t', 1)).not.toThrow();
    for (const bad of [-0.01, 1.01, Number.NaN, Infinity]) {
      expect(() => assertTime('t', bad)).toThrow(ValueRangeError);
    }
    try {
      assertTime('tStart', '0.5');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TypeMismatchError);
      expect((e as TypeMismatchError).parameter).toBe('tStart');
    }
  });
});
