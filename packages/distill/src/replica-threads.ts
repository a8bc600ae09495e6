/**
 * The worker-thread side of replicas that is the same for every kind (gradient replicas, sampling replicas): finding
 * the worker script, waiting for a worker's start, waiting for a step over the control block, and stopping. Internal to
 * this package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CharlearnError, useBackend } from '@charlearn/core';
import { createNetwork, type Network, type NetworkSpec } from '@charlearn/nets';
import { Control, waitWhile, type VariableSlot } from './replica-protocol';

/** A replica failed: it could not start, threw during a step, or did not answer in time. */
export class ReplicaError extends CharlearnError {
  /** The replica's index (1 = the first worker; 0 is the calling thread). */
  readonly replica: number;
  constructor(message: string, replica: number) {
    super(message, 'replicas');
    this.name = 'ReplicaError';
    this.replica = replica;
  }
}

/** What a kind of replica is called in errors, and what to do instead (e.g. `'use replicas: 1 to train on one thread'`). */
export interface ReplicaRole {
  /** e.g. `'gradient replica'`. */
  readonly noun: string;
  /** e.g. `'use replicas: 1 to train on one thread'`. */
  readonly fallback: string;
}

/** One started worker and the shared words the calling thread talks to it through. */
export interface ReplicaThread {
  readonly index: number;
  readonly worker: import('node:worker_threads').Worker;
  readonly port: import('node:worker_threads').MessagePort;
  /** The control block ({@link Control}). */
  readonly control: Int32Array;
  /** The UTF-8 error text a failed step leaves. */
  readonly error: Uint8Array;
  exited: boolean;
}

/** A worker script `file` beside this module in `dist/`, or in `../dist/` when running from `src/`. */
export async function workerScript(file: string, role: ReplicaRole): Promise<URL> {
  const { existsSync } = await import('node:fs');
  const { dirname, join } = await import('node:path');
  const { fileURLToPath, pathToFileURL } = await import('node:url');
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, file), join(here, '..', 'dist', file)]) {
    if (existsSync(candidate)) return pathToFileURL(candidate);
  }
  throw new CharlearnError(`the ${role.noun} script ${file} is missing beside ${here} (build @charlearn/distill: npm run build)`, 'replicas');
}

/** Resolves when the worker posts `{ ready: true }`; rejects with a {@link ReplicaError} on a failed start, an exit or a timeout. */
export function awaitReady(r: ReplicaThread, timeoutMs: number, role: ReplicaRole): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ReplicaError(`${role.noun} ${r.index} did not start within ${timeoutMs} ms`, r.index)), timeoutMs);
    r.worker.once('message', (m: { ready: boolean; error?: string }) => {
      clearTimeout(timer);
      if (m.ready) resolve();
      else reject(new ReplicaError(`${role.noun} ${r.index} failed to start: ${m.error ?? 'unknown error'}; ${role.fallback}`, r.index));
    });
    r.worker.once('error', (e) => {
      clearTimeout(timer);
      reject(new ReplicaError(`${role.noun} ${r.index} failed to start: ${e.message}; ${role.fallback}`, r.index));
    });
    r.worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new ReplicaError(`${role.noun} ${r.index} exited (code ${code}) before it was ready; ${role.fallback}`, r.index));
    });
  });
}

/** Asks the worker to leave its loop and waits for its exit (terminating it after 2 s). */
export async function stopReplica(r: ReplicaThread): Promise<void> {
  if (r.exited) return;
  Atomics.store(r.control, Control.stop, 1);
  Atomics.add(r.control, Control.go, 1);
  Atomics.notify(r.control, Control.go);
  r.port.close();
  const exited = new Promise<void>((resolve) => {
    if (r.exited) resolve();
    else r.worker.once('exit', () => resolve());
  });
  const timer = setTimeout(() => void r.worker.terminate(), 2000);
  await exited;
  clearTimeout(timer);
}

/** Starts step `sequence` on a worker whose inputs (and step message) are in place: `rows` of its shard. */
export function signalStep(r: ReplicaThread, sequence: number, rows: number): void {
  Atomics.store(r.control, Control.rows, rows);
  Atomics.store(r.control, Control.go, sequence);
  Atomics.notify(r.control, Control.go);
}

/**
 * Waits for every replica to finish step `sequence`; throws the first replica error unless `quiet`. With `spinMs` > 0
 * it first polls for up to that long before sleeping in `Atomics.wait` (a sleeping thread's core may take a while to
 * wake on a virtual machine).
 */
export function waitAll(workers: readonly ReplicaThread[], sequence: number, timeoutMs: number, quiet: boolean, role: ReplicaRole, spinMs = 0): void {
  const deadline = Date.now() + timeoutMs;
  const spinUntil = performance.now() + spinMs; // one polling budget for the whole wait, not one a replica
  for (const r of workers) {
    while (Atomics.load(r.control, Control.done) !== sequence) {
      if (r.exited) {
        if (quiet) break;
        throw new ReplicaError(`${role.noun} ${r.index} exited during a step; ${role.fallback}`, r.index);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        if (quiet) break;
        throw new ReplicaError(`${role.noun} ${r.index} did not finish a step within ${timeoutMs} ms`, r.index);
      }
      waitWhile(r.control, Control.done, Atomics.load(r.control, Control.done), Math.min(left, 1000), Math.max(0, spinUntil - performance.now()));
    }
    if (!quiet && Atomics.load(r.control, Control.status) === 1) {
      const text = new TextDecoder().decode(r.error.slice(0, Atomics.load(r.control, Control.errorLength)));
      throw new ReplicaError(`${role.noun} ${r.index} failed: ${text}`, r.index);
    }
  }
}

/**
 * The worker's side of a step loop: waits for each step, runs it, records a failure's text, and signals it done. With
 * `spinMs` > 0 it polls for the next step for up to that long after each before sleeping in `Atomics.wait`, so that
 * back-to-back calls find it awake.
 */
export function serveSteps(control: Int32Array, errorBytes: Uint8Array, step: () => void, spinMs = 0): void {
  let seen = 0;
  for (;;) {
    waitWhile(control, Control.go, seen, Infinity, spinMs);
    if (Atomics.load(control, Control.go) === seen) continue;
    if (Atomics.load(control, Control.stop) === 1) break;
    seen = Atomics.load(control, Control.go);
    Atomics.store(control, Control.status, 0);
    try {
      step();
    } catch (e) {
      const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      const bytes = new TextEncoder().encode(text).subarray(0, errorBytes.length);
      errorBytes.set(bytes);
      Atomics.store(control, Control.errorLength, bytes.length);
      Atomics.store(control, Control.status, 1);
    }
    Atomics.store(control, Control.done, seen);
    Atomics.notify(control, Control.done);
  }
}

/**
 * A worker script's start, the same for every kind: imports `modules` (backend and other plugins), selects `backend`,
 * runs `setUp` (which builds what the steps need), then posts `{ ready: true }` to the starting thread and returns what
 * `setUp` returned; when any of it throws, posts `{ ready: false, error }` (what {@link awaitReady} reports) and returns
 * undefined.
 */
export async function startWorkerThread<T>(init: { readonly modules: readonly string[]; readonly backend: string }, setUp: () => T): Promise<T | undefined> {
  const { parentPort } = await import('node:worker_threads');
  let ready: T;
  try {
    for (const id of init.modules) await import(/* @vite-ignore */ id);
    await useBackend(init.backend);
    ready = setUp();
  } catch (e) {
    parentPort!.postMessage({ ready: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    return undefined;
  }
  parentPort!.postMessage({ ready: true });
  return ready;
}

/**
 * A worker's copy of the network `spec`, built on its thread, with a check that its variables are the caller's
 * `slots` (name and shape; an `Error` naming `who` otherwise), its variables by name, and a function that assigns
 * them the values in the shared `weights` (laid out by `slots`).
 */
export function rebuildNetwork(spec: NetworkSpec, slots: readonly VariableSlot[], weights: Float32Array, who: string): { net: Network; variables: Record<string, tf.Variable>; loadWeights: () => void } {
  const net = createNetwork(spec);
  const variables = net.namedVariables();
  for (const slot of slots) {
    const v = variables[slot.name];
    if (!v || v.shape.join(',') !== slot.shape.join(',')) {
      throw new Error(`${who}: the network built from the task has no variable '${slot.name}' of shape [${slot.shape.join(', ')}]`);
    }
  }
  const loadWeights = (): void => {
    for (const slot of slots) {
      const value = tf.tensor(weights.slice(slot.offset, slot.offset + slot.size), slot.shape as number[]);
      variables[slot.name]!.assign(value);
      value.dispose();
    }
  };
  return { net, variables, loadWeights };
}
