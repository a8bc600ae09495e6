import * as tf from '@tensorflow/tfjs-core';
import type { GradSaveFunc, Tensor } from '@tensorflow/tfjs-core';
import { BIAS_SILU_KERNEL, DENSE_SILU_KERNEL, SILU_BIAS_GRAD_KERNEL, type SiluKernelAttrs } from '@charlearn/core';
import { activate, type Activation } from './activations';

/**
 * One Linear layer `h W + b`: `h [batch, in]`, `W [in, out]`, `b [out]` →
 * `[batch, out]`, untransposed operands. `tf.fused.matMul` (bias fused) was
 * measured against this on wasm: its gradient exists and is correct (linear
 * and relu only; under a gradient tape tfjs un-fuses every other
 * activation), but its 3-D reshapes and custom-gradient bookkeeping made a
 * training step ~1 ms slower and the forward only ~0.1 ms faster, so the
 * plain product + add is used.
 *
 * @example
 * ```ts
 * const y = dense(tf.ones([8, 3]), tf.ones([3, 4]), tf.zeros([4])); // [8, 4], every entry 3
 * ```
 */
export function dense(h: Tensor, w: Tensor, b: Tensor): Tensor {
  return tf.add(tf.matMul(h, w), b);
}

/**
 * `SiLU(h W + b)` through the backend's {@link DENSE_SILU_KERNEL} (forward) and {@link SILU_BIAS_GRAD_KERNEL}
 * (backward's elementwise part and bias gradient); the two products of the backward are `tf.matMul`s.
 */
const fusedDenseSilu = tf.customGrad(((h: Tensor, w: Tensor, b: Tensor, save: GradSaveFunc) => {
  const [y, s] = tf.engine().runKernel(DENSE_SILU_KERNEL, { x: h, w, b }) as [Tensor, Tensor];
  save([h, w, y, s]);
  return {
    value: y,
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [hs, ws, ys, ss] = saved as [Tensor, Tensor, Tensor, Tensor];
      const [dz, db] = tf.engine().runKernel(SILU_BIAS_GRAD_KERNEL, { dy, y: ys, s: ss }) as [Tensor, Tensor];
      return [tf.matMul(dz, ws, false, true), tf.matMul(hs, dz, true, false), db];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (h: Tensor, w: Tensor, b: Tensor) => Tensor;

/**
 * `SiLU(z + b)` through the backend's {@link BIAS_SILU_KERNEL} (forward) and {@link SILU_BIAS_GRAD_KERNEL} (backward:
 * `dz` is the gradient of `z`, `db` of `b`).
 */
const fusedBiasSilu = tf.customGrad(((z: Tensor, b: Tensor, save: GradSaveFunc) => {
  const [y, s] = tf.engine().runKernel(BIAS_SILU_KERNEL, { z, b }) as [Tensor, Tensor];
  save([y, s]);
  return {
    value: y,
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [ys, ss] = saved as [Tensor, Tensor];
      return tf.engine().runKernel(SILU_BIAS_GRAD_KERNEL, { dy, y: ys, s: ss }) as [Tensor, Tensor];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (z: Tensor, b: Tensor) => Tensor;

/**
 * Whether a gradient may be taken of what runs now: inside `tf.grad`/`tf.variableGrads` (the engine's gradient
 * depth). Outside, the fused layers ask their kernel for `y` alone (`{ sigmoid: false }`): no backward reads `s`.
 */
function recordingGradients(): boolean {
  return tf.engine().state.gradientDepth > 0;
}

/** `SiLU(h W + b)` by {@link DENSE_SILU_KERNEL} without `s` (no gradient: see {@link recordingGradients}). */
function inferenceDenseSilu(h: Tensor, w: Tensor, b: Tensor): Tensor {
  const attrs: SiluKernelAttrs = { sigmoid: false };
  return (tf.engine().runKernel(DENSE_SILU_KERNEL, { x: h, w, b }, { ...attrs }) as Tensor[])[0]!;
}

/** `SiLU(z + b)` by {@link BIAS_SILU_KERNEL} without `s` (no gradient: see {@link recordingGradients}). */
function inferenceBiasSilu(z: Tensor, b: Tensor): Tensor {
  const attrs: SiluKernelAttrs = { sigmoid: false };
  return (tf.engine().runKernel(BIAS_SILU_KERNEL, { z, b }, { ...attrs }) as Tensor[])[0]!;
}

/** Whether the current backend registers the fused kernel `kernel` and {@link SILU_BIAS_GRAD_KERNEL}. */
function hasFusedSilu(kernel: string): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(kernel, backend) !== undefined && tf.getKernel(SILU_BIAS_GRAD_KERNEL, backend) !== undefined;
}

/**
 * A Linear layer followed by an activation, `act(h W + b)` (shapes as {@link dense}). For SiLU on a float32 rank-2
 * input, when the backend registers {@link DENSE_SILU_KERNEL} and {@link SILU_BIAS_GRAD_KERNEL} (the wasm plugin
 * does), the layer is one fused kernel forward (outside a gradient, one that does not write the sigmoid the backward
 * would read) and one fused pass plus two products backward; otherwise it is
 * `activate(dense(h, W, b), act)`. Both agree to float32 rounding (first-order gradients only, as `activate`).
 *
 * @example
 * ```ts
 * const y = denseActivated(tf.ones([8, 3]), tf.ones([3, 4]), tf.zeros([4]), 'silu'); // SiLU(3) ≈ 2.858 everywhere
 * ```
 */
export function denseActivated(h: Tensor, w: Tensor, b: Tensor, activation: Activation): Tensor {
  if (activation === 'silu' && h.rank === 2 && h.dtype === 'float32' && hasFusedSilu(DENSE_SILU_KERNEL)) return recordingGradients() ? fusedDenseSilu(h, w, b) : inferenceDenseSilu(h, w, b);
  return activate(dense(h, w, b), activation);
}

/**
 * The activation of a pre-activation plus a bias, `act(z + b)`: `z [batch, out]`, `b [out]` → `[batch, out]` (the
 * first layer of an MLP with per-row time features, whose `z` is a product plus those features). For SiLU on a
 * float32 rank-2 `z`, when the backend registers {@link BIAS_SILU_KERNEL} and {@link SILU_BIAS_GRAD_KERNEL}, one
 * fused kernel forward and one fused pass backward; otherwise `activate(z + b, act)`. Both agree to float32
 * rounding (first-order gradients only).
 *
 * @example
 * ```ts
 * const y = biasActivated(tf.fill([8, 4], 2), tf.ones([4]), 'silu'); // SiLU(3) ≈ 2.858 everywhere
 * ```
 */
export function biasActivated(z: Tensor, b: Tensor, activation: Activation): Tensor {
  if (activation === 'silu' && z.rank === 2 && z.dtype === 'float32' && b.rank === 1 && hasFusedSilu(BIAS_SILU_KERNEL)) return recordingGradients() ? fusedBiasSilu(z, b) : inferenceBiasSilu(z, b);
  return activate(tf.add(z, b), activation);
}
