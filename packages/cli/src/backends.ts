import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_PACKAGES, BackendUnavailableError, backends, useBackend, type BackendPlugin } from '@charlearn/core';

/**
 * The backends `--backend` names, with where each comes from: `wasm`
 * (default) and `cpu` are built into the CLI; `webgpu` and `node-gpu` are
 * optional plugin packages loaded on demand.
 *
 * @example
 * ```ts
 * Object.keys(CLI_BACKENDS); // ['wasm', 'cpu', 'webgpu', 'node-gpu']
 * ```
 */
export const CLI_BACKENDS: Readonly<Record<string, string>> = {
  wasm: 'built in (@charlearn/backend-wasm)',
  cpu: 'built in (@tensorflow/tfjs-backend-cpu, slow)',
  webgpu: 'npm i @charlearn/backend-webgpu @tensorflow/tfjs-backend-webgpu webgpu (in Node, webgpu is Dawn; Linux needs a Vulkan driver, e.g. SwiftShader from apt-get install chromium)',
  'node-gpu': 'npm i @charlearn/backend-node-gpu @tensorflow/tfjs-node-gpu (NVIDIA GPU with CUDA 11.2 + cuDNN 8.1.0)',
};

/** Imports a module by name (the seam tests replace). */
export type ModuleImporter = (id: string) => Promise<unknown>;

const importModule: ModuleImporter = (id) => import(/* @vite-ignore */ id);

function isNotFound(e: unknown, id: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(id);
}

/**
 * Makes sure the plugin for backend `name` is registered: a first-party
 * backend whose package is not imported yet (`webgpu`, `node-gpu`) is
 * imported by package name (importing registers it). A package that is not
 * installed → `BackendUnavailableError` with the install command; other
 * names are left to the registry (`useBackend` names the registered ones).
 *
 * @param name - the `--backend` value.
 * @param importer - how to import a package (default: dynamic `import`).
 * @example
 * ```ts
 * await ensureBackendPlugin('webgpu'); // imports @charlearn/backend-webgpu
 * ```
 */
export async function ensureBackendPlugin(name: string, importer: ModuleImporter = importModule): Promise<void> {
  if (backends.has(name) || !Object.prototype.hasOwnProperty.call(BACKEND_PACKAGES, name)) return;
  const pkg = BACKEND_PACKAGES[name]!;
  try {
    await importer(pkg);
  } catch (e) {
    if (isNotFound(e, pkg)) {
      throw new BackendUnavailableError(name, `its plugin ${pkg} is not installed: ${CLI_BACKENDS[name] ?? `npm i ${pkg}`}`);
    }
    throw new BackendUnavailableError(name, `its plugin ${pkg} failed to load: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!backends.has(name)) throw new BackendUnavailableError(name, `${pkg} loaded but registered no '${name}' backend (a version mismatch of @charlearn/core?)`);
}

/**
 * Loads the plugin for `name` when needed ({@link ensureBackendPlugin}),
 * then selects it (`useBackend`: availability check with the plugin's
 * reason, setup). Returns the plugin.
 *
 * @example
 * ```ts
 * const plugin = await selectBackend('webgpu'); // or 'wasm', 'cpu', 'node-gpu', any registered name
 * ```
 */
export async function selectBackend(name: string, importer: ModuleImporter = importModule): Promise<BackendPlugin> {
  await ensureBackendPlugin(name, importer);
  return useBackend(name);
}

/**
 * Reads every registered variable asynchronously (`await v.data()`) so that a checkpoint's synchronous
 * reads that follow find the values on the CPU: on a backend that can only read asynchronously (WebGPU
 * without a canvas), tfjs caches what `data()` read, and `dataSync()` then returns it. A no-op on `wasm`
 * and `cpu`, which read synchronously.
 *
 * @example
 * ```ts
 * await cacheVariablesForSyncRead();
 * await saveCheckpoint('out/run/teacher.ckpt', teacherTrainer.checkpoint());
 * ```
 */
export async function cacheVariablesForSyncRead(): Promise<void> {
  if (tf.getBackend() === 'wasm' || tf.getBackend() === 'cpu') return;
  await Promise.all(Object.values(tf.engine().registeredVariables).map((v) => v.data()));
}
