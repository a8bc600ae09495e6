import * as tf from '@tensorflow/tfjs-core';
import { backends, type BackendPlugin } from '@charlearn/core';
import { registerAllGradients } from '@charlearn/backend-wasm';

/**
 * tfjs's pure-JavaScript `cpu` backend as a plugin (slow: for comparisons and
 * debugging). Registered by the CLI.
 */
export const cpuBackend: BackendPlugin = {
  name: 'cpu',
  async isAvailable() {
    try {
      await import('@tensorflow/tfjs-backend-cpu');
      return { available: true };
    } catch (e) {
      return { available: false, reason: `@tensorflow/tfjs-backend-cpu cannot be loaded: ${(e as Error).message}` };
    }
  },
  async setup() {
    await import('@tensorflow/tfjs-backend-cpu');
    registerAllGradients();
    await tf.setBackend('cpu');
    await tf.ready();
  },
};

if (!backends.has('cpu')) backends.register(cpuBackend);
