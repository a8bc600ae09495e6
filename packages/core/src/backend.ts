import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, UnknownPluginError } from './errors';
import { createRegistry, requireMember, type Registry } from './registry';

/** Whether a backend can run here, and if not, why. */
export type BackendAvailability = { readonly available: true } | { readonly available: false; readonly reason: string };

/**
 * A tfjs backend packaged as a plugin (`@charlearn/backend-wasm`,
 * `-webgpu`, `-node-gpu`). Importing the plugin package registers it.
 *
 * @example
 * ```ts
 * import '@charlearn/backend-wasm';
 * import { useBackend } from '@charlearn/core';
 * await useBackend('wasm');
 * ```
 */
export interface BackendPlugin {
  /** `'wasm' | 'webgpu' | 'node-gpu'` or a third party's name. */
  readonly name: string;
  /** Never throws; when unavailable, `reason` says why (package missing, no adapter, ...). */
  isAvailable(): Promise<BackendAvailability>;
  /** Registers the tfjs backend and any extra kernels/gradients, then makes it current. */
  setup(): Promise<void>;
}

function validateBackend(p: unknown, parameter: string): asserts p is BackendPlugin {
  requireMember(p, 'name', 'string', parameter);
  requireMember(p, 'isAvailable', 'function', parameter);
  requireMember(p, 'setup', 'function', parameter);
}

/** The shared backend registry. */
export const backends: Registry<BackendPlugin> = createRegistry<BackendPlugin>('backend', validateBackend);

/** Which package provides each first-party backend. */
export const BACKEND_PACKAGES: Readonly<Record<string, string>> = {
  wasm: '@charlearn/backend-wasm',
  webgpu: '@charlearn/backend-webgpu',
  'node-gpu': '@charlearn/backend-node-gpu',
};

/**
 * Selects a backend by name (or plugin object): checks it is registered and
 * available, runs its `setup()`, and returns it. Throws
 * {@link UnknownPluginError} (with the package to import) or
 * {@link BackendUnavailableError} (with the plugin's reason).
 *
 * @example
 * ```ts
 * import '@charlearn/backend-wasm';
 * await useBackend('wasm');   // tf.getBackend() === 'wasm'
 * ```
 */
export async function useBackend(nameOrPlugin: string | BackendPlugin): Promise<BackendPlugin> {
  let plugin: BackendPlugin;
  try {
    plugin = backends.resolve(nameOrPlugin, 'backend');
  } catch (e) {
    if (e instanceof UnknownPluginError && typeof nameOrPlugin === 'string' && Object.prototype.hasOwnProperty.call(BACKEND_PACKAGES, nameOrPlugin)) {
      throw new BackendUnavailableError(
        nameOrPlugin,
        `no plugin registered under that name; install ${BACKEND_PACKAGES[nameOrPlugin]} and import it before selecting the backend`,
      );
    }
    throw e;
  }
  let availability: BackendAvailability;
  try {
    availability = await plugin.isAvailable();
  } catch (e) {
    availability = { available: false, reason: `isAvailable() threw: ${(e as Error).message}` };
  }
  if (!availability.available) throw new BackendUnavailableError(plugin.name, availability.reason);
  await plugin.setup();
  return plugin;
}

/** The name of the tfjs backend currently in use. */
export function currentBackend(): string {
  return tf.getBackend();
}

/**
 * The one value of a process under `key` (a `Symbol.for` name): made by `create` on first use and kept on
 * `globalThis`, so that every copy of a plugin loaded in the process (its ESM and CJS builds, nested installs)
 * shares it: one backend object, one setup queue, one set of options.
 *
 * @example
 * ```ts
 * const state = processSingleton(Symbol.for('my-plugin/state'), () => ({ options: {}, setupQueue: Promise.resolve() }));
 * ```
 */
export function processSingleton<T extends object>(key: symbol, create: () => T): T {
  const g = globalThis as unknown as Record<symbol, T | undefined>;
  const existing = g[key];
  if (existing) return existing;
  const value = create();
  Object.defineProperty(g, key, { value, enumerable: false, configurable: true, writable: false });
  return value;
}

/** What {@link runSerially} needs: where the tail of the queue is kept (e.g. a plugin's process-wide state). */
export interface SerialQueue {
  /** Settles when the last queued task has settled; starts as `Promise.resolve()`. */
  setupQueue: Promise<unknown>;
}

/**
 * Runs `task` after every task queued before it on `queue` has settled (whether it failed or not), and returns its
 * result. Backend plugins queue `setup()` with it, so that concurrent `useBackend` calls initialise one at a time.
 *
 * @example
 * ```ts
 * const state = processSingleton(Symbol.for('my-plugin/state'), () => ({ setupQueue: Promise.resolve() as Promise<unknown> }));
 * const initialise = async (): Promise<void> => { await useBackend('cpu'); };
 * const plugin = { name: 'mine', isAvailable: async () => ({ available: true as const }), setup: () => runSerially(state, initialise) };
 * ```
 */
export function runSerially<T>(queue: SerialQueue, task: () => Promise<T>): Promise<T> {
  const next = (): Promise<T> => task();
  const run = queue.setupQueue.then(next, next);
  queue.setupQueue = run.catch(() => undefined);
  return run;
}
