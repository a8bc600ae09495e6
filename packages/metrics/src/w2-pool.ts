/**
 * Exact W2 on `worker_threads` (Node only, `@charlearn/metrics/node`): a pool of workers that each hold the reference
 * points once and compute {@link exactW2} of every point set sent to them, so that an evaluation's W2 solves run on
 * other cores while its thread keeps sampling. The figures are those of `exactW2` on one thread, bit for bit (the
 * same function on the same float64 copies; the matching is certified optimal).
 */
import { CharlearnError, ShapeError, ValueRangeError, assertNumber } from '@charlearn/core';
import type { ExactW2Options } from './exact-w2';

/** A W2 worker failed: it could not start, threw on a point set, or exited. */
export class W2PoolError extends CharlearnError {
  /** The worker's index (0-based). */
  readonly worker: number;
  constructor(message: string, worker: number) {
    super(message, 'w2Pool');
    this.name = 'W2PoolError';
    this.worker = worker;
  }
}

/** Options of {@link startW2Pool}. */
export interface W2PoolOptions extends ExactW2Options {
  /** The points every W2 is measured against, flat `[n·dim]` (copied once to each worker). */
  reference: Float32Array | Float64Array;
  /** Worker threads (default 1; an integer >= 1). */
  workers?: number;
  /** How long a worker may take to start, in ms (default 30,000). */
  startTimeoutMs?: number;
}

/** A started pool; `close()` it when done (it also lets the process exit). */
export interface W2Pool {
  /** The worker threads. */
  readonly workers: number;
  /**
   * `exactW2(points, reference, options)` on the next free worker. `points`: flat `[n·dim]`, the reference's length
   * (a `ShapeError`, thrown before anything is sent, otherwise). Rejects with a {@link W2PoolError} when the worker
   * fails, with the worker's message (e.g. a `NonFiniteError`'s).
   */
  w2(points: Float32Array | Float64Array): Promise<number>;
  /** Stops the workers; calls still waiting reject with a `CharlearnError`. */
  close(): Promise<void>;
}

/** What the calling thread sends a worker: `{ id, points }`; what it answers: `{ id, w2 }` or `{ id, error }`. */
interface W2Job {
  readonly id: number;
  readonly resolve: (w2: number) => void;
  readonly reject: (e: Error) => void;
}

/** The worker's init data (`workerData`). */
export interface W2WorkerInit {
  readonly reference: Float64Array;
  readonly options: ExactW2Options;
}

type WorkerAnswer = { ready: true } | { ready: false; error: string } | { id: number; w2: number } | { id: number; error: string };

/** The worker script beside this module in `dist/`, or in `../dist/` when running from `src/`. */
async function workerScript(): Promise<URL> {
  const { existsSync } = await import('node:fs');
  const { dirname, join } = await import('node:path');
  const { fileURLToPath, pathToFileURL } = await import('node:url');
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'w2-worker.js'), join(here, '..', 'dist', 'w2-worker.js')]) {
    if (existsSync(candidate)) return pathToFileURL(candidate);
  }
  throw new CharlearnError(`the W2 worker script w2-worker.js is missing beside ${here} (build @charlearn/metrics: npm run build)`, 'w2Pool');
}

/**
 * Starts `workers` W2 worker threads holding `reference`; resolves once every one has started.
 *
 * @example
 * ```ts
 * import { startW2Pool } from '@charlearn/metrics/node';
 * const pool = await startW2Pool({ reference: heldOutFlat, neighbours: 8, workers: 2 }); // flat [n·2] points
 * try {
 *   const [w2OneStep, w2Teacher] = await Promise.all([pool.w2(oneStepFlat), pool.w2(teacherFlat)]); // = exactW2(oneStepFlat, heldOutFlat, { neighbours: 8 }), ...
 *   console.log(`one-step W2 ${w2OneStep}, teacher W2 ${w2Teacher}`);
 * } finally {
 *   await pool.close();
 * }
 * ```
 */
export async function startW2Pool(options: W2PoolOptions): Promise<W2Pool> {
  const { reference, workers = 1, startTimeoutMs = 30_000, ...w2Options } = options;
  if (!(reference instanceof Float32Array || reference instanceof Float64Array)) throw new ShapeError('reference must be a Float32Array or Float64Array of flat [n·dim] points', 'reference');
  assertNumber('workers', workers, { integer: true, min: 1 });
  assertNumber('startTimeoutMs', startTimeoutMs, { min: 0 });
  const dim = w2Options.dim ?? 2;
  assertNumber('dim', dim, { integer: true, min: 1 });
  if (reference.length === 0 || reference.length % dim !== 0) throw new ShapeError(`reference has ${reference.length} values: expected a non-empty multiple of dim = ${dim}`, 'reference');
  if (w2Options.neighbours !== undefined) assertNumber('neighbours', w2Options.neighbours, { integer: true, min: 1 });
  const { Worker } = await import('node:worker_threads');
  const script = await workerScript();
  const init: W2WorkerInit = { reference: Float64Array.from(reference), options: { ...w2Options, dim } };

  // Every call is posted at once to the worker with the fewest calls outstanding, so that a worker goes on to its
  // next point set while the calling thread is busy (sampling) and cannot hand out work; answers come back in order.
  const pending: W2Job[][] = [];
  const threads: import('node:worker_threads').Worker[] = [];
  let closed = false;
  let failure: W2PoolError | undefined;
  let nextId = 0;

  const failAll = (e: Error): void => {
    for (const jobs of pending) for (const job of jobs.splice(0)) job.reject(e);
  };

  const started = Array.from({ length: workers }, (_, k) => {
    const worker = new Worker(script, { workerData: init });
    threads.push(worker);
    pending.push([]);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new W2PoolError(`W2 worker ${k} did not start within ${startTimeoutMs} ms`, k)), startTimeoutMs);
      worker.on('message', (m: WorkerAnswer) => {
        if ('ready' in m) {
          clearTimeout(timer);
          if (m.ready) resolve();
          else reject(new W2PoolError(`W2 worker ${k} failed to start: ${m.error}`, k));
          return;
        }
        const job = pending[k]![0];
        if (!job || job.id !== m.id) return;
        pending[k]!.shift();
        if ('w2' in m) job.resolve(m.w2);
        else job.reject(new W2PoolError(`W2 worker ${k}: ${m.error}`, k));
      });
      worker.on('error', (e: Error) => {
        clearTimeout(timer);
        const err = new W2PoolError(`W2 worker ${k} failed: ${e.message}`, k);
        failure ??= err;
        reject(err);
        failAll(err);
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        if (closed) return;
        const err = new W2PoolError(`W2 worker ${k} exited (code ${code})`, k);
        failure ??= err;
        reject(err);
        failAll(err);
      });
    });
  });
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    failAll(new CharlearnError('the W2 pool is closed', 'w2Pool'));
    await Promise.all(threads.map((t) => t.terminate()));
  };
  try {
    await Promise.all(started);
  } catch (e) {
    await close();
    throw e;
  }

  return {
    workers,
    w2(points) {
      if (closed) throw new CharlearnError('the W2 pool is closed: start another with startW2Pool', 'w2Pool');
      if (failure) throw failure;
      if (!(points instanceof Float32Array || points instanceof Float64Array)) throw new ShapeError('points must be a Float32Array or Float64Array of flat [n·dim] points', 'points');
      if (points.length !== reference.length) throw new ShapeError(`points has ${points.length} values, the reference ${reference.length}: exact W2 needs as many points of the same dim`, 'points');
      let k = 0;
      for (let w = 1; w < threads.length; w++) if (pending[w]!.length < pending[k]!.length) k = w;
      const copy = Float64Array.from(points);
      const id = nextId++;
      return new Promise<number>((resolve, reject) => {
        pending[k]!.push({ id, resolve, reject });
        threads[k]!.postMessage({ id, points: copy });
      });
    },
    close,
  };
}
