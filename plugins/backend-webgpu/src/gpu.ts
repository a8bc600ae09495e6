import type { SyncReadSupport } from './sync-read';
import { explainNoAdapter, planNodeWebGpuEnvironment, type NodeWebGpuEnvironmentPlan } from './node-env';
import { applyNodeWebGpuEnvironment, isNode, nodeEnvironmentProbe } from './node-host';

/** The part of `GPUAdapterInfo` the plugin reads. */
export interface GpuAdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
}

/** The part of `GPUAdapter` the plugin reads. */
export interface GpuAdapterLike {
  readonly info?: GpuAdapterInfoLike;
  readonly features?: { has(name: string): boolean };
}

/** The part of `GPU` (`navigator.gpu`) the plugin uses. */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GpuAdapterLike | null>;
}

/** The module namespace of the `webgpu` npm package (Dawn for Node). */
export interface WebGpuPackage {
  create(options: string[]): GpuLike;
  readonly globals: object;
}

/**
 * What the plugin found: whether WebGPU can run, why not, which adapter,
 * whether it is a software (CPU) one, and notes on the Node environment.
 *
 * @example
 * ```ts
 * const d = await webgpuDiagnostics();
 * if (d.available && d.software) console.warn('WebGPU runs on SwiftShader (CPU): slow');
 * ```
 */
export interface WebGpuDiagnostics {
  readonly available: boolean;
  /** Why not, when `available` is false. */
  readonly reason?: string;
  /** `'browser'`: `navigator.gpu` was there; `'node'`: supplied by the `webgpu` package. */
  readonly runtime: 'browser' | 'node';
  /** The adapter's vendor / architecture / device / description, when one was found. */
  readonly adapter?: Readonly<Required<GpuAdapterInfoLike>>;
  /** True for a software adapter (SwiftShader, a CPU rasteriser). */
  readonly software: boolean;
  /** What was chosen or set up (Node: env vars, Vulkan driver, loader). */
  readonly notes: readonly string[];
  /** Whether `dataSync`/`arraySync` of GPU data can work (the trainers' `trainStep()` needs it; `trainStepAsync()` does not), when an adapter was found. */
  readonly syncReads?: SyncReadSupport;
}

/** Options of the Node path. */
export interface AcquireOptions {
  /** Flags for the `webgpu` package's `create(flags)` (Dawn), e.g. `['backend=vulkan']`. Default `[]`. */
  readonly dawnOptions?: readonly string[];
}

/** A GPU entry point with what is known about its environment. */
export interface AcquiredGpu {
  readonly gpu: GpuLike;
  readonly runtime: 'browser' | 'node';
  readonly plan?: NodeWebGpuEnvironmentPlan;
  readonly notes: readonly string[];
}

type Acquired = { readonly ok: true; readonly value: AcquiredGpu } | { readonly ok: false; readonly reason: string; readonly notes: readonly string[] };

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Whether `e` (or an error in its `cause` chain) says that package `name` cannot be found. */
function isModuleNotFound(e: unknown, name: string): boolean {
  for (let err = e, depth = 0; err != null && depth < 5; err = (err as { cause?: unknown }).cause, depth++) {
    const code = (err as { code?: unknown }).code;
    const message = messageOf(err);
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(message)) && message.includes(`'${name}'`)) return true;
  }
  return false;
}

/** `navigator.gpu`, when the runtime has one. */
export function navigatorGpu(): GpuLike | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  return nav?.gpu ?? undefined;
}

/** Imports the `webgpu` package through a specifier bundlers leave alone (Node only). */
export async function importWebGpuPackage(): Promise<WebGpuPackage> {
  const specifier = 'webgpu';
  const m = (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as Partial<WebGpuPackage> & { default?: Partial<WebGpuPackage> };
  const mod = typeof m.create === 'function' ? m : m.default;
  if (!mod || typeof mod.create !== 'function' || typeof mod.globals !== 'object' || mod.globals === null) {
    throw new Error("the 'webgpu' package loaded but exports no create()/globals (unsupported version?)");
  }
  return mod as WebGpuPackage;
}

/** Makes `gpu` the global `navigator.gpu` and adds Dawn's `GPU*` globals that are missing. */
export function installNodeGlobals(pkg: WebGpuPackage, gpu: GpuLike): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(pkg.globals)) if (!(k in g)) g[k] = v;
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav && typeof nav === 'object') {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, enumerable: true, writable: true });
  } else {
    Object.defineProperty(g, 'navigator', { value: { gpu }, configurable: true, enumerable: true, writable: true });
  }
}

async function acquireInNode(options: AcquireOptions): Promise<Acquired> {
  const plan = planNodeWebGpuEnvironment(await nodeEnvironmentProbe());
  let pkg: WebGpuPackage;
  try {
    pkg = await importWebGpuPackage();
  } catch (e) {
    const reason = isModuleNotFound(e, 'webgpu')
      ? "the optional peer dependency 'webgpu' (Dawn for Node) is not installed: npm i webgpu"
      : `the 'webgpu' package (Dawn for Node) failed to load: ${messageOf(e)}`;
    return { ok: false, reason, notes: plan.notes };
  }
  const notes = [...plan.notes, ...(await applyNodeWebGpuEnvironment(plan))];
  let gpu: GpuLike;
  try {
    gpu = pkg.create([...(options.dawnOptions ?? [])]);
  } catch (e) {
    return { ok: false, reason: `the 'webgpu' package's create() failed: ${messageOf(e)}; ${explainNoAdapter(plan)}`, notes };
  }
  installNodeGlobals(pkg, gpu);
  return { ok: true, value: { gpu, runtime: 'node', plan, notes } };
}

/**
 * The runtime's WebGPU entry point: `navigator.gpu` when present (browsers,
 * Deno, a Node process that already set it up), else in Node the `webgpu`
 * package after preparing the environment (see `node-env.ts`), installed
 * as `navigator.gpu` so that `@tensorflow/tfjs-backend-webgpu` finds it.
 */
export async function acquireGpu(options: AcquireOptions = {}): Promise<Acquired> {
  const existing = navigatorGpu();
  if (existing) return { ok: true, value: { gpu: existing, runtime: isNode() ? 'node' : 'browser', notes: [] } };
  if (!isNode()) {
    return {
      ok: false,
      reason: 'this browser has no WebGPU (navigator.gpu is undefined): use Chrome/Edge 113+ over https or localhost, or start Chromium with --enable-unsafe-webgpu',
      notes: [],
    };
  }
  return acquireInNode(options);
}

function adapterInfo(adapter: GpuAdapterLike): Required<GpuAdapterInfoLike> {
  const info = adapter.info ?? {};
  return { vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '' };
}

/** Whether an adapter (or the driver the plan chose) is a software rasteriser. */
export function isSoftwareAdapter(info: Required<GpuAdapterInfoLike>, plan?: NodeWebGpuEnvironmentPlan): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software|warp/.test(text) || plan?.icd.source === 'swiftshader' || (plan?.icd.files.some((f) => f.includes('swiftshader')) ?? false);
}

/** Asks `gpu` for an adapter and turns the answer into {@link WebGpuDiagnostics}. */
export async function probeAdapter(acquired: AcquiredGpu): Promise<WebGpuDiagnostics> {
  const { gpu, runtime, plan, notes } = acquired;
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { available: false, reason: `requestAdapter() failed: ${messageOf(e)}`, runtime, software: false, notes };
  }
  if (!adapter) {
    const reason = plan ? explainNoAdapter(plan) : 'navigator.gpu.requestAdapter() returned null: WebGPU is present but no adapter is usable (blocklisted or no GPU)';
    return { available: false, reason, runtime, software: false, notes };
  }
  const info = adapterInfo(adapter);
  return { available: true, runtime, adapter: info, software: isSoftwareAdapter(info, plan), notes };
}
