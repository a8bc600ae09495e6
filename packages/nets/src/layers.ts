// Tensor building blocks of the U-Net and DiT. Every function here is a
// pure composition of ops that have kernels and gradients on the wasm
// backend (conv2d stride 1 'same', 2-D / batched 3-D matMul, reshape,
// transpose, mean, add/mul/sub, rsqrt, tanh, softmax, split, concat), keeps
// tensors at rank <= 4 and never reads data back to JS.
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL } from '@charlearn/core';
import { activate } from './activations';

const NORM_EPS = 1e-6;

/**
 * One Linear layer on the last axis: `x [..., in]`, `w [in, out]`,
 * `b [out]` (optional) → `[..., out]`. A rank > 2 input is flattened to
 * `[rows, in]` for one plain 2-D matMul (untransposed operands).
 *
 * @example
 * ```ts
 * const y = linear(tokens, w, b); // [b, n, in] → [b, n, out]
 * ```
 */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const inDim = x.shape[x.rank - 1]!;
  const outDim = w.shape[1]!;
  const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inDim]);
  let y = tf.matMul(flat, w);
  if (b) y = tf.add(y, b);
  return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
}

/**
 * 3x3 (or any odd k x k) convolution, stride 1, padding 'same', NHWC:
 * `x [b, h, w, cin]`, `w [k, k, cin, cout]`, `b [cout]` → `[b, h, w, cout]`.
 *
 * @example
 * ```ts
 * const y = conv2dSame(x, w, b); // [8, 28, 28, 1] with w [3, 3, 1, 32] → [8, 28, 28, 32]
 * ```
 */
export function conv2dSame(x: Tensor4D, w: Tensor, b: Tensor): Tensor4D {
  return tf.add(tf.conv2d(x, w as tf.Tensor4D, 1, 'same'), b) as Tensor4D;
}

/** Whether the current backend registers both group-norm kernels. */
function hasFusedGroupNorm(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(GROUP_NORM_KERNEL, backend) !== undefined && tf.getKernel(GROUP_NORM_GRAD_KERNEL, backend) !== undefined;
}

/** {@link groupNorm} through the backend's fused kernels (forward saves `xhat`, `rstd`, `gamma` for the backward). */
function fusedGroupNorm(groups: number): (x: Tensor, gamma: Tensor, beta: Tensor) => Tensor {
  return tf.customGrad(((x: Tensor, gamma: Tensor, beta: Tensor, save: tf.GradSaveFunc) => {
    const [y, xhat, rstd] = tf.engine().runKernel(GROUP_NORM_KERNEL, { x, gamma, beta }, { groups, epsilon: NORM_EPS }) as [Tensor, Tensor, Tensor];
    save([xhat, rstd, gamma]);
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xh, r, gm] = saved as [Tensor, Tensor, Tensor];
        return tf.engine().runKernel(GROUP_NORM_GRAD_KERNEL, { dy, xhat: xh, rstd: r, gamma: gm }, { groups }) as Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: Tensor, gamma: Tensor, beta: Tensor) => Tensor;
}

/**
 * Group normalisation with a per-channel affine map: `x [b, h, w, c]`
 * normalised over (h, w, c/groups) per group, then `·gamma + beta`
 * (`gamma`, `beta`: `[c]`); eps 1e-6. Requires `c % groups == 0`.
 *
 * Its gradient is the closed form (`tf.customGrad`), not the autodiff of the
 * ops above: with `x̂` the normalised input, `r = 1/√(var + eps)` and
 * `g = dy·gamma`, `dx = r·(g − mean(g) − x̂·mean(g·x̂))` (means per sample
 * and group), `dgamma = Σ dy·x̂`, `dbeta = Σ dy`: 8 ops instead of the ~20
 * broadcasts and reductions autodiff records (the U-Net's GroupNorms were
 * about a third of its training step on wasm). When the backend registers
 * `GROUP_NORM_KERNEL` and `GROUP_NORM_GRAD_KERNEL` of `@charlearn/core` (the
 * wasm plugin does), forward and backward are one kernel each (the same
 * formulas, float64 sums; agrees with the ops to float32 rounding).
 *
 * @example
 * ```ts
 * const y = groupNorm(x, gamma, beta, 8); // [b, 14, 14, 64] → same shape
 * ```
 */
export function groupNorm(x: Tensor4D, gamma: Tensor, beta: Tensor, groups: number): Tensor4D {
  if (x.dtype === 'float32' && hasFusedGroupNorm()) return fusedGroupNorm(groups)(x, gamma, beta) as Tensor4D;
  const [b, h, w, c] = x.shape;
  const grouped = [b, h * w, groups, c / groups];
  const norm = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, gammaIn, betaIn, save] = args as [Tensor, Tensor, Tensor, tf.GradSaveFunc];
    const g = tf.reshape(xIn, grouped);
    const xc = tf.sub(g, tf.mean(g, [1, 3], true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), [1, 3], true), NORM_EPS));
    const xhat = tf.mul(xc, rstd);
    save([xhat, rstd, gammaIn]);
    return {
      value: tf.add(tf.mul(tf.reshape(xhat, [b, h, w, c]), gammaIn), betaIn),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xh, r, gm] = saved as [Tensor, Tensor, Tensor];
        const dyGrouped = tf.reshape(dy, grouped);
        const dxhat = tf.mul(dyGrouped, tf.reshape(gm, [groups, c / groups]));
        const dx = tf.mul(tf.sub(tf.sub(dxhat, tf.mean(dxhat, [1, 3], true)), tf.mul(xh, tf.mean(tf.mul(dxhat, xh), [1, 3], true))), r);
        const flat = [b * h * w, c];
        const dGamma = tf.sum(tf.mul(tf.reshape(dy, flat), tf.reshape(xh, flat)), 0);
        const dBeta = tf.sum(tf.reshape(dy, flat), 0);
        return [tf.reshape(dx, [b, h, w, c]), tf.reshape(dGamma, gm.shape), tf.reshape(dBeta, gm.shape)];
      },
    };
  });
  return norm(x, gamma, beta) as Tensor4D;
}

/**
 * Layer normalisation over the last axis without an affine map (DiT's
 * adaLN supplies shift and scale): `x [..., d]` → same shape; eps 1e-6.
 *
 * @example
 * ```ts
 * const y = layerNormNoAffine(tokens); // [b, n, d], zero mean, unit variance per token
 * ```
 */
export function layerNormNoAffine(x: Tensor): Tensor {
  const axis = x.rank - 1;
  const mu = tf.mean(x, axis, true);
  const xc = tf.sub(x, mu);
  const variance = tf.mean(tf.square(xc), axis, true);
  return tf.mul(xc, tf.rsqrt(tf.add(variance, NORM_EPS)));
}

/**
 * 2x2 average pooling written as reshapes and two means over a middle
 * axis of a rank-3 view (no `avgPool`, rank <= 3): `x [b, h, w, c]` with
 * even h, w → `[b, h/2, w/2, c]`.
 *
 * @example
 * ```ts
 * const y = downsample2x(x); // [8, 28, 28, 32] → [8, 14, 14, 32]
 * ```
 */
export function downsample2x(x: Tensor4D): Tensor4D {
  const [b, h, w, c] = x.shape;
  const rows = tf.mean(tf.reshape(x, [b * (h / 2), 2, w * c]), 1);
  const cols = tf.mean(tf.reshape(rows, [b * (h / 2) * (w / 2), 2, c]), 1);
  return tf.reshape(cols, [b, h / 2, w / 2, c]);
}

/**
 * Nearest-neighbour 2x upsampling as reshapes and broadcasting multiplies
 * with ones (no `resizeNearestNeighbor`; the gradient is a sum over the
 * broadcast axis): `x [b, h, w, c]` → `[b, 2h, 2w, c]`.
 *
 * @example
 * ```ts
 * const y = upsample2x(x); // [8, 7, 7, 64] → [8, 14, 14, 64]
 * ```
 */
export function upsample2x(x: Tensor4D): Tensor4D {
  const [b, h, w, c] = x.shape;
  const ones = tf.ones([1, 2, 1]);
  const cols = tf.mul(tf.reshape(x, [b * h * w, 1, c]), ones); // [bhw, 2, c]
  const rows = tf.mul(tf.reshape(cols, [b * h, 1, w * 2 * c]), ones); // [bh, 2, 2wc]
  return tf.reshape(rows, [b, 2 * h, 2 * w, c]);
}

/**
 * Multi-head scaled dot-product self-attention from a fused projection:
 * `qkv [b·n, 3c]` (columns `[q | k | v]`, each `[heads, d]` head-major,
 * `d = c/heads`) → `[b·n, c]`, `softmax(q kᵀ/√d) v` per head.
 *
 * One rank-4 transpose brings the projection to `[3·heads, b, n, d]`, so
 * that q, k, v are contiguous blocks (a split on the leading axis copies
 * three blocks instead of gathering strided columns); attention batches
 * over `heads·b`; two batched rank-3
 * matMuls with an explicit transpose of `k` (faster than the `transposeB`
 * flag on wasm); one rank-4 transpose back.
 *
 * @example
 * ```ts
 * const o = selfAttention(linear(h, wQkv, bQkv), batch, 49, 4); // [b·49, 3c] → [b·49, c]
 * ```
 */
export function selfAttention(qkv: Tensor, batch: number, tokens: number, heads: number): Tensor {
  const c = qkv.shape[1]! / 3;
  const d = c / heads;
  const hb = heads * batch;
  const blocks = tf.reshape(tf.transpose(tf.reshape(qkv, [batch, tokens, 3 * heads, d]), [2, 0, 1, 3]), [3, hb * tokens * d]);
  const [q, k, v] = tf.split(blocks, 3, 0).map((p) => tf.reshape(p, [hb, tokens, d])) as [Tensor, Tensor, Tensor];
  const scores = tf.matMul(tf.mul(q, 1 / Math.sqrt(d)), tf.transpose(k, [0, 2, 1])); // [h·b, n, n]
  const out = tf.matMul(tf.softmax(scores), v); // [h·b, n, d]
  if (heads === 1) return tf.reshape(out, [batch * tokens, c]);
  return tf.reshape(tf.transpose(tf.reshape(out, [heads, batch, tokens, d]), [1, 2, 0, 3]), [batch * tokens, c]);
}

const GELU_K = Math.sqrt(2 / Math.PI);

/**
 * GELU, tanh approximation (as in DiT):
 * `½x(1 + tanh(u))` with `u = √(2/π)(x + 0.044715x³)`, computed as the
 * identical `x·σ(2u)`: wasm's sigmoid is vectorised, its tanh is scalar
 * (measured several times slower on a DiT MLP).
 *
 * @example
 * ```ts
 * geluTanh(tf.tensor1d([-1, 0, 1])); // [-0.159, 0, 0.841]
 * ```
 */
export function geluTanh(x: Tensor): Tensor {
  const u2 = tf.mul(tf.add(x, tf.mul(0.044715, tf.mul(x, tf.square(x)))), 2 * GELU_K);
  return tf.mul(x, tf.sigmoid(u2));
}

/** SiLU with the package's hand-written gradient (see `activate`). */
export function silu(x: Tensor): Tensor {
  return activate(x, 'silu');
}

/**
 * Inverted dropout with a caller-drawn seed: keeps each entry with
 * probability `1 − rate` and scales kept entries by `1/(1 − rate)`, so the
 * expectation is unchanged. The mask comes from `tf.randomUniform(…, seed)`
 * and is a constant for the gradient (the gradient is `dy·mask`).
 * `rate = 0` returns `x` itself.
 *
 * @example
 * ```ts
 * const y = dropout(h, 0.1, rng.nextUint32()); // same shape as h
 * ```
 */
export function dropout(x: Tensor, rate: number, seed: number): Tensor {
  if (rate <= 0) return x;
  const u = tf.randomUniform(x.shape, 0, 1, 'float32', seed);
  const mask = tf.mul(tf.floor(tf.add(u, 1 - rate)), 1 / (1 - rate));
  return tf.mul(x, mask);
}

/**
 * Fixed 2-D sin-cos position embedding of a `gh x gw` token grid (as in
 * MAE / DiT): the first `d/2` features embed the row index, the last `d/2`
 * the column index, each as `[sin(pos·ω_k), cos(pos·ω_k)]` with
 * `ω_k = 10000^(−k/(d/4))`. Returns `[gh·gw, d]` row-major (`d % 4 == 0`).
 *
 * @example
 * ```ts
 * const pos = sinCosPositions2d(7, 7, 128); // Float32Array(49 * 128)
 * ```
 */
export function sinCosPositions2d(gh: number, gw: number, d: number): Float32Array {
  const quarter = d / 4;
  const out = new Float32Array(gh * gw * d);
  for (let i = 0; i < gh; i++) {
    for (let j = 0; j < gw; j++) {
      const row = (i * gw + j) * d;
      for (let k = 0; k < quarter; k++) {
        const omega = Math.pow(10000, -k / quarter);
        out[row + k] = Math.sin(i * omega);
        out[row + quarter + k] = Math.cos(i * omega);
        out[row + 2 * quarter + k] = Math.sin(j * omega);
        out[row + 3 * quarter + k] = Math.cos(j * omega);
      }
    }
  }
  return out;
}
