import type { Tensor } from '@tensorflow/tfjs-core';
import { GaussianMixture, type Dataset, type Rng } from '@charlearn/core';

/** A 2-D, 3-component mixture (unit-ish std) as a Dataset, with its exact denoiser. */
export function mixtureDataset(): { dataset: Dataset; gmm: GaussianMixture } {
  const gmm = new GaussianMixture({ means: [[-1.2, 0], [1.2, 0.4], [0, -1.2]], std: 0.3, weights: [1, 1, 1] });
  return { gmm, dataset: { name: 'test-gmm', sampleShape: [2], sigmaData: 1, sample: (n: number, rng: Rng): Tensor => gmm.sampleTensor(n, rng) } };
}
