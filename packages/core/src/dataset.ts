import type { Tensor } from '@tensorflow/tfjs-core';
import type { Rng } from './random';

/**
 * A source of training data: draws seeded batches `[batch, ...sampleShape]`
 * (float32, normalised so that σ_data ≈ 1 unless the dataset says otherwise).
 *
 * @example
 * ```ts
 * const x1 = dataset.sample(512, rng); // [512, 2] for a 2-D target
 * ```
 */
export interface Dataset {
  /** Name for logs and metrics, e.g. `'swiss-roll'`. */
  readonly name: string;
  /** Shape of one sample, e.g. `[2]` or `[28, 28, 1]`. */
  readonly sampleShape: readonly number[];
  /** Per-coordinate data std after normalisation (σ_data of EDM); 1 for normalised data. */
  readonly sigmaData: number;
  /** `batch` samples drawn with `rng`: `[batch, ...sampleShape]`. */
  sample(batch: number, rng: Rng): Tensor;
}
