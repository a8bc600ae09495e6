import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { assertNumber, assertTensor, ShapeError } from '@charlearn/core';
import { flattenBatch, mapRowChunks, PAIRWISE_CHUNK_ELEMENTS, softmaxMean, squaredDistances } from './pairwise';

/** Options of {@link entropicOt}. */
export interface EntropicOtOptions {
  /** Entropic regularisation ε in units of the cost (squared distance); default 0.05 (a blur √ε ≈ 0.22 on normalised data). */
  epsilon?: number;
  /** Stop once the plan's L1 marginal error (total mass 1) is below this (default 1e-3). */
  tol?: number;
  /** Most iterations (one f- and one g-update each; default 500). */
  maxIter?: number;
}

/**
 * Dual potentials of an entropic OT problem between `x: [n, D]` and `y: [m, D]` (uniform weights, squared Euclidean
 * cost): the plan is `π_ij = exp((f_i + g_j − C_ij)/ε)/(n·m)`; its column sums are exact (g was updated last) and its
 * row sums are off by `marginalError` in L1. Owns `f` and `g`: call {@link EntropicOtResult.dispose}.
 */
export interface EntropicOtResult {
  /** `[n]`. */
  readonly f: Tensor1D;
  /** `[m]`. */
  readonly g: Tensor1D;
  readonly epsilon: number;
  /** Iterations run. */
  readonly iterations: number;
  /** `‖π1 − 1/n‖₁ + ‖πᵀ1 − 1/m‖₁` (the second term is 0). */
  readonly marginalError: number;
  /** Whether the marginal error fell below `tol` within `maxIter`. */
  readonly converged: boolean;
  dispose(): void;
}

/** `out_i = −ε·log Σ_j exp(log(1/m) + (pot_j − ‖p_i − q_j‖²)/ε)` for every row of `p`, in row chunks. */
function softMin(p: Tensor2D, q: Tensor2D, pot: Tensor1D, eps: number): Tensor1D {
  const logW = -Math.log(q.shape[0]!);
  const potRow = tf.reshape(pot, [1, -1]);
  try {
    return mapRowChunks(p, q.shape[0]!, (chunk) =>
      tf.mul(tf.add(tf.logSumExp(tf.div(tf.sub(potRow, squaredDistances(chunk, q)), eps), 1), logW), -eps) as Tensor1D,
    );
  } finally {
    potRow.dispose();
  }
}

/** A soft-min of fixed point sets, `pot ↦ softMin(p, q, pot, ε)`, that owns what it caches. */
interface SoftMinOperator {
  apply(pot: Tensor1D): Tensor1D;
  dispose(): void;
}

/**
 * {@link softMin} for fixed `p: [n, D]`, `q: [m, D]`: when the `[n, m]` cost fits in one chunk
 * ({@link PAIRWISE_CHUNK_ELEMENTS}), `−C/ε` is computed once and each call is one broadcast add and a log-sum-exp
 * (instead of rebuilding the `[n, m, D]` differences every iteration); otherwise the chunked form recomputes the costs.
 */
function softMinOperator(p: Tensor2D, q: Tensor2D, eps: number): SoftMinOperator {
  if (p.shape[0]! * q.shape[0]! > PAIRWISE_CHUNK_ELEMENTS) return { apply: (pot) => softMin(p, q, pot, eps), dispose: () => undefined };
  const negCostOverEps = tf.tidy(() => tf.div(squaredDistances(p, q), -eps));
  const logW = -Math.log(q.shape[0]!);
  return {
    apply: (pot) => tf.tidy(() => tf.mul(tf.add(tf.logSumExp(tf.add(negCostOverEps, tf.reshape(tf.div(pot, eps), [1, -1])), 1), logW), -eps) as Tensor1D),
    dispose: () => negCostOverEps.dispose(),
  };
}

function validatePair(x: Tensor, y: Tensor): void {
  assertTensor('x', x, [null, '...']);
  assertTensor('y', y, [null, ...x.shape.slice(1)]);
  if (x.shape[0] === 0 || y.shape[0] === 0) throw new ShapeError('x and y must each hold at least one point', x.shape[0] === 0 ? 'x' : 'y');
}

/**
 * Entropic optimal transport by log-domain Sinkhorn iterations on tensors (so it runs on the training backend, in
 * row chunks of at most {@link PAIRWISE_CHUNK_ELEMENTS} pair terms: memory O(n + m) beyond one chunk). Each
 * iteration updates `f_i = −ε·LSE_j(log b_j + (g_j − C_ij)/ε)` and the mirror `g`, and stops when the row marginal
 * error of the plan, `Σ_i a_i·|exp((f_i − f_i')/ε) − 1|`, is below `tol`, or at `maxIter`. `x: [n, ...dims]`,
 * `y: [m, ...dims]`. (`@charlearn/metrics`' `sinkhornW2` is the evaluation-side sibling: float64 in JS, ε-scaling,
 * a W2 figure; this one keeps the potentials as tensors for training-time plans.)
 *
 * @example
 * ```ts
 * const ot = entropicOt(x, y, { epsilon: 0.01, tol: 1e-4 });
 * console.log(ot.iterations, ot.marginalError);
 * const cost = transportCost(x, y, ot);
 * ot.dispose();
 * ```
 */
export function entropicOt(x: Tensor, y: Tensor, options: EntropicOtOptions = {}): EntropicOtResult {
  const { epsilon = 0.05, tol = 1e-3, maxIter = 500 } = options;
  validatePair(x, y);
  assertNumber('options.epsilon', epsilon, { greaterThan: 0 });
  assertNumber('options.tol', tol, { greaterThan: 0 });
  assertNumber('options.maxIter', maxIter, { integer: true, min: 1 });
  const X = flattenBatch(x);
  const Y = flattenBatch(y);
  const rowsToCols = softMinOperator(X, Y, epsilon);
  const colsToRows = softMinOperator(Y, X, epsilon);
  let f = tf.zeros([X.shape[0]!]) as Tensor1D;
  let g = colsToRows.apply(f);
  let iterations = 0;
  let marginalError = Infinity;
  try {
    while (iterations < maxIter) {
      iterations++;
      const fNext = rowsToCols.apply(g);
      const err = tf.tidy(() => tf.mean(tf.abs(tf.sub(tf.exp(tf.div(tf.sub(f, fNext), epsilon)), 1))) as Scalar);
      marginalError = err.dataSync()[0]!;
      err.dispose();
      if (marginalError < tol || iterations === maxIter) {
        fNext.dispose();
        break;
      }
      f.dispose();
      f = fNext;
      g.dispose();
      g = colsToRows.apply(f);
    }
  } finally {
    rowsToCols.dispose();
    colsToRows.dispose();
    tf.dispose([X, Y]);
  }
  const ff = f;
  const gg = g;
  return {
    f: ff,
    g: gg,
    epsilon,
    iterations,
    marginalError,
    converged: marginalError < tol,
    dispose: () => tf.dispose([ff, gg]),
  };
}

/** The plan's entries `π_ij` for a row chunk `[rows, m]`, rows starting at `start`. */
function planChunk(chunk: Tensor2D, start: number, Y: Tensor2D, ot: EntropicOtResult, logW: number): { plan: Tensor2D; cost: Tensor2D } {
  const cost = squaredDistances(chunk, Y);
  const f = tf.reshape(tf.slice(ot.f, start, chunk.shape[0]!), [-1, 1]);
  const z = tf.div(tf.sub(tf.add(f, tf.reshape(ot.g, [1, -1])), cost), ot.epsilon);
  return { plan: tf.exp(tf.add(z, logW)) as Tensor2D, cost };
}

/**
 * The transport cost `Σ_ij π_ij ‖x_i − y_j‖²` of an {@link entropicOt} plan (≥ the exact OT cost up to the marginal
 * error; tends to it as ε → 0). Also returns the plan's row and column sums `[n]`, `[m]` as arrays (for checking
 * marginals). Reads back to JS.
 *
 * @example
 * ```ts
 * const { cost, rowSums, colSums } = transportCost(x, y, entropicOt(x, y));
 * ```
 */
export function transportCost(x: Tensor, y: Tensor, ot: EntropicOtResult): { cost: number; rowSums: Float32Array; colSums: Float32Array } {
  validatePair(x, y);
  const logW = -Math.log(x.shape[0]!) - Math.log(y.shape[0]!);
  const packed = tf.tidy(() => {
    const X = flattenBatch(x);
    const Y = flattenBatch(y);
    const rows = mapRowChunks(X, Y.shape[0]!, (chunk, start) => {
      const { plan, cost } = planChunk(chunk, start, Y, ot, logW);
      return tf.concat([tf.sum(tf.mul(plan, cost), 1, true), tf.sum(plan, 1, true), plan], 1) as Tensor2D;
    });
    const cost = tf.sum(tf.slice(rows, [0, 0], [-1, 1]));
    const rowSums = tf.reshape(tf.slice(rows, [0, 1], [-1, 1]), [-1]);
    const colSums = tf.sum(tf.slice(rows, [0, 2], [-1, -1]), 0);
    return [tf.reshape(cost, [1]), rowSums, colSums];
  });
  const [c, r, k] = packed.map((t) => t.dataSync() as Float32Array);
  tf.dispose(packed);
  return { cost: c![0]!, rowSums: r!, colSums: k! };
}

/**
 * The entropic OT value from the dual potentials, `OT_ε = Σ_i a_i f_i + Σ_j b_j g_j` (uniform weights), as a number.
 *
 * @example
 * ```ts
 * const value = entropicOtValue(entropicOt(x, y, { epsilon: 0.05 }));
 * ```
 */
export function entropicOtValue(ot: EntropicOtResult): number {
  const s = tf.tidy(() => tf.add(tf.mean(ot.f), tf.mean(ot.g)));
  const v = s.dataSync()[0]!;
  s.dispose();
  return v;
}

/**
 * The barycentric projection of an entropic plan, `T(x_i) = Σ_j π_ij y_j / Σ_j π_ij`, from the column potential `g`
 * alone (`π_ij/Σ_j π_ij = softmax_j((g_j − C_ij)/ε)`, which is `Σ_j π_ij y_j / a_i` once f is refreshed). Row chunks,
 * log space. `x: [n, ...dims]`, `y: [m, ...dims]` → `[n, ...dims]`.
 *
 * @example
 * ```ts
 * const ot = entropicOt(x, y);
 * const tx = barycentricProjection(x, y, ot);
 * ```
 */
export function barycentricProjection(x: Tensor, y: Tensor, ot: EntropicOtResult): Tensor {
  validatePair(x, y);
  return tf.tidy(() => {
    const X = flattenBatch(x);
    const Y = flattenBatch(y);
    const gRow = tf.reshape(ot.g, [1, -1]);
    const t = mapRowChunks(X, Y.shape[0]!, (chunk) => softmaxMean(tf.div(tf.sub(gRow, squaredDistances(chunk, Y)), ot.epsilon) as Tensor2D, Y));
    return tf.reshape(t, x.shape);
  });
}

/** {@link sinkhornDivergence}'s answer. */
export interface SinkhornDivergenceResult {
  /** `S_ε(x, y) = OT_ε(x, y) − ½OT_ε(x, x) − ½OT_ε(y, y)`. */
  readonly value: number;
  /** Iterations of the three problems (xy, xx, yy). */
  readonly iterations: readonly [number, number, number];
  /** Largest marginal error of the three. */
  readonly marginalError: number;
}

/**
 * The debiased Sinkhorn divergence `S_ε(x, y) = OT_ε(x, y) − ½OT_ε(x, x) − ½OT_ε(y, y)` (≥ 0, and 0 iff the point sets
 * are equal as measures, up to the Sinkhorn tolerance). `x: [n, ...dims]`, `y: [m, ...dims]`.
 *
 * @example
 * ```ts
 * sinkhornDivergence(x, x).value;  // 0
 * sinkhornDivergence(x, y, { epsilon: 0.05 }).value; // > 0
 * ```
 */
export function sinkhornDivergence(x: Tensor, y: Tensor, options: EntropicOtOptions = {}): SinkhornDivergenceResult {
  validatePair(x, y);
  const solve = (a: Tensor, b: Tensor): { value: number; iterations: number; err: number } => {
    const ot = entropicOt(a, b, options);
    try {
      return { value: entropicOtValue(ot), iterations: ot.iterations, err: ot.marginalError };
    } finally {
      ot.dispose();
    }
  };
  const xy = solve(x, y);
  const xx = solve(x, x);
  const yy = solve(y, y);
  return { value: xy.value - 0.5 * xx.value - 0.5 * yy.value, iterations: [xy.iterations, xx.iterations, yy.iterations], marginalError: Math.max(xy.err, xx.err, yy.err) };
}

/** {@link wflowVelocity}'s answer. */
export interface WflowVelocity {
  /** `[n, ...dims]`: `T_{q→p}(x_i) − T_{q→q'}(x_i)`. The caller disposes it. */
  readonly velocity: Tensor;
  /** Sinkhorn iterations of the (q, p) and (q, q') problems. */
  readonly iterations: readonly [number, number];
  /** Larger marginal error of the two plans. */
  readonly marginalError: number;
}

/**
 * The W-Flow particle velocity (Sinkhorn-divergence gradient flow): for generated points `x_i`, the barycentric
 * projection towards the data minus the one towards a second, independent generated batch,
 * `v(x_i) = Σ_j π^{qp}_ij y_j / a_i − Σ_k π^{qq'}_ik x'_k / a_i`. `x: [n, ...dims]`, `data: [m, ...dims]`,
 * `xPrime: [n', ...dims]`. Zero when `data` and `xPrime` are the same point set (both plans are then the same).
 *
 * @example
 * ```ts
 * const { velocity, iterations } = wflowVelocity(generated, data, generated2, { epsilon: 0.05 });
 * ```
 */
export function wflowVelocity(x: Tensor, data: Tensor, xPrime: Tensor, options: EntropicOtOptions = {}): WflowVelocity {
  validatePair(x, data);
  validatePair(x, xPrime);
  const toData = entropicOt(x, data, options);
  const toModel = entropicOt(x, xPrime, options);
  try {
    const velocity = tf.tidy(() => tf.sub(barycentricProjection(x, data, toData), barycentricProjection(x, xPrime, toModel)));
    return { velocity, iterations: [toData.iterations, toModel.iterations], marginalError: Math.max(toData.marginalError, toModel.marginalError) };
  } finally {
    toData.dispose();
    toModel.dispose();
  }
}
