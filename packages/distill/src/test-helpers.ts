import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { GaussianMixture, type Dataset, type Rng } from '@charlearn/core';

/** A 2-D, 3-component mixture (unit-ish std) as a Dataset, with its exact denoiser. */
export function mixtureDataset(): { dataset: Dataset; gmm: GaussianMixture } {
  const gmm = new GaussianMixture({ means: [[-1.2, 0], [1.2, 0.4], [0, -1.2]], std: 0.3, weights: [1, 1, 1] });
  return { gmm, dataset: { name: 'test-gmm', sampleShape: [2], sigmaData: 1, sample: (n: number, rng: Rng): Tensor => gmm.sampleTensor(n, rng) } };
}

/**
 * Runs `run` with the wasm kernel `kernel` registered, then again with it unregistered (registered again afterwards),
 * and checks that neither run leaves a tensor behind: `fused` and `chain` are the two results, for a test to compare.
 */
export function withAndWithoutKernel<T>(kernel: string, run: () => T): { fused: T; chain: T } {
  const registered = tf.getKernel(kernel, 'wasm');
  if (!registered) throw new Error(`the wasm backend has no kernel ${kernel}`);
  const before = tf.memory().numTensors;
  const fused = run();
  if (tf.memory().numTensors !== before) throw new Error(`the run with ${kernel} left ${tf.memory().numTensors - before} tensors behind`);
  tf.unregisterKernel(kernel, 'wasm');
  try {
    const chain = run();
    if (tf.memory().numTensors !== before) throw new Error(`the run without ${kernel} left ${tf.memory().numTensors - before} tensors behind`);
    return { fused, chain };
  } finally {
    tf.registerKernel(registered);
  }
}
