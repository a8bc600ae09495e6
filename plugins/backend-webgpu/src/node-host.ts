import type { EnvironmentProbe, NodeWebGpuEnvironmentPlan } from './node-env';

interface NodeProcessLike {
  versions?: { node?: string };
  platform?: string;
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
  dlopen?: (module: { exports: unknown }, filename: string, flags?: number) => void;
}

interface FsLike {
  existsSync(path: string): boolean;
  readdirSync(path: string): string[];
  mkdtempSync(prefix: string): string;
}

interface OsLike {
  tmpdir(): string;
  constants: { dlopen?: Record<string, number> };
}

function nodeProcess(): NodeProcessLike | undefined {
  const proc = (globalThis as { process?: NodeProcessLike }).process;
  return typeof proc?.versions?.node === 'string' ? proc : undefined;
}

/** Whether this is Node (or a runtime that looks like it). */
export function isNode(): boolean {
  return nodeProcess() !== undefined;
}

/** A Node built-in module (`node:fs`, ...) without a static import, so browser bundles never see it. */
async function builtin<T>(id: string): Promise<T> {
  const fromProcess = nodeProcess()?.getBuiltinModule?.(id);
  if (fromProcess) return fromProcess as T;
  // Node < 20.16: a specifier bundlers leave alone (this only runs in Node).
  return (await import(/* webpackIgnore: true */ /* @vite-ignore */ id)) as T;
}

/**
 * The real environment of this Node process as an {@link EnvironmentProbe}.
 */
export async function nodeEnvironmentProbe(): Promise<EnvironmentProbe> {
  const proc = nodeProcess();
  const fs = await builtin<FsLike>('node:fs');
  return {
    platform: proc?.platform ?? 'unknown',
    env: proc?.env ?? {},
    exists: (p) => fs.existsSync(p),
    list: (dir) => {
      try {
        return fs.readdirSync(dir);
      } catch {
        return [];
      }
    },
  };
}

// glibc's RTLD_NODELETE (not in os.constants.dlopen): keeps the library loaded
// after Node's dlopen of a non-addon fails and closes its handle.
const RTLD_NODELETE = 0x1000;

/**
 * Performs a plan: sets the variables, creates the runtime folder, and
 * preloads the Vulkan loader (`process.dlopen` with RTLD_GLOBAL |
 * RTLD_NODELETE: Node then reports "did not self-register", which is
 * expected, and the library stays loaded under its soname, where Dawn's
 * `dlopen('libvulkan.so.1')` finds it). Returns extra notes (a failed preload).
 */
export async function applyNodeWebGpuEnvironment(plan: NodeWebGpuEnvironmentPlan): Promise<string[]> {
  const proc = nodeProcess();
  if (!proc?.env) return [];
  const notes: string[] = [];
  for (const [k, v] of Object.entries(plan.setEnv)) proc.env[k] ??= v;
  if (plan.createRuntimeDir && !proc.env.XDG_RUNTIME_DIR) {
    const fs = await builtin<FsLike>('node:fs');
    const os = await builtin<OsLike>('node:os');
    const sep = os.tmpdir().endsWith('/') ? '' : '/';
    proc.env.XDG_RUNTIME_DIR = fs.mkdtempSync(`${os.tmpdir()}${sep}charlearn-xdg-`);
  }
  if (plan.loader.source === 'preload' && plan.loader.path && proc.dlopen) {
    const os = await builtin<OsLike>('node:os');
    const flags = (os.constants.dlopen?.RTLD_NOW ?? 2) | (os.constants.dlopen?.RTLD_GLOBAL ?? 0x100) | RTLD_NODELETE;
    try {
      proc.dlopen({ exports: {} }, plan.loader.path, flags);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (!/self-register/.test(message)) notes.push(`could not preload the Vulkan loader ${plan.loader.path}: ${message}`);
    }
  }
  return notes;
}
