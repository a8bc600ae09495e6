/**
 * `@charlearn/metrics/node`: exact W2 on worker threads (Node only).
 *
 * @example
 * ```ts
 * import { startW2Pool } from '@charlearn/metrics/node';
 * const pool = await startW2Pool({ reference: heldOutFlat, workers: 2 }); // flat [n·2] points
 * const w2 = await pool.w2(oneStepFlat);
 * await pool.close();
 * ```
 */
export { startW2Pool, W2PoolError, type W2Pool, type W2PoolOptions, type W2WorkerInit } from './w2-pool';
