import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '@charlearn/backend-wasm';
import { ADAM_UPDATE_KERNEL, Rng, useBackend } from '@charlearn/core';
import { Adam } from './index';
import { withAndWithoutKernel } from './test-helpers';

beforeAll(async () => {
  await useBackend('wasm');
});

/** Three Adam steps (the second clipped by 0.3) on two variables; returns their values and the moments. */
function run(): number[][] {
  const rng = new Rng(4);
  const vars = tf.tidy(() => ({ a: tf.variable(rng.normalTensor([5, 3])), b: tf.variable(rng.normalTensor([7])) }));
  const adam = new Adam(vars);
  for (let k = 0; k < 3; k++) {
    const grads = { a: rng.normalTensor([5, 3]), b: rng.normalTensor([7]) };
    adam.apply(grads, 1e-2, k === 1 ? 0.3 : 1);
    tf.dispose(Object.values(grads));
  }
  const state = adam.getState();
  const out = [...Object.values(vars).map((v) => Array.from(v.dataSync())), ...Object.values(state.arrays).map((a) => Array.from(a.values))];
  adam.dispose();
  tf.dispose(Object.values(vars));
  return out;
}

describe('Adam', () => {
  it("gives the op chain's update through the backend's fused kernel, and leaks nothing either way", () => {
    const { fused, chain } = withAndWithoutKernel(ADAM_UPDATE_KERNEL, run);
    for (let i = 0; i < chain.length; i++) {
      for (let j = 0; j < chain[i]!.length; j++) expect(fused[i]![j]).toBeCloseTo(chain[i]![j]!, 6);
    }
    // the variables moved: ~lr a step
    expect(Math.abs(fused[0]![0]! - new Rng(4).normalArray(1)[0]!)).toBeGreaterThan(1e-3);
  });
});
