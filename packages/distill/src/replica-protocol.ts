/**
 * The shared-memory protocol between a trainer's thread and its gradient replicas (`startGradientReplicas` in
 * `@charlearn/distill/node` and `replica-worker.ts`): one `Int32Array` control block a replica, the weights in one
 * shared `Float32Array` for all, and a replica's inputs, gradients and error text in its own shared buffers. Sampling
 * replicas (`startSamplingReplicas`, `sampling-worker.ts`) use the same control block and weights, one rows buffer for
 * all (the rows of `z` in, their samples out) and a claim counter over its chunks. A rollout worker
 * (`startRolloutWorker`, `rollout-worker.ts`) uses the control block, the weights once, and one states buffer.
 * Internal to this package.
 */

/** Control words of a replica (an `Int32Array` of {@link CONTROL_WORDS} on a `SharedArrayBuffer`). */
export const Control = {
  /** Sequence number of the step the trainer asks for (the replica waits on it). */
  go: 0,
  /** Sequence number of the last step the replica finished (the trainer waits on it). */
  done: 1,
  /** 0: the step succeeded; 1: it threw (the text is in the error buffer). */
  status: 2,
  /** Rows of this replica's shard in the current step. */
  rows: 3,
  /** Bytes of UTF-8 error text. */
  errorLength: 4,
  /** 1: leave the loop and exit. */
  stop: 5,
  /** Sampling replicas: how many chunks the replica sampled in the last call. */
  chunks: 6,
} as const;

/** Length of a control block. */
export const CONTROL_WORDS = 8;

/** Bytes of a replica's error buffer. */
export const ERROR_BYTES = 4096;

/** A variable's place in the flat weight / gradient buffers. */
export interface VariableSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** One input tensor of a step: its name, full shape (`[rows, ...]`) and offset in the inputs buffer. */
export interface InputSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
}

/** What the trainer posts before each step (read synchronously by the replica with `receiveMessageOnPort`). */
export interface StepMessage {
  readonly inputs: readonly InputSlot[];
  /** Rows of every shard of this step, the trainer's first (the weights `nₖ / B` of the reduce). */
  readonly shardRows: readonly number[];
  /** A new, larger inputs buffer, when the last one was too small. */
  readonly inputBuffer?: SharedArrayBuffer;
}

/** What every worker thread of this package gets at start (`workerData`), beside what its kind adds. */
export interface WorkerThreadInit {
  /** Modules to import before the backend is selected (backend plugins, and the solver, interpolant and network plugins). */
  readonly modules: readonly string[];
  /** The registered backend to select with `useBackend`. */
  readonly backend: string;
  /** The network's variables in the weights buffer. */
  readonly variables: readonly VariableSlot[];
  /** The control block ({@link Control}). */
  readonly control: SharedArrayBuffer;
  /** The network's weights, laid out by `variables`. */
  readonly weights: SharedArrayBuffer;
  /** The UTF-8 text of a failed step. */
  readonly error: SharedArrayBuffer;
}

/** What a replica gets at start (`workerData`). */
export interface ReplicaInit extends WorkerThreadInit {
  readonly index: number;
  readonly task: import('./sharded-gradients').GradientTask;
  /** Shards a batch is split into, the trainer's thread included (= the parts of the reduce). */
  readonly replicas: number;
  /** How long a waiting thread polls shared memory before it sleeps (`waitWhile`), in ms. */
  readonly spinMs: number;
  /**
   * Every shard's gradient buffer, index 0 the trainer's, index `index` this replica's: `parameters + 1` floats each,
   * the gradient, then the shard's mean loss.
   */
  readonly shardGrads: readonly SharedArrayBuffer[];
  /** `Int32Array` of one word: how many shards' gradients of the current step are written (see `arriveLast`). */
  readonly arrivals: SharedArrayBuffer;
  /** `parameters` floats: the reduced gradient `Σ nₖ/B · ∇Lₖ`, written by the shard that arrived last. */
  readonly sum: SharedArrayBuffer;
  readonly inputs: SharedArrayBuffer;
  readonly port: import('node:worker_threads').MessagePort;
}

/** Lays the variables out one after the other, in the given order. */
export function variableSlots(variables: ReadonlyArray<{ name: string; shape: readonly number[] }>): VariableSlot[] {
  let offset = 0;
  return variables.map(({ name, shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const slot = { name, shape: [...shape], offset, size };
    offset += size;
    return slot;
  });
}

/**
 * Waits while `words[index]` still holds `value`: polls it for up to `spinMs` first (so that a writer that comes soon
 * finds no sleeper to wake: `Atomics.notify` on a sleeping thread can hand it the writer's core), then sleeps in
 * `Atomics.wait` for at most `timeoutMs`. Returns when the word changed or the time is up (the caller re-checks).
 */
export function waitWhile(words: Int32Array, index: number, value: number, timeoutMs: number, spinMs: number): void {
  if (spinMs > 0) {
    const until = performance.now() + spinMs;
    for (let i = 0; Atomics.load(words, index) === value; i++) {
      if ((i & 255) === 255 && performance.now() > until) break;
    }
  }
  Atomics.wait(words, index, value, timeoutMs);
}

/**
 * Counts one shard's gradient of the current step as written (its buffer in `shardGrads`); true for the shard that
 * arrived last, which then sums all of them (no thread waits for another to reduce, and no sleeping thread is woken
 * for it). The trainer zeroes `arrivals[0]` before it starts the step's replicas.
 */
export function arriveLast(arrivals: Int32Array, replicas: number): boolean {
  return Atomics.add(arrivals, 0, 1) === replicas - 1;
}

/** What the caller posts before each sampling call (read synchronously by the sampling replica). */
export interface SampleMessage {
  /** Rows of `z` in the call, laid out one after the other at the start of the shared rows buffer. */
  readonly rows: number;
  /** One sample's shape, `z.shape.slice(1)`. */
  readonly sampleShape: readonly number[];
  /** Rows of a chunk (the last may have fewer): a participant claims chunk `i` with `Atomics.add` on the claim counter. */
  readonly chunkRows: number;
  /** Network evaluations (`sampleFlowMap`'s `steps`). */
  readonly steps: number;
  readonly eps0: number;
  readonly eps1: number;
  readonly start: import('./sampling').GeneratorStart;
  /** `E[x1]`, one sample's values, for the starts that shift by it. */
  readonly dataMean?: Float32Array;
  /** Version of the weights in the shared buffer: the replica reassigns its variables when it changed. */
  readonly weightsVersion: number;
  /** A new, larger rows buffer, when the last one was too small. */
  readonly rowsBuffer?: SharedArrayBuffer;
}

/** What a sampling replica gets at start (`workerData`). */
export interface SamplingReplicaInit extends WorkerThreadInit {
  readonly index: number;
  readonly task: import('./sampling-task').SamplingTask;
  /** One `Int32` shared by every participant of a call: the index of the next chunk to claim. */
  readonly claims: SharedArrayBuffer;
  /** Every row of `z` in, their samples out in place (a chunk's rows are read and written by the one that claimed it). */
  readonly rows: SharedArrayBuffer;
  /** How long the replica polls for the next call after each before it sleeps (ms). */
  readonly spinMs: number;
  readonly port: import('node:worker_threads').MessagePort;
}

/** What a rollout worker (`startRolloutWorker`, `rollout-worker.ts`) gets at start (`workerData`); its weights, the frozen teacher's, are written once before it starts. */
export interface RolloutWorkerInit extends WorkerThreadInit {
  readonly task: import('./rollout-task').RolloutTask;
  /**
   * A chunk's starting points `[chunkRows, ...sampleShape]` first (written by the caller), then the worker's solved
   * states at `grid[1] … grid[G − 1]`, state by state: `G · chunkRows · ∏ sampleShape` floats.
   */
  readonly states: SharedArrayBuffer;
  readonly chunkRows: number;
  readonly sampleShape: readonly number[];
}
