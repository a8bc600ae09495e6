import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@charlearn/backend-wasm';
import { EMA_UPDATE_KERNEL, Rng, useBackend } from '@charlearn/core';
import { createMlp } from '@charlearn/nets';
import { EmaNetwork } from './index';
import { withAndWithoutKernel } from './test-helpers';

beforeAll(async () => {
  await useBackend('wasm');
});

/** Five EMA updates of an MLP's clone towards the MLP as it moves; returns the average's weights. */
function run(): number[][] {
  const rng = new Rng(3);
  const net = createMlp({ dim: 2, hidden: [8, 8], activation: 'silu', timeEmbeddingDim: 4, timeHidden: 4, seed: 2 });
  const ema = new EmaNetwork(net);
  for (let step = 0; step < 5; step++) {
    tf.tidy(() => {
      for (const v of Object.values(net.namedVariables())) v.assign(tf.add(v, rng.normalTensor(v.shape)));
    });
    ema.update(net, step * 40, 0.999);
  }
  const out = Object.values(ema.network.namedVariables()).map((v) => Array.from(v.dataSync()));
  ema.dispose();
  net.dispose();
  return out;
}

describe('EmaNetwork', () => {
  it("averages through the backend's fused kernel with the op chain's bits, and leaks nothing either way", () => {
    const { fused, chain } = withAndWithoutKernel(EMA_UPDATE_KERNEL, run);
    expect(fused).toEqual(chain);
    // the average moved away from the initial weights (decays (1 + step)/(10 + step): 0.1 .. 0.95)
    const init = createMlp({ dim: 2, hidden: [8, 8], activation: 'silu', timeEmbeddingDim: 4, timeHidden: 4, seed: 2 });
    const first = Array.from(Object.values(init.namedVariables())[0]!.dataSync());
    init.dispose();
    expect(Math.max(...fused[0]!.map((v, i) => Math.abs(v - first[i]!)))).toBeGreaterThan(0.1);
  });
});
