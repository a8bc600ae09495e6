/** The module namespace of `@tensorflow/tfjs-backend-wasm`. */
export type TfjsWasmModule = typeof import('@tensorflow/tfjs-backend-wasm');

let loading: Promise<TfjsWasmModule> | undefined;

/**
 * Imports `@tensorflow/tfjs-backend-wasm` once (which registers the `'wasm'`
 * tfjs backend and its kernels). A failed import is retried next time.
 */
export function loadTfjsWasm(): Promise<TfjsWasmModule> {
  loading ??= import('@tensorflow/tfjs-backend-wasm').then(
    (m) => {
      // Node ESM sees the package's CJS bundle: names may sit on `default` only.
      const mod = m as TfjsWasmModule & { default?: TfjsWasmModule };
      const resolved = typeof mod.setWasmPaths === 'function' ? mod : mod.default;
      if (!resolved || typeof resolved.setWasmPaths !== 'function') {
        throw new Error('@tensorflow/tfjs-backend-wasm loaded but exports no setWasmPaths (unsupported version?)');
      }
      return resolved;
    },
    (e: unknown) => {
      loading = undefined;
      throw e;
    },
  );
  return loading;
}

interface NodeProcessLike {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

type CreateRequire = (from: string) => { resolve(id: string): string };

/** Whether this is Node (or a runtime that looks like it, e.g. Bun, Deno's node compat). */
export function isNode(): boolean {
  const proc = (globalThis as { process?: NodeProcessLike }).process;
  return typeof proc?.versions?.node === 'string';
}

/**
 * In Node: the `dist/` folder (with a trailing separator) of the installed
 * `@tensorflow/tfjs-backend-wasm`, where its `.wasm` binaries live, resolved
 * from this package's own location. Undefined outside Node.
 */
export async function nodeWasmDir(): Promise<string | undefined> {
  if (!isNode()) return undefined;
  const proc = (globalThis as { process?: NodeProcessLike }).process;
  let nodeModule = proc?.getBuiltinModule?.('module') as { createRequire?: CreateRequire } | undefined;
  if (!nodeModule?.createRequire) {
    // Node < 20.16: a specifier bundlers do not try to resolve (this branch only runs in Node).
    const specifier = 'node:module';
    nodeModule = (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as { createRequire: CreateRequire };
  }
  const createRequire = nodeModule.createRequire;
  if (!createRequire) return undefined;
  const pkgJson = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return pkgJson.replace(/package\.json$/, '') + 'dist' + (pkgJson.includes('\\') && !pkgJson.includes('/') ? '\\' : '/');
}
