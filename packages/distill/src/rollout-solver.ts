/**
 * A rollout worker: one worker thread that solves the distiller's next rollout-cache chunk while the calling thread
 * trains on the live ones (`startRolloutWorker`). Node only (`worker_threads`, `SharedArrayBuffer`, `Atomics.wait`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { CharlearnError, ConfigError, ValueRangeError } from '@charlearn/core';
import type { CharacteristicDistiller } from './distiller';
import type { RolloutChunkSolver } from './rollout-cache';
import { CONTROL_WORDS, ERROR_BYTES, variableSlots, type RolloutWorkerInit } from './replica-protocol';
import { awaitReady, ReplicaError, signalStep, stopReplica, waitAll, workerScript, type ReplicaRole, type ReplicaThread } from './replica-threads';

const ROLE: ReplicaRole = { noun: 'rollout worker', fallback: 'the rollout cache solves its chunks on this thread instead' };

/** Options of {@link startRolloutWorker}. */
export interface RolloutWorkerOptions {
  /** The distiller whose rollout cache the worker serves (`pairSource: 'rollout-cache'`); the worker attaches itself. */
  distiller: CharacteristicDistiller;
  /** The registered backend the worker selects (default: the current tfjs backend, e.g. `'wasm'`). */
  backend?: string;
  /**
   * Modules the worker imports before selecting the backend: the backend's plugin and any plugin the teacher's network,
   * interpolant or solver needs (default `['@charlearn/backend-wasm']`). Bare names resolve from this package's
   * folder; give `file:` URLs for anything else.
   */
  modules?: readonly string[];
  /** How long the start, or one chunk's solve, may take before a `ReplicaError` (default 600,000 ms). */
  timeoutMs?: number;
  /**
   * Called with the error when a chunk's solve failed or the worker died; the cache then solves that chunk on the
   * calling thread (default: none; the failure is still counted in {@link RolloutWorker.failures}).
   */
  onError?: (error: ReplicaError) => void;
}

/** A started rollout worker, attached to its distiller ({@link RolloutChunkSolver} for its cache). */
export interface RolloutWorker extends RolloutChunkSolver {
  /** Chunks the worker solved and the cache took. */
  readonly solved: number;
  /** Chunks whose solve failed (the cache solved them itself). */
  readonly failures: number;
  /** Detaches the worker from the distiller (its cache solves on this thread again) and ends the thread (idempotent). */
  close(): Promise<void>;
}

/**
 * Starts one worker thread that solves `distiller`'s rollout-cache chunks one refresh ahead, and attaches it to the
 * distiller (`setRolloutChunkSolver`): from the next refresh on, the chunk that goes live was solved while the calling
 * thread trained. The worker rebuilds the frozen teacher from its spec and a copy of its weights taken now, and solves
 * with the same solver, grid and kernels, so every trajectory, and every training step, is the one the distiller
 * computes alone, bit for bit (on the wasm backend with its default options on both threads, and with a dataset whose
 * `sample(batch, rng)` draws from `rng` alone, as every built-in one does: a chunk's start points are drawn one refresh
 * earlier than without the worker).
 *
 * Errors before any thread starts: `ConfigError` naming `pairSource` (no rollout cache), `interpolant` (not
 * registered under its name) or `distiller` (it has a rollout worker already), `ValueRangeError` for a bad `timeoutMs`, `CharlearnError` without `SharedArrayBuffer` /
 * `Atomics.wait` or a selected backend; a worker that cannot start is a `ReplicaError`.
 *
 * @example
 * ```ts
 * import { startRolloutWorker } from '@charlearn/distill/node';
 * const distiller = new CharacteristicDistiller({ teacher: teacherNet, dataset, config: { pairSource: 'rollout-cache' } });
 * const worker = await startRolloutWorker({ distiller });
 * try {
 *   for (let i = 0; i < 2000; i++) distiller.trainStep(); // the same steps as without the worker, faster
 * } finally {
 *   await worker.close();
 * }
 * ```
 */
export async function startRolloutWorker(options: RolloutWorkerOptions): Promise<RolloutWorker> {
  const { distiller, timeoutMs = 600_000, onError } = options;
  const task = distiller.rolloutTask();
  if (distiller.rolloutChunkSolver) throw new ConfigError('this distiller already has a rollout chunk solver (a rollout worker): close it first', 'distiller');
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ValueRangeError(`timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`, 'timeoutMs');
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics?.wait !== 'function') {
    throw new CharlearnError('a rollout worker needs SharedArrayBuffer and Atomics.wait (Node 20+); train without one', 'rolloutWorker');
  }
  const backend = options.backend ?? tf.getBackend();
  if (!backend) throw new CharlearnError("no tfjs backend is selected: select one (await useBackend('wasm')) before starting a rollout worker, or pass backend", 'backend');
  const modules = options.modules ?? ['@charlearn/backend-wasm'];
  const named = Object.entries(distiller.frozen.teacher.namedVariables());
  const slots = variableSlots(named.map(([name, v]) => ({ name, shape: v.shape })));
  const weights = new SharedArrayBuffer(slots.reduce((a, s) => a + s.size, 0) * 4);
  const weightValues = new Float32Array(weights);
  named.forEach(([, v], i) => weightValues.set(v.dataSync() as Float32Array, slots[i]!.offset));
  const per = task.chunkRows * task.sampleShape.reduce((a, b) => a * b, 1);
  const states = new SharedArrayBuffer(per * task.grid.length * 4);
  const stateValues = new Float32Array(states);
  const { Worker, MessageChannel } = await import('node:worker_threads');
  const script = await workerScript('rollout-worker.js', ROLE);
  const { port1, port2 } = new MessageChannel();
  const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
  const error = new SharedArrayBuffer(ERROR_BYTES);
  const { chunkRows, sampleShape, ...rolloutTask } = task;
  const init: RolloutWorkerInit = { task: rolloutTask, modules, backend, variables: slots, weights, control, states, chunkRows, sampleShape, error };
  const worker = new Worker(script, { workerData: init, transferList: [port2] });
  const thread: ReplicaThread = { index: 1, worker, port: port1, control: new Int32Array(control), error: new Uint8Array(error), exited: false };
  worker.on('exit', () => (thread.exited = true));
  try {
    await awaitReady(thread, timeoutMs, ROLE);
  } catch (e) {
    await stopReplica(thread);
    throw e;
  }
  worker.unref();

  let sequence = 0;
  let inFlight: { id: number; sequence: number } | null = null;
  let solved = 0;
  let failures = 0;
  let closed = false;
  const fail = (e: unknown): undefined => {
    failures++;
    onError?.(e instanceof ReplicaError ? e : new ReplicaError(String(e), 1));
    return undefined;
  };
  // A worker that dies between chunks is reported now (one in the middle of a chunk is reported when it is taken).
  worker.on('exit', (code) => {
    if (!closed && !inFlight) fail(new ReplicaError(`rollout worker 1 exited (code ${code}); ${ROLE.fallback}`, 1));
  });
  const self: RolloutWorker = {
    get solved() {
      return solved;
    },
    get failures() {
      return failures;
    },
    request(id, start) {
      if (closed || thread.exited) return;
      if (start.length !== per) throw new ValueRangeError(`a chunk's start has ${start.length} values, expected ${per} (${chunkRows} rows of [${sampleShape.join(', ')}])`, 'start');
      if (inFlight) waitAll([thread], inFlight.sequence, timeoutMs, true, ROLE); // the states buffer is the worker's until it is done
      stateValues.set(start, 0);
      sequence++;
      inFlight = { id, sequence };
      signalStep(thread, sequence, chunkRows);
    },
    take(id) {
      if (!inFlight || inFlight.id !== id) return undefined;
      const { sequence: asked } = inFlight;
      inFlight = null;
      try {
        waitAll([thread], asked, timeoutMs, false, ROLE);
      } catch (e) {
        return fail(e);
      }
      solved++;
      return stateValues.slice(per);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (distiller.rolloutChunkSolver === self) distiller.setRolloutChunkSolver(null);
      inFlight = null;
      await stopReplica(thread);
    },
  };
  distiller.setRolloutChunkSolver(self);
  return self;
}

