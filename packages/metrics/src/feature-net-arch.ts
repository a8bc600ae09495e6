import * as tf from '@tensorflow/tfjs-core';
import { Rng, assertNumber, type NamedArrays } from '@charlearn/core';

/**
 * The feature CNN's architecture, for 28×28×1 images in [0, 1]:
 *
 * `x·2 − 1` → conv3×3 1→32 'same' → ReLU → 2×2 mean-pool (14×14) →
 * conv3×3 32→64 'same' → ReLU → 2×2 mean-pool (7×7) → conv1×1 64→16 → ReLU →
 * flatten (784) → dense 784→128 → ReLU (**the 128 features**) → dense 128→10 (logits).
 *
 * 121,626 float32 weights (~475 KiB). Built from plain tfjs-core ops that
 * train on the wasm backend through `@charlearn/backend-wasm` (stride-1
 * 'same' conv2d, pooling as `reshape` + `mean`, matMul without transpose flags).
 */
export const FEATURE_NET_ARCH = {
  kind: 'charlearn-feature-cnn',
  version: 1,
  inputShape: [28, 28, 1] as const,
  featureDim: 128,
  numClasses: 10,
} as const;

/** The names of the feature CNN's weights. */
export type FeatureNetWeightName =
  | 'conv1/w' | 'conv1/b' | 'conv2/w' | 'conv2/b' | 'conv3/w' | 'conv3/b' | 'dense1/w' | 'dense1/b' | 'dense2/w' | 'dense2/b';

/** Name → shape of every weight of the feature CNN (`w` kernels `[kh, kw, in, out]` or `[in, out]`; `b` biases). */
export const FEATURE_NET_SHAPES: Readonly<Record<FeatureNetWeightName, readonly number[]>> = {
  'conv1/w': [3, 3, 1, 32],
  'conv1/b': [32],
  'conv2/w': [3, 3, 32, 64],
  'conv2/b': [64],
  'conv3/w': [1, 1, 64, 16],
  'conv3/b': [16],
  'dense1/w': [784, 128],
  'dense1/b': [128],
  'dense2/w': [128, 10],
  'dense2/b': [10],
};

/** The feature CNN's weights as tensors (constants for inference, `tf.Variable`s for training), keyed as {@link FEATURE_NET_SHAPES}. */
export type FeatureNetParams = Readonly<Record<FeatureNetWeightName, tf.Tensor>>;

/**
 * Fresh He-normal weights (zero biases) for the feature CNN, seeded.
 *
 * @example
 * ```ts
 * const w = initFeatureNetWeights(1);          // NamedArrays
 * w['conv1/w']?.shape;                         // [3, 3, 1, 32]
 * ```
 */
export function initFeatureNetWeights(seed: number): NamedArrays {
  assertNumber('seed', seed, { integer: true, min: 0 });
  const rng = new Rng(seed);
  const out: NamedArrays = {};
  for (const [name, shape] of Object.entries(FEATURE_NET_SHAPES)) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith('/b')) {
      out[name] = { shape: [...shape], values: new Float32Array(size) };
      continue;
    }
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const std = Math.sqrt(2 / fanIn);
    const values = rng.normalArray(size);
    for (let i = 0; i < size; i++) values[i]! *= std;
    out[name] = { shape: [...shape], values };
  }
  return out;
}

/** 2×2 mean pooling of `[n, h, w, c]` (h, w even) as reshape + mean (trains on wasm; `avgPool`'s gradient does not). */
function meanPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.mean(tf.reshape(x, [n, h / 2, 2, w / 2, 2, c]), [2, 4]) as tf.Tensor4D;
}

function conv(x: tf.Tensor4D, p: FeatureNetParams, layer: 'conv1' | 'conv2' | 'conv3'): tf.Tensor4D {
  return tf.relu(tf.add(tf.conv2d(x, p[`${layer}/w`] as tf.Tensor4D, 1, 'same'), p[`${layer}/b`])) as tf.Tensor4D;
}

/**
 * Forward pass of the feature CNN: `images [n, 28, 28, 1]` in [0, 1] →
 * `{ features [n, 128], logits [n, 10] }`. No validation and no tidy (the
 * caller wraps it; the training script differentiates through it).
 *
 * @example
 * ```ts
 * const { features, logits } = tf.tidy(() => featureNetForward(params, images));
 * ```
 */
export function featureNetForward(params: FeatureNetParams, images: tf.Tensor4D): { features: tf.Tensor2D; logits: tf.Tensor2D } {
  const n = images.shape[0];
  let h = tf.sub(tf.mul(images, 2), 1) as tf.Tensor4D;
  h = meanPool2x2(conv(h, params, 'conv1'));
  h = meanPool2x2(conv(h, params, 'conv2'));
  h = conv(h, params, 'conv3');
  const flat = tf.reshape(h, [n, 784]) as tf.Tensor2D;
  const features = tf.relu(tf.add(tf.matMul(flat, params['dense1/w'] as tf.Tensor2D), params['dense1/b'])) as tf.Tensor2D;
  const logits = tf.add(tf.matMul(features, params['dense2/w'] as tf.Tensor2D), params['dense2/b']) as tf.Tensor2D;
  return { features, logits };
}

/**
 * Mean softmax cross-entropy of `logits [n, 10]` against integer `labels [n]`
 * (what the training script minimises). `labels` is int32.
 *
 * @example
 * ```ts
 * const loss = tf.tidy(() => featureNetLoss(featureNetForward(params, images).logits, labels));
 * ```
 */
export function featureNetLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const target = tf.oneHot(labels, logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}
