import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { assertNumber, assertTensor, ShapeError } from '@charlearn/core';
import { flattenBatch, mapRowChunks, maskSelfPairs, softmaxMean, squaredDistances } from './pairwise';

/**
 * A kernel as the log-weights it gives a row chunk: `logWeights(C)` maps squared distances `C: [rows, m]` to
 * `log k` up to a per-row constant (the softmax removes it).
 */
export type KernelLogWeights = (squaredDistances: Tensor2D) => Tensor2D;

/**
 * The Laplace kernel `k = exp(−‖x − y‖/τ)` as log-weights.
 *
 * @example
 * ```ts
 * const k = laplaceKernel(0.1);
 * ```
 */
export function laplaceKernel(temperature: number): KernelLogWeights {
  assertNumber('temperature', temperature, { greaterThan: 0 });
  return (c) => tf.div(tf.neg(tf.sqrt(c)), temperature) as Tensor2D;
}

/**
 * The Gaussian kernel `k = exp(−‖x − y‖²/(2h²))` as log-weights.
 *
 * @example
 * ```ts
 * const k = gaussianKernel(0.3);
 * ```
 */
export function gaussianKernel(bandwidth: number): KernelLogWeights {
  assertNumber('bandwidth', bandwidth, { greaterThan: 0 });
  return (c) => tf.mul(c, -0.5 / (bandwidth * bandwidth)) as Tensor2D;
}

/**
 * The kernel mean shift `Σ_j k(x_i, y_j)(y_j − x_i) / Σ_j k(x_i, y_j)` for every row of `x: [n, D]` towards
 * `y: [m, D]`, in row chunks with softmax weights (log space). With `selfPairs: 'masked'`, `y` must be `x` itself
 * (the same rows) and the `j = i` terms are left out. Returns `[n, D]`.
 *
 * @example
 * ```ts
 * const push = meanShift(x, data, laplaceKernel(0.1));
 * const pull = meanShift(x, x, laplaceKernel(0.1), 'masked');
 * ```
 */
export function meanShift(x: Tensor2D, y: Tensor2D, kernel: KernelLogWeights, selfPairs: 'kept' | 'masked' = 'kept'): Tensor2D {
  if (selfPairs === 'masked' && x.shape[0] !== y.shape[0]) {
    throw new ShapeError(`masking self-pairs needs y to be x itself, got ${y.shape[0]} rows for ${x.shape[0]}`, 'y');
  }
  return mapRowChunks(x, y.shape[0]!, (chunk, start) => {
    const logits = kernel(squaredDistances(chunk, y));
    return tf.sub(softmaxMean(selfPairs === 'masked' ? maskSelfPairs(logits, start) : logits, y), chunk) as Tensor2D;
  });
}

/** Where the drift is evaluated and against what. */
export interface DriftInputs {
  /** Query points `[n, ...dims]`: in training, the generated batch. */
  x: Tensor;
  /** Positives (data) `[m⁺, ...dims]`. */
  positives: Tensor;
  /**
   * Negatives (model samples) `[m⁻, ...dims]`; omitted: the queries themselves, with each query's own term left out
   * (the self-pairs masked), which is how training uses it.
   */
  negatives?: Tensor;
}

function validateDriftInputs(inputs: DriftInputs): void {
  assertTensor('x', inputs.x, [null, '...']);
  const dims = inputs.x.shape.slice(1);
  for (const key of ['positives', 'negatives'] as const) {
    const t = inputs[key];
    if (t === undefined) continue;
    assertTensor(key, t, [null, ...dims]);
    if (t.shape[0] === 0) throw new ShapeError(`${key} must hold at least one point`, key);
  }
  if (!inputs.negatives && inputs.x.shape[0]! < 2) throw new ShapeError('x needs at least 2 points when they are their own negatives', 'x');
}

/** `V⁺ − V⁻` for one kernel, `[n, D]`. */
function attractionMinusRepulsion(inputs: DriftInputs, kernel: KernelLogWeights): Tensor2D {
  return tf.tidy(() => {
    const x = flattenBatch(inputs.x);
    const pos = meanShift(x, flattenBatch(inputs.positives), kernel);
    const neg = inputs.negatives ? meanShift(x, flattenBatch(inputs.negatives), kernel) : meanShift(x, x, kernel, 'masked');
    return tf.sub(pos, neg) as Tensor2D;
  });
}

/**
 * Default temperatures of the Laplace drift, as fractions of the data's RMS pairwise distance (method.md's 0.02,
 * 0.05, 0.2 "on normalised features").
 */
export const DEFAULT_DRIFT_TEMPERATURES: readonly number[] = [0.02, 0.05, 0.2];

/** Options of {@link laplaceDrift}. */
export interface LaplaceDriftOptions {
  /** Temperatures τ as fractions of `scale` (default {@link DEFAULT_DRIFT_TEMPERATURES}). */
  temperatures?: readonly number[];
  /**
   * Length unit of the temperatures: the effective τ is `temperature·scale`. Default `√(2D)·σ_data` with σ_data = 1,
   * the RMS distance between two independent points of data normalised to unit std per coordinate (2 in 2-D), so
   * that "τ on normalised features" means the same fraction of the typical distance in any dimension.
   */
  scale?: number;
}

/**
 * The drift of "Generative Modeling via Drifting" with the Laplace kernel: for each temperature,
 * `V_τ = V⁺_τ − V⁻_τ` with `V^±(x) = Σ_j k(x, y_j)(y_j − x)/Σ_j k(x, y_j)`, `k = exp(−‖x − y‖/τ)`; each `V_τ` divided by
 * its RMS over the batch (per coordinate) and the results summed. Softmax weights in log space (no underflow for far
 * points); pairwise work in row chunks. Returns the shape of `x`. Not a gradient field (see
 * {@link conservativeDrift}).
 *
 * @example
 * ```ts
 * const V = laplaceDrift({ x: generated, positives: data });            // negatives: generated, self-pairs masked
 * const V2 = laplaceDrift({ x, positives: data }, { temperatures: [0.05] });
 * ```
 */
export function laplaceDrift(inputs: DriftInputs, options: LaplaceDriftOptions = {}): Tensor {
  validateDriftInputs(inputs);
  const temperatures = options.temperatures ?? DEFAULT_DRIFT_TEMPERATURES;
  if (!Array.isArray(temperatures) || temperatures.length === 0) throw new ShapeError('temperatures must be a non-empty array of numbers > 0', 'temperatures');
  temperatures.forEach((t, i) => assertNumber(`temperatures[${i}]`, t, { greaterThan: 0 }));
  const d = inputs.x.size / inputs.x.shape[0]!;
  const scale = options.scale ?? Math.sqrt(2 * d);
  assertNumber('scale', scale, { greaterThan: 0 });
  const kernels = temperatures.map((t) => laplaceKernel(t * scale));
  return tf.tidy(() => {
    const forces = kernels.map((k) => {
      const v = attractionMinusRepulsion(inputs, k);
      const rms = tf.sqrt(tf.mean(tf.square(v)));
      return tf.div(v, tf.maximum(rms, 1e-12));
    });
    return tf.reshape(tf.addN(forces), inputs.x.shape);
  });
}

/**
 * The conservative (KDE-gradient) drift: `V = h²·(∇log KDE_p(x) − ∇log KDE_q(x))` with the Gaussian kernel of
 * bandwidth `h`, which equals the difference of the two Gaussian mean shifts. With the negatives omitted, each
 * query's own point is left out of the model KDE. A gradient field of `x` (for fixed point sets); computed with
 * log-space softmax weights, so points 10³ away from every sample get a finite drift (towards the nearest ones)
 * instead of 0/0. Returns the shape of `x`.
 *
 * @example
 * ```ts
 * const h = medianBandwidth(tf.concat([generated, data]));
 * const V = conservativeDrift({ x: generated, positives: data }, h);
 * ```
 */
export function conservativeDrift(inputs: DriftInputs, bandwidth: number): Tensor {
  validateDriftInputs(inputs);
  const kernel = gaussianKernel(bandwidth);
  return tf.tidy(() => tf.reshape(attractionMinusRepulsion(inputs, kernel), inputs.x.shape));
}

/**
 * The median heuristic for a Gaussian bandwidth, SVGD's form: `h = median‖x_i − x_j‖ / √(2·ln(n + 1))`
 * (i.e. `2h² = median²/ln(n + 1)`, so a point's own kernel mass is comparable to the sum over the others), over
 * the distinct pairs of the first `maxPoints` rows of `points: [n, ...dims]` (default 256; the median of a
 * subsample is a good estimate and keeps this O(1) in the batch). Reads the points back to JS.
 *
 * @example
 * ```ts
 * const h = medianBandwidth(tf.concat([generated, data], 0)); // ≈ 0.5 for 1024 points of normalised 2-D data
 * ```
 */
export function medianBandwidth(points: Tensor, maxPoints = 256): number {
  assertTensor('points', points, [null, '...']);
  assertNumber('maxPoints', maxPoints, { integer: true, min: 2 });
  const n = Math.min(points.shape[0]!, maxPoints);
  if (n < 2) throw new ShapeError('points needs at least 2 rows for the median heuristic', 'points');
  const d = points.size / points.shape[0]!;
  const head = tf.tidy(() => tf.slice(flattenBatch(points), 0, n));
  const values = head.dataSync();
  head.dispose();
  const dist: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (values[i * d + k]! - values[j * d + k]!) ** 2;
      dist.push(Math.sqrt(s));
    }
  }
  dist.sort((a, b) => a - b);
  const median = dist[Math.floor(dist.length / 2)]!;
  return Math.max(median, 1e-12) / Math.sqrt(2 * Math.log(points.shape[0]! + 1));
}
