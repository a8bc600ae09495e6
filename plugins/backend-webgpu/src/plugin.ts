import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, processSingleton, runSerially, type BackendAvailability, type BackendPlugin } from '@charlearn/core';
import { registerAllGradients } from '@charlearn/backend-wasm';
import { isNode } from './node-host';
import { patchAddNKernel } from './kernels/add-n';
import { guardSyncReads, probeSyncReadback } from './sync-read';
import { acquireGpu, probeAdapter, type AcquiredGpu, type GpuLike, type WebGpuDiagnostics } from './gpu';

const WEBGPU = 'webgpu';

/**
 * Options of {@link setupWebGpuBackend} / {@link configureWebGpuBackend}.
 *
 * @example
 * ```ts
 * configureWebGpuBackend({ log: null });                       // silence the SwiftShader note
 * configureWebGpuBackend({ dawnOptions: ['backend=vulkan'] }); // Node: flags for Dawn's create()
 * ```
 */
export interface WebGpuBackendOptions {
  /** Node only: flags for the `webgpu` package's `create(flags)`. Default `[]`. Only the first acquisition uses them. */
  dawnOptions?: readonly string[];
  /**
   * Where setup writes its one-line notes (software adapter, env vars set).
   * Default `console.warn`; `null` for silence.
   */
  log?: ((message: string) => void) | null;
}

/** The module namespace of `@tensorflow/tfjs-backend-webgpu` (the part used here). */
interface TfjsWebGpuModule {
  readonly WebGPUBackend: new (device: unknown, adapterInfo?: unknown) => tf.KernelBackend;
}

interface PluginState {
  readonly plugin: BackendPlugin;
  options: WebGpuBackendOptions;
  acquiring: Promise<Awaited<ReturnType<typeof acquireGpu>>> | undefined;
  diagnostics: WebGpuDiagnostics | undefined;
  setupQueue: Promise<unknown>;
  logged: boolean;
}

const STATE_KEY = Symbol.for('@charlearn/backend-webgpu/state');

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Acquires the GPU entry point once (a failure is retried next time). */
function acquire(s: PluginState): ReturnType<typeof acquireGpu> {
  s.acquiring ??= acquireGpu({ dawnOptions: s.options.dawnOptions ?? [] }).then((r) => {
    if (!r.ok) s.acquiring = undefined;
    return r;
  });
  return s.acquiring;
}

async function diagnose(s: PluginState): Promise<WebGpuDiagnostics> {
  if (s.diagnostics?.available) return s.diagnostics;
  try {
    const acquired = await acquire(s);
    const runtime = acquired.ok ? acquired.value.runtime : isNode() ? 'node' : 'browser';
    if (!acquired.ok) return { available: false, reason: acquired.reason, runtime, software: false, notes: acquired.notes };
    let d = await probeAdapter(acquired.value);
    if (d.available) {
      try {
        await loadTfjsWebGpu();
      } catch (e) {
        d = {
          ...d,
          available: false,
          reason: `@tensorflow/tfjs-backend-webgpu could not be loaded (${messageOf(e)}); install it next to @tensorflow/tfjs-core: npm i @tensorflow/tfjs-backend-webgpu@^4.22.0`,
        };
      }
    }
    if (d.available) d = { ...d, syncReads: await probeSyncReadback(acquired.value.gpu) };
    s.diagnostics = d;
    return d;
  } catch (e) {
    return { available: false, reason: `unexpected error while checking WebGPU: ${messageOf(e)}`, runtime: 'node', software: false, notes: [] };
  }
}

let loadingTfjs: Promise<TfjsWebGpuModule> | undefined;

/**
 * Imports `@tensorflow/tfjs-backend-webgpu` once. It registers its backend
 * only if `navigator.gpu` exists at import time, so this runs after the GPU
 * entry point is installed; {@link ensureWebGpuFactory} covers an earlier import.
 */
function loadTfjsWebGpu(): Promise<TfjsWebGpuModule> {
  loadingTfjs ??= import('@tensorflow/tfjs-backend-webgpu').then(
    (m) => {
      const mod = m as unknown as Partial<TfjsWebGpuModule> & { default?: Partial<TfjsWebGpuModule> };
      const resolved = typeof mod.WebGPUBackend === 'function' ? mod : mod.default;
      if (!resolved || typeof resolved.WebGPUBackend !== 'function') throw new Error('@tensorflow/tfjs-backend-webgpu exports no WebGPUBackend (unsupported version?)');
      return resolved as TfjsWebGpuModule;
    },
    (e: unknown) => {
      loadingTfjs = undefined;
      throw e;
    },
  );
  return loadingTfjs;
}

interface DeviceAdapter {
  readonly info?: unknown;
  readonly limits: Record<string, number>;
  readonly features: { has(name: string): boolean };
  requestDevice(descriptor: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<unknown>;
}

/**
 * Registers tfjs's `'webgpu'` backend factory when tfjs-backend-webgpu was
 * imported before `navigator.gpu` existed (it then skips registration). Same
 * device request as tfjs-backend-webgpu 4.22's own factory.
 */
function ensureWebGpuFactory(mod: TfjsWebGpuModule, gpu: GpuLike): void {
  if (tf.findBackendFactory(WEBGPU)) return;
  tf.registerBackend(
    WEBGPU,
    async () => {
      const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) as unknown as DeviceAdapter | null;
      if (!adapter) throw new Error('requestAdapter() returned null');
      const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
      const l = adapter.limits;
      const keys = [
        'maxComputeWorkgroupStorageSize',
        'maxComputeWorkgroupsPerDimension',
        'maxStorageBufferBindingSize',
        'maxBufferSize',
        'maxComputeWorkgroupSizeX',
        'maxComputeInvocationsPerWorkgroup',
      ];
      const requiredLimits = Object.fromEntries(keys.map((k) => [k, l[k]!]));
      const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
      return new mod.WebGPUBackend(device, adapter.info);
    },
    3,
  );
}

function logNotes(s: PluginState, d: WebGpuDiagnostics): void {
  if (s.logged) return;
  s.logged = true;
  const log = s.options.log === undefined ? (m: string) => console.warn(m) : s.options.log;
  if (!log) return;
  const who = d.adapter ? [d.adapter.vendor, d.adapter.architecture, d.adapter.description].filter(Boolean).join(' / ') : 'unknown adapter';
  const lines = d.notes.filter((n) => /SwiftShader|XDG_RUNTIME_DIR|preloading|forced/.test(n));
  if (d.software) lines.unshift(`WebGPU adapter ${who} is a software rasteriser (runs on the CPU, slow)`);
  for (const line of lines) log(`[charlearn] backend-webgpu: ${line}`);
}

async function runSetup(s: PluginState): Promise<void> {
  const d = await diagnose(s);
  if (!d.available) throw new BackendUnavailableError(WEBGPU, d.reason ?? 'unknown reason');
  const acquired = await acquire(s);
  if (!acquired.ok) throw new BackendUnavailableError(WEBGPU, acquired.reason);
  const mod = await loadTfjsWebGpu();
  ensureWebGpuFactory(mod, (acquired.value as AcquiredGpu).gpu);
  registerAllGradients();
  patchAddNKernel();
  if (tf.engine().backendName !== WEBGPU) {
    const ok = await tf.setBackend(WEBGPU);
    if (!ok) throw new BackendUnavailableError(WEBGPU, 'tfjs could not initialise the webgpu backend (device request failed; see the console for the tfjs error)');
  }
  await tf.ready();
  guardSyncReads(tf.backend(), d.syncReads ?? { supported: true });
  logNotes(s, d);
}

function state(): PluginState {
  return processSingleton<PluginState>(STATE_KEY, () => ({
    plugin: { name: WEBGPU, isAvailable, setup: () => enqueue() },
    options: {},
    acquiring: undefined,
    diagnostics: undefined,
    setupQueue: Promise.resolve(),
    logged: false,
  }));
}

async function isAvailable(): Promise<BackendAvailability> {
  const d = await diagnose(state());
  return d.available ? { available: true } : { available: false, reason: d.reason ?? 'unknown reason' };
}

function enqueue(): Promise<void> {
  const s = state();
  return runSerially(s, () => runSetup(s));
}

/**
 * The `'webgpu'` backend plugin: `@tensorflow/tfjs-backend-webgpu` on
 * `navigator.gpu` (browsers) or, in Node, on the optional `webgpu` package
 * (Dawn), plus every tfjs gradient (tfjs-core registers none). Importing
 * this package registers it in `@charlearn/core`'s `backends` registry.
 *
 * - `isAvailable()` never throws: `{ available: false, reason }` names what
 *   is missing (no `navigator.gpu`, the `webgpu` package, the Vulkan loader
 *   or driver, no adapter, tfjs-backend-webgpu). {@link webgpuDiagnostics}
 *   says more (adapter, software or not, environment notes).
 * - `setup()` = {@link setupWebGpuBackend}; idempotent.
 *
 * @example
 * ```ts
 * import '@charlearn/backend-webgpu';
 * import { useBackend } from '@charlearn/core';
 * await useBackend('webgpu'); // tf.getBackend() === 'webgpu'
 * ```
 */
export const webgpuBackend: BackendPlugin = state().plugin;

/**
 * What the plugin found about WebGPU here (never throws): availability and
 * reason, runtime, adapter, whether it is software (SwiftShader), and the
 * Node environment notes (env vars set, Vulkan driver and loader).
 *
 * @example
 * ```ts
 * const d = await webgpuDiagnostics();
 * console.log(d.available ? `adapter ${d.adapter?.description}` : d.reason);
 * ```
 */
export function webgpuDiagnostics(): Promise<WebGpuDiagnostics> {
  return diagnose(state());
}

/**
 * Sets the options that `webgpuBackend.setup()` (and so
 * `useBackend('webgpu')`) uses; merged into earlier ones.
 *
 * @example
 * ```ts
 * configureWebGpuBackend({ log: (m) => myLogger.info(m) });
 * await useBackend('webgpu');
 * ```
 */
export function configureWebGpuBackend(options: WebGpuBackendOptions): void {
  const s = state();
  s.options = { ...s.options, ...options };
}

/**
 * Configures and sets up the WebGPU backend: acquires the GPU entry point
 * (Node: prepares the environment and loads `webgpu`), imports
 * `@tensorflow/tfjs-backend-webgpu`, registers all tfjs-core gradients,
 * then `tf.setBackend('webgpu')` + `tf.ready()`. Idempotent; calls are
 * serialised. Rejects with `BackendUnavailableError` (with the reason) when
 * WebGPU cannot run.
 *
 * @example
 * ```ts
 * import { setupWebGpuBackend } from '@charlearn/backend-webgpu';
 * await setupWebGpuBackend();
 * ```
 */
export function setupWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<void> {
  configureWebGpuBackend(options);
  return enqueue();
}
