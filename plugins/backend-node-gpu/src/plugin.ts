import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, processSingleton, type BackendAvailability, type BackendPlugin } from '@charlearn/core';
import { explainLoadFailure, TFJS_NODE_GPU_REQUIREMENTS } from './requirements';

/** tfjs-node(-gpu)'s backend name. */
export const TENSORFLOW_BACKEND = 'tensorflow';

/**
 * Loads `@tensorflow/tfjs-node-gpu` (its side effects register the
 * `'tensorflow'` backend in the tfjs-core it was resolved with) and returns
 * its module. Throws what `require` throws.
 *
 * @example
 * ```ts
 * const load: NodeGpuLoader = () => createRequire('/app/')('@tensorflow/tfjs-node-gpu');
 * ```
 */
export type NodeGpuLoader = () => unknown;

/**
 * Options of {@link createNodeGpuBackend}.
 *
 * @example
 * ```ts
 * createNodeGpuBackend({ resolveFrom: '/srv/app/' }); // resolve the package from the app, not from this plugin
 * ```
 */
export interface NodeGpuBackendOptions {
  /** The plugin name. Default `'node-gpu'`. */
  name?: string;
  /** A path (file or folder ending in `/`) to resolve `@tensorflow/tfjs-node-gpu` from. Default: this package. */
  resolveFrom?: string;
  /** Replaces the loading altogether (takes precedence over `resolveFrom`). */
  load?: NodeGpuLoader;
}

type CreateRequire = (from: string) => (id: string) => unknown;

interface NodeProcessLike {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

function createRequireFn(): CreateRequire | undefined {
  const proc = (globalThis as { process?: NodeProcessLike }).process;
  if (typeof proc?.versions?.node !== 'string') return undefined;
  const mod = proc.getBuiltinModule?.('node:module') as { createRequire?: CreateRequire } | undefined;
  return mod?.createRequire;
}

function defaultLoader(resolveFrom: string | undefined): NodeGpuLoader {
  return () => {
    const createRequire = createRequireFn();
    if (!createRequire) throw new Error('@tensorflow/tfjs-node-gpu runs in Node only (node:module.createRequire is unavailable here; Node >= 20.16 needed)');
    return createRequire(resolveFrom ?? import.meta.url)(TFJS_NODE_GPU_REQUIREMENTS.package);
  };
}

function coreVersionOf(mod: unknown): string | undefined {
  const v = (mod as { version?: Record<string, unknown> } | null)?.version;
  const core = v?.['tfjs-core'];
  return typeof core === 'string' ? core : undefined;
}

/**
 * Loads the package once and checks that it registered its backend in
 * *this* tfjs-core (a second copy of `@tensorflow/tfjs-core` would make
 * charlearn's tensors and its backend strangers). Keeps the current tfjs
 * backend (tfjs-node-gpu switches to itself on import).
 */
function loadAndCheck(load: NodeGpuLoader): BackendAvailability {
  const previous = tf.engine().backendName;
  let mod: unknown;
  try {
    mod = load();
  } catch (e) {
    return { available: false, reason: explainLoadFailure(e) };
  }
  if (!tf.findBackendFactory(TENSORFLOW_BACKEND)) {
    const theirs = coreVersionOf(mod);
    return {
      available: false,
      reason:
        `${TFJS_NODE_GPU_REQUIREMENTS.package} loaded but registered its '${TENSORFLOW_BACKEND}' backend in another copy of @tensorflow/tfjs-core ` +
        `(its tfjs-core ${theirs ?? 'unknown version'}, charlearn's ${tf.version_core}): install versions that dedupe to one ` +
        `@tensorflow/tfjs-core (npm ls @tensorflow/tfjs-core; npm dedupe)`,
    };
  }
  if (previous && previous !== TENSORFLOW_BACKEND && tf.engine().backendName !== previous) {
    // tfjs-node-gpu makes itself current on import: put back the backend in use
    // (already initialised, so tfjs switches synchronously).
    void tf.setBackend(previous);
  }
  return { available: true };
}

/**
 * Creates a `'node-gpu'` plugin. Most code wants the registered
 * {@link nodeGpuBackend}; this factory exists for other resolution roots
 * and for tests.
 *
 * @example
 * ```ts
 * const plugin = createNodeGpuBackend({ resolveFrom: process.cwd() + '/' });
 * await useBackend(plugin);
 * ```
 */
export function createNodeGpuBackend(options: NodeGpuBackendOptions = {}): BackendPlugin {
  const load = options.load ?? defaultLoader(options.resolveFrom);
  let checked: BackendAvailability | undefined;
  const check = (): BackendAvailability => {
    if (checked?.available) return checked;
    checked = loadAndCheck(load);
    return checked;
  };
  const name = options.name ?? 'node-gpu';
  return {
    name,
    async isAvailable() {
      try {
        return check();
      } catch (e) {
        return { available: false, reason: `unexpected error while checking ${TFJS_NODE_GPU_REQUIREMENTS.package}: ${e instanceof Error ? e.message : String(e)}` };
      }
    },
    async setup() {
      const a = check();
      if (!a.available) throw new BackendUnavailableError(name, a.reason);
      if (tf.engine().backendName !== TENSORFLOW_BACKEND || !tf.engine().registry[TENSORFLOW_BACKEND]) {
        const ok = await tf.setBackend(TENSORFLOW_BACKEND);
        if (!ok) throw new BackendUnavailableError(name, `tfjs could not initialise the '${TENSORFLOW_BACKEND}' backend of ${TFJS_NODE_GPU_REQUIREMENTS.package} (see the error tfjs logged above)`);
      }
      await tf.ready();
    },
  };
}

const KEY = Symbol.for('@charlearn/backend-node-gpu/plugin');

/**
 * The `'node-gpu'` backend plugin: `@tensorflow/tfjs-node-gpu`'s
 * `'tensorflow'` backend (libtensorflow 2.9.1 on CUDA 11.2 + cuDNN 8.1.0).
 * The package is an optional peer: when it is absent or its native addon
 * is missing, `isAvailable()` is false with what to install, and
 * `useBackend('node-gpu')` throws a `BackendUnavailableError` saying so.
 * Importing this package registers it. One object per process.
 *
 * @example
 * ```ts
 * import '@charlearn/backend-node-gpu';
 * import { useBackend } from '@charlearn/core';
 * await useBackend('node-gpu'); // tf.getBackend() === 'tensorflow'
 * ```
 */
export const nodeGpuBackend: BackendPlugin = processSingleton(KEY, createNodeGpuBackend);
