// The fused SiLU layers of dense.ts on wasm, inside and outside a gradient: outside, their kernels are asked for y
// alone ({ sigmoid: false }, one output where the training kernel returns [y, s]); the values are the same bytes,
// and the gradient inside tf.grads is still the op chain's.
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { BIAS_SILU_KERNEL, DENSE_SILU_KERNEL, Rng, useBackend } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { biasActivated, createMlp, denseActivated } from './index';

beforeAll(async () => {
  await useBackend('wasm');
});

const [M, K, N] = [13, 9, 11];
const rng = new Rng(3);
const [xv, wv, bv] = [rng.normalArray(M * K), rng.normalArray(K * N), rng.normalArray(N)];
const inputs = () => [tf.tensor2d(xv, [M, K]), tf.tensor2d(wv, [K, N]), tf.tensor1d(bv)] as const;

/** The output count of each call of `kernel` while `f` runs (tf.profile). */
async function outputsPerCall(kernel: string, f: () => void): Promise<number[]> {
  const info = await tf.profile(f);
  return info.kernels.filter((k) => k.name === kernel).map((k) => k.outputShapes.length);
}

const bytes = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).slice().buffer);

describe('denseActivated and biasActivated with SiLU on wasm', () => {
  it('outside a gradient ask their kernels for y alone; inside one for [y, s]', async () => {
    expect(tf.getKernel(DENSE_SILU_KERNEL, 'wasm')).toBeDefined();
    const forward = () =>
      tf.tidy(() => {
        const [x, w, b] = inputs();
        denseActivated(x, w, b, 'silu');
        biasActivated(tf.matMul(x, w), b, 'silu');
      });
    const graded = () =>
      tf.tidy(() => {
        const [x, w, b] = inputs();
        tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.add(denseActivated(xx, ww, bb, 'silu'), biasActivated(tf.matMul(xx, ww), bb, 'silu'))))([x, w, b]);
      });
    expect(await outputsPerCall(DENSE_SILU_KERNEL, forward)).toEqual([1]);
    expect(await outputsPerCall(BIAS_SILU_KERNEL, forward)).toEqual([1]);
    expect(await outputsPerCall(DENSE_SILU_KERNEL, graded)).toEqual([2]);
    expect(await outputsPerCall(BIAS_SILU_KERNEL, graded)).toEqual([2]);
  });

  it('give the same bytes inside and outside a gradient, and the gradient of the op chain', () => {
    const outside = tf.tidy(() => {
      const [x, w, b] = inputs();
      return [bytes(denseActivated(x, w, b, 'silu')), bytes(biasActivated(tf.matMul(x, w), b, 'silu'))];
    });
    const inside: Buffer[] = [];
    const [fused, chain] = [true, false].map((useFused) =>
      tf.tidy(() => {
        const [x, w, b] = inputs();
        const layer = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
          if (!useFused) {
            const z = tf.add(tf.matMul(xx, ww), bb);
            return tf.mul(z, tf.sigmoid(z));
          }
          const y = denseActivated(xx, ww, bb, 'silu');
          inside.push(bytes(y));
          return y;
        };
        return tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.square(layer(xx, ww, bb))))([x, w, b]).map((g) => g.dataSync() as Float32Array);
      }),
    );
    expect(inside[0]!.equals(outside[0]!)).toBe(true);
    for (let i = 0; i < 3; i++) {
      const worst = fused![i]!.reduce((m, v, j) => Math.max(m, Math.abs(v - chain![i]![j]!) / Math.max(1, Math.abs(chain![i]![j]!))), 0);
      expect(worst).toBeLessThan(1e-4);
    }
    expect(outside[1]!.length).toBe(M * N * 4);
  });

  it("an MLP's forward outside a gradient is the same bytes as inside one", () => {
    const net = createMlp({ dim: 2, hidden: [32, 32], activation: 'silu', timeEmbeddingDim: 16, timeHidden: 16, seed: 4 });
    const x = new Rng(5).normalTensor([17, 2]);
    const c = tf.fill([17], 0.3) as tf.Tensor1D;
    const outside = tf.tidy(() => bytes(net.apply(x, c)));
    let inside: Buffer | undefined;
    tf.tidy(() => {
      tf.variableGrads(() => {
        const y = net.apply(x, c);
        inside = bytes(y);
        return tf.sum(y) as tf.Scalar;
      });
    });
    expect(inside!.equals(outside)).toBe(true);
    tf.dispose([x, c]);
    net.dispose();
  });
});
