import * as tf from '@tensorflow/tfjs-core';
import type { GradSaveFunc, Tensor } from '@tensorflow/tfjs-core';
import { SILU_GRAD_KERNEL } from '@charlearn/core';

/** The activation functions a network can use. */
export type Activation = 'silu' | 'relu' | 'tanh' | 'gelu';

/** Every {@link Activation}, for validation and docs. */
export const ACTIVATIONS: readonly Activation[] = ['silu', 'relu', 'tanh', 'gelu'];

const SQRT1_2 = Math.SQRT1_2;

/**
 * `silu(x) = x·σ(x)` with a hand-written gradient
 * `dy·σ(x)·(1 + x·(1 − σ(x)))` from the saved `x` and `σ(x)`: one kernel
 * fewer per layer than the autodiff of `mul(x, sigmoid(x))`, ~4% of an MLP
 * training step on wasm (measured; see the README), and one kernel
 * ({@link SILU_GRAD_KERNEL}, same float32 operations in the same order) where
 * the backend registers it for float32. First order only.
 */
const siluWithGrad = tf.customGrad(((x: Tensor, save: GradSaveFunc) => {
  const s = tf.sigmoid(x);
  save([x, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [xs, ss] = saved as [Tensor, Tensor];
      if (dy.dtype === 'float32' && xs.dtype === 'float32' && tf.getKernel(SILU_GRAD_KERNEL, tf.getBackend()) !== undefined) {
        return tf.engine().runKernel(SILU_GRAD_KERNEL, { dy, x: xs, s: ss }) as Tensor;
      }
      return tf.mul(dy, tf.mul(ss, tf.add(1, tf.mul(xs, tf.sub(1, ss)))));
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: Tensor) => Tensor;

/**
 * Applies an activation element-wise (differentiable with tfjs-core's
 * registered gradients): `silu(x) = x·σ(x)`, `relu`, `tanh`, and exact
 * `gelu(x) = x·Φ(x) = ½x(1 + erf(x/√2))`.
 *
 * @example
 * ```ts
 * const h = activate(tf.tensor1d([-1, 0, 1]), 'silu'); // [-0.269, 0, 0.731]
 * ```
 */
export function activate(x: Tensor, activation: Activation): Tensor {
  switch (activation) {
    case 'silu':
      return siluWithGrad(x);
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'gelu':
      return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, SQRT1_2)))));
  }
}

/** The MLP activation of a DiT block: GELU (tanh approximation, as in DiT) or SiLU. */
export type DitActivation = 'gelu-tanh' | 'silu';

/** Every {@link DitActivation}. */
export const DIT_ACTIVATIONS: readonly DitActivation[] = ['gelu-tanh', 'silu'];
