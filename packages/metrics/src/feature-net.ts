import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, ShapeError, ValueRangeError, assertNumber, assertTensor, decodeTensors, encodeTensors, type JsonObject, type NamedArrays } from '@charlearn/core';
import { FEATURE_NET_ARCH, FEATURE_NET_SHAPES, featureNetForward, type FeatureNetParams, type FeatureNetWeightName } from './feature-net-arch';

/** The data sets a shipped feature net is trained on. */
export type FeatureNetDataset = 'mnist' | 'fashion-mnist';

/** What a feature-net weights file says about itself (its `meta`). */
export interface FeatureNetInfo {
  /** Data set it was trained on. */
  dataset: FeatureNetDataset;
  /** Class names, index = label. */
  classNames: string[];
  /** Held-out test accuracy measured by the training script (fraction in [0, 1]). */
  testAccuracy: number;
  /** Test images that accuracy is over. */
  testCount: number;
  /** Training images used. */
  trainCount: number;
  /** ISO date the weights were written. */
  trainedAt: string;
  /** The command that wrote them. */
  command: string;
}

/** Default images per forward batch in {@link FeatureNet.features}. */
export const FEATURE_NET_BATCH = 256;

/**
 * A trained feature CNN (see {@link FEATURE_NET_ARCH}) whose 128-unit
 * penultimate layer embeds 28×28×1 images for the Fréchet distance
 * {@link computeFD}. Owns tensors: call {@link FeatureNet.dispose} when done.
 *
 * @example
 * ```ts
 * const net = await loadFeatureNet('mnist');
 * const feats = net.features(images);    // [n, 128]
 * const labels = net.classify(images);   // [n] int32
 * net.dispose();
 * ```
 */
export class FeatureNet {
  /** The metric's network name, e.g. `charlearn-mnist-cnn`: report FD values as `FD(charlearn-mnist-cnn)`. */
  readonly name: string;
  /** Width of {@link FeatureNet.features} rows (128). */
  readonly featureDim: number = FEATURE_NET_ARCH.featureDim;
  /** Input image shape `[28, 28, 1]`. */
  readonly inputShape: readonly [number, number, number] = FEATURE_NET_ARCH.inputShape;
  /** Provenance and test accuracy from the weights file. */
  readonly info: Readonly<FeatureNetInfo>;
  private readonly params: FeatureNetParams;
  private disposed = false;

  /** Builds the net from weights shaped as {@link FEATURE_NET_SHAPES} (copied into tensors); `CheckpointError` if any is missing or mis-shaped. */
  constructor(weights: NamedArrays, info: FeatureNetInfo) {
    assertFeatureNetWeights(weights);
    this.info = Object.freeze({ ...info, classNames: [...info.classNames] });
    this.name = `charlearn-${info.dataset}-cnn`;
    const params: Partial<Record<FeatureNetWeightName, tf.Tensor>> = {};
    for (const key of Object.keys(FEATURE_NET_SHAPES) as FeatureNetWeightName[]) {
      params[key] = tf.tensor(weights[key]!.values, weights[key]!.shape, 'float32');
    }
    this.params = params as FeatureNetParams;
  }

  /**
   * Penultimate-layer features `[n, 128]` (after ReLU) of `images
   * [n, 28, 28, 1]` in [0, 1], computed in batches of `batchSize` (default
   * 256) so memory stays bounded. The caller owns the result.
   *
   * @example
   * ```ts
   * const f = net.features(images); // Tensor2D [n, 128]
   * ```
   */
  features(images: tf.Tensor4D, options: { batchSize?: number } = {}): tf.Tensor2D {
    return this.batched(images, options.batchSize, 'features');
  }

  /**
   * Class logits `[n, 10]` of `images [n, 28, 28, 1]` in [0, 1], batched
   * as {@link FeatureNet.features}.
   *
   * @example
   * ```ts
   * const p = tf.softmax(net.logits(images));
   * ```
   */
  logits(images: tf.Tensor4D, options: { batchSize?: number } = {}): tf.Tensor2D {
    return this.batched(images, options.batchSize, 'logits');
  }

  /**
   * Predicted class indices `[n]` (int32, argmax of the logits) of `images
   * [n, 28, 28, 1]` in [0, 1]; `net.info.classNames[k]` names class k.
   *
   * @example
   * ```ts
   * const pred = net.classify(images).dataSync(); // Int32Array
   * ```
   */
  classify(images: tf.Tensor4D, options: { batchSize?: number } = {}): tf.Tensor1D {
    const logits = this.logits(images, options);
    const out = tf.argMax(logits, 1) as tf.Tensor1D;
    logits.dispose();
    return out;
  }

  /** Frees the weight tensors; the net cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose(Object.values(this.params));
  }

  private batched(images: tf.Tensor4D, batchSize: number | undefined, head: 'features' | 'logits'): tf.Tensor2D {
    if (this.disposed) throw new ShapeError(`feature net ${this.name} has been disposed`, 'net');
    const size = batchSize ?? FEATURE_NET_BATCH;
    assertNumber('options.batchSize', size, { integer: true, min: 1 });
    assertFeatureNetImages('images', images);
    const n = images.shape[0];
    const parts: tf.Tensor2D[] = [];
    for (let start = 0; start < n; start += size) {
      const count = Math.min(size, n - start);
      parts.push(
        tf.tidy(() => {
          const batch = tf.slice(images, [start, 0, 0, 0], [count, -1, -1, -1]) as tf.Tensor4D;
          return featureNetForward(this.params, batch)[head];
        }),
      );
    }
    if (parts.length === 1) return parts[0]!;
    const out = tf.concat(parts, 0) as tf.Tensor2D;
    tf.dispose(parts);
    return out;
  }
}

/**
 * Checks `images` is a float32 `Tensor4D [n, 28, 28, 1]` with n ≥ 1 and
 * every value in [0, 1] (1e-6 slack for rounding); else a `ShapeError` or
 * `ValueRangeError` naming `parameter`. Reads the min and max back (one sync).
 *
 * @example
 * ```ts
 * assertFeatureNetImages('generated', x); // before any feature math
 * ```
 */
export function assertFeatureNetImages(parameter: string, images: unknown): asserts images is tf.Tensor4D {
  assertTensor(parameter, images, [null, 28, 28, 1], { dtype: 'float32' });
  if (images.shape[0] === 0) throw new ShapeError(`${parameter} must be [n, 28, 28, 1] with n >= 1, got [${images.shape.join(', ')}]`, parameter);
  const [lo, hi] = tf.tidy(() => [tf.min(images).dataSync()[0]!, tf.max(images).dataSync()[0]!]);
  if (!(lo! >= -1e-6 && hi! <= 1 + 1e-6)) {
    throw new ValueRangeError(`${parameter} must hold pixel values in [0, 1] (images [n, 28, 28, 1]), got values in [${lo}, ${hi}]`, parameter);
  }
}

/** `CheckpointError` unless `weights` has exactly the names and shapes of {@link FEATURE_NET_SHAPES}. */
function assertFeatureNetWeights(weights: NamedArrays): void {
  const want = Object.keys(FEATURE_NET_SHAPES) as FeatureNetWeightName[];
  for (const key of want) {
    const entry = weights[key];
    if (!entry) throw new CheckpointError(`feature-net weights lack '${key}' (expected ${want.join(', ')})`, 'weights');
    const shape = FEATURE_NET_SHAPES[key];
    if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(`feature-net weight '${key}' must have shape [${shape.join(', ')}], got [${entry.shape.join(', ')}]`, 'weights');
    }
  }
  const extra = Object.keys(weights).filter((k) => !(k in FEATURE_NET_SHAPES));
  if (extra.length > 0) throw new CheckpointError(`feature-net weights hold unexpected arrays: ${extra.join(', ')}`, 'weights');
}

/**
 * Encodes feature-net weights and their {@link FeatureNetInfo} into the
 * `@charlearn/core` tensor file format (safetensors with the metadata
 * and a CRC-32, see `encodeTensors`): what the training script writes to
 * `weights/<dataset>-cnn.bin`.
 *
 * @example
 * ```ts
 * const weights = initFeatureNetWeights(1);  // ...then trained
 * const bytes = encodeFeatureNet(weights, {
 *   dataset: 'mnist', classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
 *   testAccuracy: 0.98, testCount: 2000, trainCount: 8000,
 *   trainedAt: new Date().toISOString(), command: 'node scripts/train-feature-net.mjs',
 * });
 * ```
 */
export function encodeFeatureNet(weights: NamedArrays, info: FeatureNetInfo): Uint8Array {
  assertFeatureNetWeights(weights);
  const meta: JsonObject = { arch: { ...FEATURE_NET_ARCH, inputShape: [...FEATURE_NET_ARCH.inputShape] }, info: { ...info, classNames: [...info.classNames] } };
  return encodeTensors(weights, meta);
}

/**
 * Rebuilds a {@link FeatureNet} from the bytes of a weights file (works in
 * browsers: fetch the file shipped as `@charlearn/metrics/weights/<dataset>-cnn.bin`).
 * `CheckpointError` for a corrupt file (checksum), another architecture or missing info.
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array(await (await fetch('/weights/mnist-cnn.bin')).arrayBuffer()); // served by the app
 * const net = featureNetFromBytes(bytes);
 * ```
 */
export function featureNetFromBytes(bytes: Uint8Array): FeatureNet {
  const { meta, arrays } = decodeTensors(bytes);
  const arch = meta['arch'] as { kind?: unknown; version?: unknown } | undefined;
  if (!arch || arch.kind !== FEATURE_NET_ARCH.kind || arch.version !== FEATURE_NET_ARCH.version) {
    throw new CheckpointError(
      `not a ${FEATURE_NET_ARCH.kind} v${FEATURE_NET_ARCH.version} weights file (meta.arch is ${JSON.stringify(arch ?? null)})`,
      'bytes',
    );
  }
  return new FeatureNet(arrays, parseInfo(meta['info']));
}

function parseInfo(raw: unknown): FeatureNetInfo {
  const info = raw as Partial<FeatureNetInfo> | undefined;
  const ok =
    typeof info === 'object' &&
    info !== null &&
    (info.dataset === 'mnist' || info.dataset === 'fashion-mnist') &&
    Array.isArray(info.classNames) &&
    info.classNames.length === FEATURE_NET_ARCH.numClasses &&
    typeof info.testAccuracy === 'number' &&
    typeof info.testCount === 'number' &&
    typeof info.trainCount === 'number' &&
    typeof info.trainedAt === 'string' &&
    typeof info.command === 'string';
  if (!ok) throw new CheckpointError(`feature-net weights file has malformed meta.info: ${JSON.stringify(raw ?? null)}`, 'bytes');
  return info as FeatureNetInfo;
}
