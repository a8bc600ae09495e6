/**
 * A W2 worker (a `worker_threads` worker started by `startW2Pool`): holds the reference points and answers every
 * `{ id, points }` with `{ id, w2 }` (`exactW2(points, reference, options)`) or `{ id, error }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { exactW2 } from './exact-w2';
import type { W2WorkerInit } from './w2-pool';

const init = workerData as W2WorkerInit;
const port = parentPort!;
port.on('message', (m: { id: number; points: Float64Array }) => {
  try {
    port.postMessage({ id: m.id, w2: exactW2(m.points, init.reference, init.options) });
  } catch (e) {
    port.postMessage({ id: m.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
port.postMessage({ ready: true });
