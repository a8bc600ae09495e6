import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@charlearn/core';
import { describe, expect, it } from 'vitest';
import { setupWasmBackend } from './index';
import { liveCounts, on, rand, relErr } from './test-helpers';

// MLP 3 -> 64 -> 64 -> 2: tanh, relu, linear; MSE.
const SIZES = [3, 64, 64, 2] as const;
const BATCH = 48;

interface Params {
  ws: tf.Variable[];
  bs: tf.Variable[];
}

function makeParams(): Params {
  const ws: tf.Variable[] = [];
  const bs: tf.Variable[] = [];
  tf.tidy(() => {
    for (let i = 0; i + 1 < SIZES.length; i++) {
      const [n, m] = [SIZES[i]!, SIZES[i + 1]!];
      ws.push(tf.variable(tf.tensor2d(rand(n * m, 10 + i, Math.sqrt(6 / (n + m))), [n, m])));
      bs.push(tf.variable(tf.tensor1d(rand(m, 20 + i, 0.1))));
    }
  });
  return { ws, bs };
}

/** Gradients keyed w0..w2, b0..b2. */
function labelled(p: Params, grads: tf.NamedTensorMap): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  p.ws.forEach((v, i) => (out[`w${i}`] = grads[v.name]!.dataSync() as Float32Array));
  p.bs.forEach((v, i) => (out[`b${i}`] = grads[v.name]!.dataSync() as Float32Array));
  return out;
}

function mlpLoss(p: Params, x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    let h: tf.Tensor = x;
    p.ws.forEach((w, i) => {
      h = tf.add(tf.matMul(h, w), p.bs[i]!);
      if (i === 0) h = tf.tanh(h);
      else if (i === 1) h = tf.relu(h);
    });
    return tf.mean(tf.square(tf.sub(h, y)));
  });
}

const xData = rand(BATCH * SIZES[0], 1);
const yData = rand(BATCH * SIZES[3], 2);

async function gradientsOn(backend: 'cpu' | 'wasm'): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  return on(backend, () => {
    const p = makeParams();
    const x = tf.tensor2d(xData, [BATCH, SIZES[0]]);
    const y = tf.tensor2d(yData, [BATCH, SIZES[3]]);
    const { value, grads } = tf.variableGrads(() => mlpLoss(p, x, y), [...p.ws, ...p.bs]);
    const out = { loss: value.dataSync()[0]!, grads: labelled(p, grads) };
    tf.dispose([value, ...Object.values(grads), ...p.ws, ...p.bs, x, y]);
    return out;
  });
}

describe('MLP training on wasm', () => {
  it('gradients match the cpu backend within 1e-4 relative', async () => {
    const cpu = await gradientsOn('cpu');
    const wasm = await gradientsOn('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(Math.abs(wasm.loss - cpu.loss) / cpu.loss).toBeLessThan(1e-5);
    expect(Object.keys(wasm.grads).sort()).toEqual(['b0', 'b1', 'b2', 'w0', 'w1', 'w2']);
    for (const [name, g] of Object.entries(cpu.grads)) {
      expect(relErr(wasm.grads[name]!, g), name).toBeLessThan(1e-4);
    }
  });

  it('the stock and explicit-transpose MatMul modes give the same gradients', async () => {
    const ref = await gradientsOn('cpu');
    for (const matMulFix of ['none', 'gradient', 'kernel'] as const) {
      await setupWasmBackend({ matMulFix, fastReductions: matMulFix === 'kernel' });
      const got = await gradientsOn('wasm');
      for (const [name, g] of Object.entries(ref.grads)) expect(relErr(got.grads[name]!, g), `${matMulFix} ${name}`).toBeLessThan(1e-4);
    }
  });

  it('5 Adam steps leak no tensors and no wasm buffers, and lower the loss', async () => {
    await useBackend('wasm');
    const p = makeParams();
    const x = tf.tensor2d(xData, [BATCH, SIZES[0]]);
    const y = tf.tensor2d(yData, [BATCH, SIZES[3]]);
    const opt = tf.train.adam(1e-2);
    const step = () => opt.minimize(() => mlpLoss(p, x, y), false, [...p.ws, ...p.bs]);
    const first = mlpLoss(p, x, y);
    step(); // creates the optimizer's slots
    const before = liveCounts();
    for (let i = 0; i < 5; i++) step();
    expect(liveCounts()).toEqual(before);
    const last = mlpLoss(p, x, y);
    expect(last.dataSync()[0]).toBeLessThan(first.dataSync()[0]!);
    opt.dispose();
    expect(liveCounts().tensors).toBeLessThan(before.tensors);
    tf.dispose([first, last, x, y, ...p.ws, ...p.bs]);
  });
});
