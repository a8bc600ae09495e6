/**
 * The shared-memory protocol between a trainer's thread and its gradient replicas (`startGradientReplicas` in
 * `@charlearn/distill/node` and `replica-worker.ts`): one `Int32Array` control block a replica, the weights in one
 * shared `Float32Array` for all, and a replica's inputs, gradients and error text in its own shared buffers. Sampling
 * replicas (`startSamplingReplicas`, `sampling-worker.ts`) use the same control block and weights, one rows buffer for
 * all (the rows of `z` in, their samples out) and a claim counter over its chunks. Internal to this package.
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
  /** A new, larger inputs buffer, when the last one was too small. */
  readonly inputBuffer?: SharedArrayBuffer;
}

/** What a replica gets at start (`workerData`). */
export interface ReplicaInit {
  readonly index: number;
  readonly task: import('./sharded-gradients').GradientTask;
  /** Modules to import before the backend is selected (backend plugins, interpolant and network plugins). */
  readonly modules: readonly string[];
  /** The registered backend to select with `useBackend`. */
  readonly backend: string;
  readonly variables: readonly VariableSlot[];
  readonly control: SharedArrayBuffer;
  readonly weights: SharedArrayBuffer;
  /** `parameters + 1` floats: the gradient, then the shard's mean loss. */
  readonly grads: SharedArrayBuffer;
  readonly inputs: SharedArrayBuffer;
  readonly error: SharedArrayBuffer;
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
export interface SamplingReplicaInit {
  readonly index: number;
  readonly task: import('./sampling-task').SamplingTask;
  /** Modules to import before the backend is selected (backend plugins, interpolant and network plugins). */
  readonly modules: readonly string[];
  /** The registered backend to select with `useBackend`. */
  readonly backend: string;
  readonly variables: readonly VariableSlot[];
  readonly control: SharedArrayBuffer;
  readonly weights: SharedArrayBuffer;
  /** One `Int32` shared by every participant of a call: the index of the next chunk to claim. */
  readonly claims: SharedArrayBuffer;
  /** Every row of `z` in, their samples out in place (a chunk's rows are read and written by the one that claimed it). */
  readonly rows: SharedArrayBuffer;
  readonly error: SharedArrayBuffer;
  /** How long the replica polls for the next call after each before it sleeps (ms). */
  readonly spinMs: number;
  readonly port: import('node:worker_threads').MessagePort;
}
