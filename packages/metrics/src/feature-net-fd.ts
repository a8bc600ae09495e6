import type * as tf from '@tensorflow/tfjs-core';
import { TypeMismatchError, isTensor, typeLabel } from '@charlearn/core';
import { featureStats, frechetDistanceFromStats } from './fd';
import { FeatureNet, assertFeatureNetImages } from './feature-net';
import type { GaussianStats } from './linalg';

/** Result of {@link computeFD}. */
export interface FeatureFD {
  /** The Fréchet distance between the two feature Gaussians. */
  fd: number;
  /** What to call the figure, e.g. `FD(charlearn-mnist-cnn)` (never "FID": the net is not Inception-v3). */
  name: string;
  /** Images in the first set. */
  n: number;
  /** Images (or feature rows behind the statistics) in the second set. */
  m: number;
}

/**
 * Gaussian statistics (mean `[128]`, covariance `[128, 128]`) of a feature
 * net's features of `images [n, 28, 28, 1]` in [0, 1], n ≥ 2: compute a
 * reference set's once and pass them to {@link computeFD} repeatedly.
 *
 * @example
 * ```ts
 * const ref = featureNetStats(net, testImages);
 * computeFD(net, generatedImages, ref);
 * ```
 */
export function featureNetStats(net: FeatureNet, images: tf.Tensor4D, parameter = 'images'): GaussianStats {
  if (!(net instanceof FeatureNet)) throw new TypeMismatchError(`net must be a FeatureNet (see loadFeatureNet), got ${typeLabel(net)}`, 'net');
  assertFeatureNetImages(parameter, images);
  const feats = net.features(images);
  try {
    return featureStats(feats, { parameter });
  } finally {
    feats.dispose();
  }
}

/**
 * The feature-net Fréchet distance `FD(charlearn-<dataset>-cnn)` between
 * two image sets `[n, 28, 28, 1]` and `[m, 28, 28, 1]` in [0, 1] (or the
 * second as cached {@link featureNetStats}): Gaussians fitted to the nets'
 * 128 penultimate features, compared with {@link frechetDistanceFromStats}.
 * Lower is better; it is biased upwards at small n, so compare values
 * computed with the same n (e.g. 2,000 vs 2,000).
 *
 * @example
 * ```ts
 * const net = await loadFeatureNet('mnist');
 * const { fd, name } = computeFD(net, generatedImages, testImages);
 * console.log(`${name} = ${fd.toFixed(2)}`);   // FD(charlearn-mnist-cnn) = 3.14
 * ```
 */
export function computeFD(net: FeatureNet, imagesA: tf.Tensor4D, imagesB: tf.Tensor4D | GaussianStats): FeatureFD {
  if (!(net instanceof FeatureNet)) throw new TypeMismatchError(`net must be a FeatureNet (see loadFeatureNet), got ${typeLabel(net)}`, 'net');
  assertFeatureNetImages('imagesA', imagesA);
  const isStats = !isTensor(imagesB) && typeof imagesB === 'object' && imagesB !== null && 'cov' in imagesB;
  if (!isStats) assertFeatureNetImages('imagesB', imagesB);
  const statsB = isStats ? (imagesB as GaussianStats) : featureNetStats(net, imagesB as tf.Tensor4D, 'imagesB');
  const statsA = featureNetStats(net, imagesA, 'imagesA');
  return { fd: frechetDistanceFromStats(statsA, statsB), name: `FD(${net.name})`, n: statsA.n, m: statsB.n };
}
