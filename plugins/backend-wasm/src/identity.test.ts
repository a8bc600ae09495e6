import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setupWasmBackend } from './index';
import { liveCounts, rand } from './test-helpers';

// The sharing Identity (kernels/identity.ts): clones and kept tensors share data under a reference count.
describe('Identity on wasm', () => {
  it('shares the data of its input: no new buffer, both readable after either is disposed, freed with the last', async () => {
    await setupWasmBackend();
    const x = tf.tensor2d(rand(12, 1), [3, 4]);
    const values = x.dataSync().slice();
    const before = liveCounts();
    const y = tf.clone(x);
    expect(liveCounts()).toEqual({ tensors: before.tensors + 1, dataIds: before.dataIds });
    x.dispose();
    expect([...y.dataSync()]).toEqual([...values]);
    const z = tf.add(y, 1); // a kernel reading the shared data
    expect(z.dataSync()[0]).toBeCloseTo(values[0]! + 1, 6);
    tf.dispose([y, z]);
    expect(liveCounts()).toEqual({ tensors: before.tensors - 1, dataIds: before.dataIds - 1 });
  });

  it('gradients through clone and customGrad, and the stock copying kernel when sharedIdentity is false', async () => {
    for (const sharedIdentity of [true, false]) {
      await setupWasmBackend({ sharedIdentity });
      const w = tf.variable(tf.tensor1d([0.5, -2, 3]));
      const before = liveCounts();
      const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(tf.clone(w))) as tf.Scalar, [w]);
      expect([...grads[w.name]!.dataSync()]).toEqual([1, -4, 6]);
      expect(value.dataSync()[0]).toBeCloseTo(13.25, 5);
      tf.dispose([value, ...Object.values(grads)]);
      expect(liveCounts()).toEqual(before);
      w.dispose();
    }
    await setupWasmBackend({ sharedIdentity: true });
  });
});
