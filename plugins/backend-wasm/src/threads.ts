import * as tf from '@tensorflow/tfjs-core';
import { CharlearnError, ValueRangeError } from '@charlearn/core';
import { isNode } from './load';

/**
 * How many threads the wasm backend's XNNPACK thread pool runs: an integer
 * 1..{@link MAX_WASM_THREADS}, or `'auto'` (tfjs's own choice: half the
 * logical cores the runtime reports, at least 1). `1` is the single-threaded
 * SIMD binary (no workers, no shared memory); more needs the threaded SIMD
 * binary: in Node charlearn starts its pthread workers over `worker_threads`,
 * in a browser the page must be cross-origin isolated (COOP/COEP headers).
 *
 * @example
 * ```ts
 * const both: WasmThreads = 2;
 * const tfjsChoice: WasmThreads = 'auto';
 * ```
 */
export type WasmThreads = number | 'auto';

/** The most threads tfjs-backend-wasm's threaded build can use (it creates 8 pthread workers up front). */
export const MAX_WASM_THREADS = 8;

/**
 * The default of the `threads` option: 1, the single-threaded SIMD binary. Kept at 1 until a second thread is
 * measured faster on a quiet machine (docs/threads.md, `npm run bench:torch`).
 */
export const DEFAULT_WASM_THREADS: WasmThreads = 1;

/**
 * The threaded wasm binary could not be started (a pthread worker failed to
 * load or did not answer in time), or the thread count was changed after the
 * wasm backend was initialised. The message says what to do.
 *
 * @example
 * ```ts
 * try { await setupWasmBackend({ threads: 2 }); } catch (e) {
 *   if (e instanceof WasmThreadsError) console.error(e.message); // e.g. "... restart with threads: 1"
 * }
 * ```
 */
export class WasmThreadsError extends CharlearnError {
  constructor(message: string) {
    super(message, 'threads');
    this.name = 'WasmThreadsError';
  }
}

/**
 * Checks a thread count before anything is loaded: `'auto'` or an integer
 * in 1..{@link MAX_WASM_THREADS}; anything else is a `ValueRangeError`
 * naming `threads`.
 *
 * @param threads - the requested count.
 * @param parameter - the name reported in the error (default `'threads'`).
 * @returns the same value.
 * @example
 * ```ts
 * checkWasmThreads(2);     // 2
 * checkWasmThreads('auto'); // 'auto'
 * // checkWasmThreads(0) throws ValueRangeError
 * ```
 */
export function checkWasmThreads(threads: unknown, parameter = 'threads'): WasmThreads {
  if (threads === 'auto') return threads;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new ValueRangeError(
      `${parameter} must be 'auto' or an integer from 1 to ${MAX_WASM_THREADS} (the wasm backend's thread pool), got ${JSON.stringify(threads) ?? String(threads)}`,
      parameter,
    );
  }
  return threads;
}

/** The part of `node:worker_threads` the shim replaces. */
interface WorkerThreadsModule {
  Worker: new (filename: string | URL, options?: Record<string, unknown>) => NodeWorkerLike;
}

interface NodeWorkerLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

interface NodeOsModule {
  cpus(): unknown[];
}

type NodeRequire = ((id: string) => unknown) & { resolve(id: string): string };

async function nodeRequire(): Promise<NodeRequire> {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  let nodeModule = proc?.getBuiltinModule?.('module') as { createRequire?: (from: string) => NodeRequire } | undefined;
  if (!nodeModule?.createRequire) {
    const specifier = 'node:module';
    nodeModule = (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as { createRequire: (from: string) => NodeRequire };
  }
  return nodeModule.createRequire!(import.meta.url);
}

/**
 * The body of each pthread worker in Node. tfjs hands Emscripten a `blob:`
 * URL for the worker script and a Blob for the main script, neither of which
 * Node's `worker_threads` can load; this runs the worker script tfjs ships
 * (`wasm-out/*-threaded-simd.worker.js`) and points its `load` message at the
 * Emscripten glue file on disk instead of the Blob.
 */
const PTHREAD_WORKER_SOURCE = `import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
const require = createRequire(workerData.contentsPath);
const on = parentPort.on.bind(parentPort);
parentPort.on = (event, listener) => event !== 'message' ? on(event, listener) : on('message', (data) => {
  if (data && data.cmd === 'load') data.urlOrBlob = workerData.gluePath;
  listener(data);
});
const { wasmWorkerContents } = require(workerData.contentsPath);
new Function('require', '__filename', wasmWorkerContents.replace(/\\n/g, '\\\\n'))(require, workerData.contentsPath);
`;

/** The worker as an ES module in a `data:` URL (independent of the parent's flags, such as `--input-type`). */
const PTHREAD_WORKER_URL = `data:text/javascript,${encodeURIComponent(PTHREAD_WORKER_SOURCE)}`;

/**
 * Emscripten refs the worker of every running pthread, and XNNPACK's pool threads run for the life of the
 * backend: without this a Node process that used the threaded backend would never exit on its own.
 */
function unrefPoolWorkers(): void {
  const backend = tf.findBackend('wasm') as { wasm?: { PThread?: { runningWorkers?: { unref?: () => void }[] } } } | null;
  for (const worker of backend?.wasm?.PThread?.runningWorkers ?? []) worker.unref?.();
}

/** Seconds the threaded binary may take to start its workers before {@link WasmThreadsError}. */
const START_TIMEOUT_MS = 60_000;

/**
 * Runs `init` (which initialises tfjs's wasm backend) so that, in Node, it
 * loads the threaded SIMD binary with `threads` XNNPACK threads:
 * - sets tfjs's `WASM_HAS_MULTITHREAD_SUPPORT` flag (false in Node upstream, tensorflow/tfjs#3830);
 * - while `init` runs, `worker_threads.Worker` maps tfjs's `blob:` worker URL to a worker that loads the
 *   glue from the installed package, and `os.cpus()` reports `2 * threads` entries (tfjs's C++ caps the pool at
 *   half the logical cores); both are restored afterwards;
 * - a worker that fails to load rejects with {@link WasmThreadsError}, as does a start that takes over 60 s;
 * - the pool's workers are unref'd, so that they do not keep the process alive.
 *
 * In a browser tfjs picks the threaded binary itself when the page is cross-origin isolated (else it runs one
 * thread); `navigator.hardwareConcurrency` reads `2 * threads` while `init` runs, for the same cap.
 *
 * @param threads - checked by {@link checkWasmThreads}; `1` forces the single-threaded SIMD binary.
 * @param setThreadsCount - tfjs-backend-wasm's `setThreadsCount`.
 * @param init - initialises the wasm backend (e.g. `() => tf.setBackend('wasm')`).
 * @returns what `init` returns.
 * @example
 * ```ts
 * const wasm = await import('@tensorflow/tfjs-backend-wasm');
 * await withWasmThreads(2, wasm.setThreadsCount, () => tf.setBackend('wasm'));
 * ```
 */
export async function withWasmThreads<T>(threads: WasmThreads, setThreadsCount: (n: number) => void, init: () => Promise<T>): Promise<T> {
  checkWasmThreads(threads);
  if (threads === 1) {
    // The plain SIMD binary, also on a cross-origin-isolated page (where tfjs would pick the threaded one).
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setThreadsCount(1);
    return init();
  }
  if (!isNode()) return withBrowserThreads(threads, setThreadsCount, init);
  const require = await nodeRequire();
  const workerThreads = require('node:worker_threads') as WorkerThreadsModule;
  const os = require('node:os') as NodeOsModule;
  const pkgDir = require.resolve('@tensorflow/tfjs-backend-wasm/package.json').replace(/package\.json$/, '');
  const workerData = {
    gluePath: `${pkgDir}wasm-out/tfjs-backend-wasm-threaded-simd.js`,
    contentsPath: `${pkgDir}wasm-out/tfjs-backend-wasm-threaded-simd.worker.js`,
  };
  const count = threads === 'auto' ? Math.min(MAX_WASM_THREADS, Math.max(1, os.cpus().length)) : threads;

  let fail: (e: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined); // a failure after the start is reported to Emscripten's listener instead
  let started = false;
  const BaseWorker = workerThreads.Worker;
  const cpus = os.cpus;
  class PthreadWorker extends BaseWorker {
    constructor(filename: string | URL, options?: Record<string, unknown>) {
      if (typeof filename === 'string' && filename.startsWith('blob:')) {
        super(new URL(PTHREAD_WORKER_URL), { ...options, workerData });
      } else {
        super(filename, options);
      }
    }
    override on(event: string, listener: (...args: unknown[]) => void): unknown {
      if (event !== 'error') return super.on(event, listener);
      // Emscripten's handler rethrows (an uncaught exception); turn it into a named rejection of the start.
      return super.on('error', (e: unknown) => {
        const err = new WasmThreadsError(
          `a wasm pthread worker failed (${e instanceof Error ? e.message : String(e)}); ` +
            'the threaded wasm backend cannot run in this process: restart it with threads: 1',
        );
        fail(err);
        if (started) listener(err);
      });
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  workerThreads.Worker = PthreadWorker as unknown as WorkerThreadsModule['Worker'];
  os.cpus = () => Array.from({ length: 2 * count }, () => cpus()[0]);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(count);
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WasmThreadsError(`the threaded wasm backend's ${count} threads did not start within ${START_TIMEOUT_MS / 1000} s; restart with threads: 1`)),
        START_TIMEOUT_MS,
      );
    });
    const result = await Promise.race([init(), failed, timeout]);
    unrefPoolWorkers();
    return result;
  } finally {
    started = true;
    clearTimeout(timer);
    workerThreads.Worker = BaseWorker;
    os.cpus = cpus;
  }
}

async function withBrowserThreads<T>(threads: WasmThreads, setThreadsCount: (n: number) => void, init: () => Promise<T>): Promise<T> {
  const nav = (globalThis as { navigator?: object }).navigator;
  if (threads === 'auto' || nav === undefined) {
    if (threads !== 'auto') setThreadsCount(threads);
    return init();
  }
  setThreadsCount(threads);
  const own = Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency');
  try {
    Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => 2 * threads });
  } catch {
    // A runtime that forbids it keeps tfjs's cap (half the logical cores).
  }
  try {
    return await init();
  } finally {
    try {
      if (own) Object.defineProperty(nav, 'hardwareConcurrency', own);
      else delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
    } catch {
      // left as the runtime has it
    }
  }
}
