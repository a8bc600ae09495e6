import * as tf from '@tensorflow/tfjs-core';
import { Rng, denoiserMatchingLoss, getInterpolant, sampleTrainingTimes, useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { Adam, namedGradients, networkDenoiser } from '@charlearn/distill';
import { createMlp } from '@charlearn/nets';
import '@charlearn/backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { configureWebGpuBackend } from './index';
import { maxRelDiff, requireWebGpu } from './test-helpers';

// The same seed and the same 3 Adam steps of an MLP denoiser 2 -> 64 -> 64 -> 2
// (charlearn's MLP: SiLU, sinusoidal time embedding) on wasm and on webgpu.
// Reads are async (`await data()`): tfjs-backend-webgpu's dataSync needs
// OffscreenCanvas, which Node lacks.
const BATCH = 32;
const STEPS = 3;
const LR = 1e-3;

interface Run {
  losses: number[];
  /** Gradients of each step, by variable name (at step 0 only the zero-initialised output layer has non-zero ones). */
  grads: Record<string, Float32Array>[];
  /** Live tensors after each step. */
  tensorCounts: number[];
}

async function readAll(named: Record<string, tf.Tensor>): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(named)) out[k] = (await v.data()) as Float32Array;
  return out;
}

async function train(backend: 'wasm' | 'webgpu'): Promise<Run> {
  await useBackend(backend);
  const net = createMlp({ dim: 2, hidden: [64, 64], seed: 3 });
  const adam = new Adam(net.namedVariables());
  const interpolant = getInterpolant();
  const target = getTarget('8gaussians');
  const rng = new Rng(11);
  const run: Run = { losses: [], grads: [], tensorCounts: [] };
  for (let step = 0; step < STEPS; step++) {
    const x1 = target.sample(BATCH, rng);
    const z = rng.normalTensor([BATCH, 2]);
    const t = sampleTrainingTimes(BATCH, rng, { eps0: 1e-5, eps1: 1e-5 });
    const denoiser = networkDenoiser(net, interpolant, 1);
    const { value, grads } = namedGradients(() => denoiserMatchingLoss({ denoiser, x1, z, t, interpolant }), net.namedVariables());
    run.losses.push((await value.data())[0]!);
    run.grads.push(await readAll(grads));
    adam.apply(grads, LR);
    tf.dispose([x1, z, t, value, ...Object.values(grads)]);
    run.tensorCounts.push(tf.memory().numTensors);
  }
  adam.dispose();
  net.dispose();
  return run;
}

beforeAll(async () => {
  configureWebGpuBackend({ log: null });
  await requireWebGpu();
});

describe('wasm and webgpu train the same', () => {
  // float32 on both backends, summed in different orders; the time embedding takes
  // sin/cos of c_noise up to ~10^3, where WGSL's builtins (SwiftShader) and wasm's
  // libm differ in the last bits. Measured on SwiftShader in Node: losses agree to
  // 5e-7 relative; gradients (max |Δ| / max |g| per tensor) to 7.7e-5 at step 0
  // (identical weights) and 2.2e-4 by step 2 (Adam carries the step-0 differences).
  // Bounds: ~20x (losses) and ~5x (gradients) above those figures.
  const LOSS_TOL = 1e-5;
  const GRAD_TOL = 1e-3;

  it(`same seed, ${STEPS} Adam steps: the losses and gradients of every step agree (losses to ${LOSS_TOL}, gradients to ${GRAD_TOL} relative)`, async () => {
    const wasm = await train('wasm');
    const gpu = await train('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const diffs: Record<string, number> = {};
    wasm.losses.forEach((l, i) => (diffs[`loss${i}`] = Math.abs(gpu.losses[i]! - l) / Math.abs(l)));
    wasm.grads.forEach((named, i) => {
      for (const [k, g] of Object.entries(named)) diffs[`step ${i} grad ${k}`] = maxRelDiff(gpu.grads[i]![k]!, g);
    });
    const worst = Math.max(...Object.values(diffs));
    console.log(`wasm vs webgpu: max relative difference ${worst.toExponential(2)}; losses wasm ${wasm.losses.map((l) => l.toFixed(6)).join(', ')}`);
    expect(Object.keys(gpu.grads[0]!).sort()).toEqual(Object.keys(wasm.grads[0]!).sort());
    expect(Object.keys(wasm.grads[0]!).length).toBeGreaterThanOrEqual(6);
    // by the last step every layer has a non-zero gradient (so none of the comparisons is 0 vs 0)
    for (const [k, g] of Object.entries(wasm.grads[STEPS - 1]!)) expect(Math.max(...g.map(Math.abs)), k).toBeGreaterThan(0);
    for (const [k, d] of Object.entries(diffs)) expect(d, k).toBeLessThan(k.startsWith('loss') ? LOSS_TOL : GRAD_TOL);
    // training moved the weights (the comparison is not between two untouched inits)
    expect(wasm.losses[STEPS - 1]).not.toBe(wasm.losses[0]);
  });

  it('no tensor leaks across webgpu training steps', async () => {
    const gpu = await train('webgpu');
    expect(new Set(gpu.tensorCounts).size).toBe(1);
  });
});
