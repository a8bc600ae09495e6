import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { assertNumber, Rng, ValueRangeError, type Dataset } from '@charlearn/core';
import { DEFAULT_DISTILL_CONFIG, type DistillConfig } from './config';

/**
 * Where a distillation batch's characteristic pairs come from: `'on-the-fly'` (the public code's: points
 * `x_t = α_t x1 + σ_t z` from fresh data and noise at each group's start time, and `n` teacher solver steps from
 * them, every step) or `'rollout-cache'` (pairs read off cached teacher trajectories, {@link RolloutCache}).
 */
export type PairSource = 'on-the-fly' | 'rollout-cache';

/** The refresh policy of a {@link RolloutCache}. */
export interface RolloutCacheConfig {
  /** Teacher trajectories held at once (each is one solve over the whole grid: `gridSize` teacher evaluations). */
  trajectories: number;
  /**
   * Steps a trajectory serves before it is replaced: every step replaces the oldest `trajectories / lifetime`
   * (a ring of `lifetime` chunks), so the teacher work per step is `trajectories / lifetime` full solves.
   */
  lifetime: number;
  /**
   * Steps between two refreshes (default 1): the ring moves on one chunk every `refreshEvery` steps, so a trajectory
   * serves `lifetime · refreshEvery` steps and the teacher solves a chunk in one batched call every `refreshEvery`
   * steps (a solve's cost is mostly per call where kernel dispatch dominates, as for small MLPs on wasm).
   */
  refreshEvery?: number;
  /** Seed of the trajectories' starting points; default: the distiller's seed. A resumed run rebuilds the same cache from it. */
  seed?: number;
}

/**
 * Defaults: 1,024 trajectories, each used for 16 steps (64 new solves over the grid a step). The best of the
 * policies measured at equal wall time on the swiss roll (docs/bench-torch.md, bench-pairs.mjs).
 */
export const DEFAULT_ROLLOUT_CACHE: Required<Omit<RolloutCacheConfig, 'seed'>> = {
  trajectories: DEFAULT_DISTILL_CONFIG.rolloutCache.trajectories,
  lifetime: DEFAULT_DISTILL_CONFIG.rolloutCache.lifetime,
  refreshEvery: DEFAULT_DISTILL_CONFIG.rolloutCache.refreshEvery,
};

/** The cache settings of a parsed `distill.rolloutCache` section, its `null` seed replaced by `fallbackSeed`. */
export function rolloutCacheSettings(section: DistillConfig['rolloutCache'], fallbackSeed: number): Required<RolloutCacheConfig> {
  return { trajectories: section.trajectories, lifetime: section.lifetime, refreshEvery: section.refreshEvery, seed: section.seed ?? fallbackSeed };
}

/** Checks a {@link RolloutCacheConfig}; throws `ValueRangeError` naming the setting. */
export function validateRolloutCacheConfig(config: RolloutCacheConfig, parameter = 'distill.rolloutCache'): RolloutCacheConfig {
  if (typeof config !== 'object' || config === null) throw new ValueRangeError(`${parameter} must be an object { trajectories, lifetime, seed? }`, parameter);
  assertNumber(`${parameter}.trajectories`, config.trajectories, { integer: true, min: 1 });
  assertNumber(`${parameter}.lifetime`, config.lifetime, { integer: true, min: 1 });
  if (config.lifetime > config.trajectories) {
    throw new ValueRangeError(`${parameter}.lifetime (${config.lifetime}) must be at most trajectories (${config.trajectories}): every step replaces trajectories / lifetime of them`, `${parameter}.lifetime`);
  }
  if (config.refreshEvery !== undefined) assertNumber(`${parameter}.refreshEvery`, config.refreshEvery, { integer: true, min: 1 });
  if (config.seed !== undefined) assertNumber(`${parameter}.seed`, config.seed, { integer: true, min: 0, max: 0xffffffff });
  return config;
}

/**
 * Solves chunks of the cache somewhere else (a worker thread: `startRolloutWorker` of `@charlearn/distill/node`) while
 * the caller trains: {@link RolloutCache} hands it a chunk's starting points one refresh ahead and takes the solved
 * trajectories when that chunk goes live. What it returns must be the cache's own solve of those points, bit for bit
 * (the worker runs the same teacher, solver and kernels).
 */
export interface RolloutChunkSolver {
  /** Starts solving chunk `id` from `start` (`[chunkSize · ...dims]` at `grid[0]`, row-major); one chunk at a time. */
  request(id: number, start: Float32Array): void;
  /**
   * Chunk `id`'s states at `grid[1] … grid[G − 1]`, `[(G − 1) · chunkSize · ...dims]` (state by state), waiting for
   * the solve if it is still running; `undefined` when `id` is not the chunk requested or the solve failed (the
   * cache then solves the chunk itself: a failed helper costs time, never trajectories).
   */
  take(id: number): Float32Array | undefined;
}

/** A chunk's own seed: the cache seed mixed with the chunk id (negative ids are the first step's fill). */
function chunkSeed(seed: number, id: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x01000193) ^ Math.imul(id + 0x3c6ef372, 0x9e3779b1)) >>> 0;
}

/**
 * Cached teacher trajectories over the distillation time grid, so that pairs `(x_{t_i}, Φ_{t_i→t_{i+n}}(x_{t_i}))`
 * cost a gather instead of `n` teacher evaluations each. One trajectory starts at `x_{t_0} = α_{t_0} x1 + σ_{t_0} z`
 * (data and noise, as an on-the-fly pair from grid index 0) and is solved over every grid interval, so every pair
 * `(i, j)` on it is a point of the teacher's solved characteristic. A ring of `lifetime` chunks of
 * `trajectories / lifetime` trajectories: before step `s` the chunks with ids `c − lifetime + 1 … c` are live
 * (`c = floor(s / refreshEvery)`; `c = s` by default); each
 * chunk is generated from its own seed, so a resumed distiller rebuilds the same cache. Holds tensors: `dispose()`.
 *
 * @example
 * ```ts
 * const frozen = new CharacteristicTeacher({ teacher: teacherNet, dataset, config: { gridSize: 8 } });
 * const cache = frozen.rolloutCache(dataset, { trajectories: 512, lifetime: 4, seed: 0 });
 * const nfe = cache.advance(0);                       // step 0 fills all 4 chunks: 4 × 8 teacher evaluations
 * const { xt, target } = cache.pairs(3, 2, 256, rng); // 256 pairs grid[3] → grid[5], [256, 2] each
 * cache.dispose();
 * ```
 */
export class RolloutCache {
  readonly config: RolloutCacheConfig;
  /** Trajectories per chunk, `ceil(trajectories / lifetime)`. */
  readonly chunkSize: number;
  private readonly grid: readonly number[];
  private readonly sampleShape: readonly number[];
  private readonly dataset: Dataset;
  private readonly seed: number;
  private readonly solveInterval: (x: Tensor, i: number) => Tensor;
  private readonly startPoint: (x1: Tensor, z: Tensor) => Tensor;
  /** Live chunks by id: `[chunkSize · gridLength, ...sampleShape]`, row `m · gridLength + k` = trajectory m at grid[k]. */
  private readonly chunks = new Map<number, Tensor>();
  private all: Tensor | null = null;
  private allIds: number[] = [];
  private solver: RolloutChunkSolver | null = null;
  /** The chunk handed to {@link RolloutCache.solver} and its starting points (kept: they are the trajectories' first state). */
  private ahead: { id: number; start: Float32Array } | null = null;

  constructor(args: {
    grid: readonly number[];
    sampleShape: readonly number[];
    dataset: Dataset;
    config: RolloutCacheConfig;
    seed: number;
    /** The teacher over one grid interval `grid[i] → grid[i + 1]` (the last one a denoise into t = 1). */
    solveInterval: (x: Tensor, i: number) => Tensor;
    /** The starting point at `grid[0]` from data `x1` and noise `z`. */
    startPoint: (x1: Tensor, z: Tensor) => Tensor;
  }) {
    this.config = validateRolloutCacheConfig(args.config);
    assertNumber('seed', args.seed, { integer: true, min: 0, max: 0xffffffff });
    this.grid = args.grid;
    this.sampleShape = args.sampleShape;
    this.dataset = args.dataset;
    this.seed = args.seed;
    this.solveInterval = args.solveInterval;
    this.startPoint = args.startPoint;
    this.chunkSize = Math.ceil(this.config.trajectories / this.config.lifetime);
  }

  /** Trajectories held: `chunkSize · lifetime`. */
  get size(): number {
    return this.chunkSize * this.config.lifetime;
  }

  /** Ids of the live chunks, oldest first. */
  get liveChunks(): number[] {
    return [...this.chunks.keys()].sort((a, b) => a - b);
  }

  /**
   * Makes the chunks of step `step` live (with `c = floor(step / refreshEvery)`: `c − lifetime + 1 … c`), dropping
   * older ones and generating missing ones (one every `refreshEvery` steps in a run; all of them at the first step
   * or after a resume). Returns the teacher network evaluations spent (batched calls: `gridLength − 1` a chunk).
   */
  advance(step: number): number {
    assertNumber('step', step, { integer: true, min: 0 });
    const clock = Math.floor(step / (this.config.refreshEvery ?? 1));
    const first = clock - this.config.lifetime + 1;
    for (const [id, t] of this.chunks) {
      if (id < first || id > clock) {
        t.dispose();
        this.chunks.delete(id);
      }
    }
    let nfe = 0;
    for (let id = first; id <= clock; id++) {
      if (this.chunks.has(id)) continue;
      this.chunks.set(id, this.takeAhead(id) ?? this.generate(id));
      nfe += this.grid.length - 1;
    }
    if (this.solver && this.ahead?.id !== clock + 1) this.requestAhead(clock + 1);
    return nfe;
  }

  /** The solver chunks are handed to, or null when they are solved here. */
  get chunkSolver(): RolloutChunkSolver | null {
    return this.solver;
  }

  /**
   * Solves chunks on `solver` from now on: at every `advance` the next refresh's chunk is handed to it, and taken
   * when it goes live (the same trajectories as solving it here, so a run's numbers do not change). `null` solves
   * them here again.
   */
  setChunkSolver(solver: RolloutChunkSolver | null): void {
    this.solver = solver;
    this.ahead = null;
  }

  /** Chunk `id`'s starting points `α_{t_0} x1 + σ_{t_0} z`, from the chunk's own seed (the first draws of its `Rng`). */
  private startOf(rng: Rng): Tensor {
    const x1 = this.dataset.sample(this.chunkSize, rng);
    const z = rng.normalTensor([this.chunkSize, ...this.sampleShape]);
    try {
      return tf.tidy(() => this.startPoint(x1, z));
    } finally {
      tf.dispose([x1, z]);
    }
  }

  private requestAhead(id: number): void {
    const start = this.startOf(new Rng(chunkSeed(this.seed, id)));
    const values = start.dataSync() as Float32Array;
    start.dispose();
    this.ahead = { id, start: values };
    this.solver!.request(id, values);
  }

  /** The chunk solved ahead, when it is `id`: `[chunkSize · G, ...dims]`, laid out as {@link RolloutCache.generate}'s. */
  private takeAhead(id: number): Tensor | undefined {
    if (!this.solver || this.ahead?.id !== id) return undefined;
    const { start } = this.ahead;
    this.ahead = null;
    const solved = this.solver.take(id);
    if (!solved) return undefined;
    const shape = [this.chunkSize, ...this.sampleShape];
    const per = start.length;
    return tf.tidy(() => {
      const states = [tf.tensor(start, shape)];
      for (let i = 0; i + 1 < this.grid.length; i++) states.push(tf.tensor(solved.subarray(i * per, (i + 1) * per), shape));
      return tf.reshape(tf.stack(states, 1), [this.chunkSize * this.grid.length, ...this.sampleShape]);
    });
  }

  /** One chunk: `chunkSize` trajectories from the chunk's own seed, every grid point, `[chunkSize · G, ...dims]`. */
  private generate(id: number): Tensor {
    const rng = new Rng(chunkSeed(this.seed, id));
    const states: Tensor[] = [];
    try {
      states.push(this.startOf(rng));
      for (let i = 0; i + 1 < this.grid.length; i++) states.push(this.solveInterval(states[i]!, i));
      return tf.tidy(() => tf.reshape(tf.stack(states, 1), [this.chunkSize * this.grid.length, ...this.sampleShape]));
    } finally {
      tf.dispose(states);
    }
  }

  /** All live chunks as one tensor (rebuilt only when the live set changed). */
  private table(): Tensor {
    const ids = this.liveChunks;
    if (!this.all || ids.join(',') !== this.allIds.join(',')) {
      this.all?.dispose();
      this.all = ids.length === 1 ? tf.clone(this.chunks.get(ids[0]!)!) : tf.concat(ids.map((id) => this.chunks.get(id)!), 0);
      this.allIds = ids;
    }
    return this.all;
  }

  /**
   * `size` pairs from grid index `start` to `start + n`, each on a trajectory drawn uniformly (with replacement) from
   * the live cache with `rng`: `xt` at `grid[start]`, `target` the same trajectory at `grid[start + n]`, both
   * `[size, ...dims]` (the caller owns them). Call {@link RolloutCache.advance} first.
   */
  pairs(start: number, n: number, size: number, rng: Rng): { xt: Tensor; target: Tensor } {
    const G = this.grid.length;
    assertNumber('start', start, { integer: true, min: 0 });
    assertNumber('n', n, { integer: true, min: 1, max: G - 1 - start });
    assertNumber('size', size, { integer: true, min: 1 });
    if (this.chunks.size === 0) throw new ValueRangeError('the rollout cache is empty: call advance(step) before pairs()', 'rolloutCache');
    const table = this.table();
    const rows = table.shape[0]! / G;
    const from = new Int32Array(size);
    const to = new Int32Array(size);
    for (let k = 0; k < size; k++) {
      const m = rng.int(rows);
      from[k] = m * G + start;
      to[k] = m * G + start + n;
    }
    return tf.tidy(() => ({ xt: tf.gather(table, tf.tensor1d(from, 'int32')), target: tf.gather(table, tf.tensor1d(to, 'int32')) }));
  }

  /** Trajectory `m` of the live table at every grid point, `[G, ...dims]` (for checks). */
  trajectory(m: number): Tensor {
    const G = this.grid.length;
    const table = this.table();
    assertNumber('m', m, { integer: true, min: 0, max: table.shape[0]! / G - 1 });
    return tf.slice(table, [m * G, ...this.sampleShape.map(() => 0)], [G, ...this.sampleShape]);
  }

  /** Frees every chunk. */
  dispose(): void {
    this.ahead = null;
    for (const t of this.chunks.values()) t.dispose();
    this.chunks.clear();
    this.all?.dispose();
    this.all = null;
    this.allIds = [];
  }
}
