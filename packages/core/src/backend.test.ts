import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BACKEND_PACKAGES,
  BackendUnavailableError,
  CharlearnError,
  PluginContractError,
  UnknownPluginError,
  backends,
  currentBackend,
  useBackend,
  processSingleton,
  runSerially,
  type BackendPlugin,
} from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return undefined;
}

function fakePlugin(name: string, availability: Awaited<ReturnType<BackendPlugin['isAvailable']>>) {
  const setup = vi.fn(async () => undefined);
  const isAvailable = vi.fn(async () => availability);
  const plugin: BackendPlugin = { name, isAvailable, setup };
  return { plugin, setup, isAvailable };
}

describe('useBackend', () => {
  it('reports the cpu backend the tests run on', () => {
    expect(currentBackend()).toBe('cpu');
  });

  it("first-party 'wasm' without its plugin → BackendUnavailableError naming @charlearn/backend-wasm", async () => {
    expect(backends.has('wasm')).toBe(false);
    const err = await rejection(useBackend('wasm'));
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err).toBeInstanceOf(CharlearnError);
    const b = err as BackendUnavailableError;
    expect(b.backend).toBe('wasm');
    expect(b.parameter).toBe('backend');
    expect(b.message).toContain('@charlearn/backend-wasm');
    expect(b.reason).toContain('@charlearn/backend-wasm');
    for (const [name, pkg] of Object.entries(BACKEND_PACKAGES)) {
      expect(((await rejection(useBackend(name))) as Error).message).toContain(pkg);
    }
  });

  it('an unknown third-party name → UnknownPluginError listing the registered backends', async () => {
    const { plugin } = fakePlugin('test/listed', { available: true });
    backends.register(plugin);
    try {
      const err = await rejection(useBackend('test/nope'));
      expect(err).toBeInstanceOf(UnknownPluginError);
      expect((err as UnknownPluginError).available).toContain('test/listed');
      expect((err as UnknownPluginError).parameter).toBe('backend');
    } finally {
      backends.unregister('test/listed');
    }
  });

  it('names inherited from Object.prototype are unknown backends, not first-party ones', async () => {
    for (const name of ['toString', 'constructor', '__proto__']) {
      expect(await rejection(useBackend(name))).toBeInstanceOf(UnknownPluginError);
    }
  });

  it("an unavailable plugin → BackendUnavailableError carrying its reason; setup is not called", async () => {
    const { plugin, setup, isAvailable } = fakePlugin('test/gpu', { available: false, reason: 'no adapter' });
    backends.register(plugin);
    try {
      for (const arg of ['test/gpu', plugin] as const) {
        const err = await rejection(useBackend(arg));
        expect(err).toBeInstanceOf(BackendUnavailableError);
        expect((err as BackendUnavailableError).message).toContain('no adapter');
        expect((err as BackendUnavailableError).reason).toBe('no adapter');
        expect((err as BackendUnavailableError).backend).toBe('test/gpu');
      }
      expect(isAvailable).toHaveBeenCalledTimes(2);
      expect(setup).not.toHaveBeenCalled();
    } finally {
      backends.unregister('test/gpu');
    }
  });

  it('an isAvailable() that throws counts as unavailable, with the error in the reason', async () => {
    const setup = vi.fn(async () => undefined);
    const plugin: BackendPlugin = {
      name: 'test/throws',
      isAvailable: async () => {
        throw new Error('driver exploded');
      },
      setup,
    };
    const err = await rejection(useBackend(plugin));
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toContain('driver exploded');
    expect(setup).not.toHaveBeenCalled();
  });

  it("an available plugin's setup() is called once and the plugin is returned (by name or by object)", async () => {
    const { plugin, setup } = fakePlugin('test/ok', { available: true });
    backends.register(plugin);
    try {
      await expect(useBackend('test/ok')).resolves.toBe(plugin);
      expect(setup).toHaveBeenCalledTimes(1);
    } finally {
      backends.unregister('test/ok');
    }
    const other = fakePlugin('test/unregistered', { available: true });
    await expect(useBackend(other.plugin)).resolves.toBe(other.plugin);
    expect(other.setup).toHaveBeenCalledTimes(1);
    expect(backends.has('test/unregistered')).toBe(false);
  });

  it('a setup() failure propagates', async () => {
    const plugin: BackendPlugin = {
      name: 'test/setup-fails',
      isAvailable: async () => ({ available: true }),
      setup: async () => {
        throw new Error('kernel registration failed');
      },
    };
    await expect(useBackend(plugin)).rejects.toThrow('kernel registration failed');
  });

  it('an invalid plugin object → PluginContractError', async () => {
    for (const bad of [{ name: 'x' }, { name: 'x', isAvailable: async () => ({ available: true }) }, { name: 'x', setup: 1, isAvailable: 1 }]) {
      expect(await rejection(useBackend(bad as unknown as BackendPlugin))).toBeInstanceOf(PluginContractError);
      expect(() => backends.register(bad as unknown as BackendPlugin)).toThrow(PluginContractError);
    }
    expect(backends.has('x')).toBe(false);
  });

  it('a real plugin can switch tfjs backends', async () => {
    const plugin: BackendPlugin = {
      name: 'test/cpu',
      isAvailable: async () => ({ available: true }),
      setup: async () => {
        await tf.setBackend('cpu');
      },
    };
    await useBackend(plugin);
    expect(currentBackend()).toBe('cpu');
  });
});

describe('processSingleton and runSerially (the plugins\' shared state and setup queue)', () => {
  it('makes one value per key and process, however often it is asked for', () => {
    const key = Symbol.for(`@charlearn/core/test/singleton-${Math.random()}`);
    let made = 0;
    const a = processSingleton(key, () => ({ n: ++made }));
    const b = processSingleton(key, () => ({ n: ++made }));
    expect(b).toBe(a);
    expect(made).toBe(1);
    expect((globalThis as unknown as Record<symbol, unknown>)[key]).toBe(a);
  });

  it('runs each task after the previous one settled, failed or not, and returns its own result', async () => {
    const queue = { setupQueue: Promise.resolve() as Promise<unknown> };
    const log: string[] = [];
    const task = (name: string, ms: number, fail = false) => () =>
      new Promise<string>((resolve, reject) => {
        log.push(`start ${name}`);
        setTimeout(() => {
          log.push(`end ${name}`);
          if (fail) reject(new Error(name));
          else resolve(name);
        }, ms);
      });
    // The task is called with no arguments, whatever the previous one settled with.
    const seen: unknown[][] = [];
    await runSerially(queue, async (...args: unknown[]) => void seen.push(args)).catch(() => undefined);
    await runSerially(queue, async () => Promise.reject(new Error('x'))).catch(() => undefined);
    await runSerially(queue, async (...args: unknown[]) => void seen.push(args));
    expect(seen).toEqual([[], []]);
    const first = runSerially(queue, task('a', 20, true));
    const second = runSerially(queue, task('b', 1));
    const third = runSerially(queue, task('c', 1));
    await expect(first).rejects.toThrow('a');
    await expect(second).resolves.toBe('b');
    await expect(third).resolves.toBe('c');
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});
