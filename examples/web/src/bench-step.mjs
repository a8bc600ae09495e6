// One training step of charlearn's teacher (EDM denoiser matching, Adam) on the current tfjs
// backend, timed, with the loss read asynchronously (`await data()`), so that it runs where
// synchronous GPU reads are impossible (WebGPU in Node, SwiftShader in headless Chromium).
// Shared by the browser app (window.charlearnApp.benchmark) and test/bench/backends.mjs (Node).
import * as tf from '@tensorflow/tfjs-core';
import { Rng, denoiserMatchingLoss, getInterpolant, sampleTrainingTimes } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { Adam, namedGradients, networkDenoiser } from '@charlearn/distill';
import { createMlp } from '@charlearn/nets';

/**
 * @typedef {object} BenchOptions
 * @property {number} batch - batch size
 * @property {number[]} hidden - hidden widths of the MLP (input: x [batch, 2] and a 64-d time embedding)
 * @property {number} steps - timed steps
 * @property {number} [warmup] - untimed steps first (shader compilation, allocation); default 2
 * @property {number} [seed] - default 0
 */

/**
 * @typedef {object} BenchResult
 * @property {number} msPerStep - mean wall time of a timed step (forward, backward, Adam, loss read)
 * @property {number[]} losses - the loss of every step, warm-up included
 * @property {number} parameters - trainable parameters of the MLP
 * @property {string} backend - tfjs backend it ran on
 */

/**
 * Times training steps of an MLP denoiser (2 -> hidden -> 2, SiLU, time embedding) on the 8-Gaussians target.
 * @param {BenchOptions} options
 * @returns {Promise<BenchResult>}
 */
export async function benchTrainingStep({ batch, hidden, steps, warmup = 2, seed = 0 }) {
  const net = createMlp({ dim: 2, hidden, seed });
  const parameters = net.parameterCount();
  const adam = new Adam(net.namedVariables());
  const interpolant = getInterpolant();
  const target = getTarget('8gaussians');
  const rng = new Rng(seed + 1);
  /** @type {number[]} */
  const losses = [];
  let ms = 0;
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const x1 = target.sample(batch, rng);
    const z = rng.normalTensor([batch, 2]);
    const t = sampleTrainingTimes(batch, rng, { eps0: 1e-5, eps1: 1e-5 });
    const denoiser = networkDenoiser(net, interpolant, 1);
    const { value, grads } = namedGradients(() => denoiserMatchingLoss({ denoiser, x1, z, t, interpolant }), net.namedVariables());
    adam.apply(grads, 1e-3);
    const loss = (await value.data())[0] ?? Number.NaN;
    tf.dispose([x1, z, t, value, ...Object.values(grads)]);
    if (i >= warmup) ms += performance.now() - t0;
    losses.push(loss);
  }
  adam.dispose();
  net.dispose();
  return { msPerStep: ms / Math.max(1, steps), losses, parameters, backend: tf.getBackend() };
}
