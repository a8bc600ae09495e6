// Sampling and teacher solves hand the network one time for the whole batch (timesLike / tausLike): the MLP then
// computes its time features once. The results must be the per-row ones to float32 rounding.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fieldModelFromDenoiser, follmer, Rng, type FieldModel } from '@charlearn/core';
import { createMlp, type Network } from '@charlearn/nets';
import { characteristicMap, networkDenoiser, plainGenerator, sampleFlowMap, sampleTeacher, type FlowMap } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A small MLP with every weight random (so the s path's last layer is not zero). */
function randomNet(twoTime: boolean, seed: number): Network {
  const net = createMlp({ dim: 2, hidden: [32, 32], timeEmbeddingDim: 16, timeHidden: 16, twoTime, seed });
  const rng = new Rng(seed + 1);
  const w = net.getWeights();
  for (const a of Object.values(w)) a.values = rng.uniformArray(a.values.length, -0.5, 0.5);
  net.setWeights(w);
  return net;
}

/** The same times with the mark dropped (`tf.clone`): the per-row path. */
const unmarked = (t?: Tensor1D) => (t === undefined ? undefined : (tf.clone(t) as Tensor1D));

function maxRelDiff(a: Tensor, b: Tensor): number {
  const [x, y] = [a.dataSync(), b.dataSync()];
  let d = 0;
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    d = Math.max(d, Math.abs(x[i]! - y[i]!));
    m = Math.max(m, Math.abs(y[i]!));
  }
  expect(m).toBeGreaterThan(0.1);
  return d / m;
}

/** Output rows of the time MLP's second layer (`[rows, 16] @ [16, 32]`) in `f`'s kernels. */
async function timeFeatureRows(f: () => Tensor): Promise<number[]> {
  const info = await tf.profile(f);
  tf.dispose(info.result as Tensor);
  return info.kernels.filter((k) => k.name === 'BatchMatMul' && k.inputShapes.some((s) => s?.[0] === 16 && s[1] === 32)).map((k) => k.outputShapes[0]!.at(-2)!);
}

describe('one time for the batch in sampling and teacher solves', () => {
  it('one-step and few-step sampling of the flow map give the per-row results, computing the time MLP on one row', async () => {
    const net = randomNet(true, 3);
    const g = characteristicMap(net, follmer);
    const perRow: FlowMap = (x, t, s, tauT, tauS) => g(x, unmarked(t)!, unmarked(s)!, unmarked(tauT), unmarked(tauS));
    const z = new Rng(4).normalTensor([50, 2]);
    for (const steps of [1, 3]) {
      const [fast, rows] = [sampleFlowMap(g, z, steps), sampleFlowMap(perRow, z, steps)];
      expect(maxRelDiff(fast, rows)).toBeLessThanOrEqual(1e-6);
      tf.dispose([fast, rows]);
    }
    expect(await timeFeatureRows(() => sampleFlowMap(g, z, 1))).toEqual([1, 1]);
    expect(await timeFeatureRows(() => sampleFlowMap(perRow, z, 1))).toEqual([50, 50]);
    z.dispose();
    net.dispose();
  });

  it("a teacher solve (the solvers' field evaluations) gives the per-row result, the time MLP on one row per evaluation", async () => {
    const net = randomNet(false, 5);
    const teacher = fieldModelFromDenoiser(networkDenoiser(net, follmer), follmer);
    const perRow: FieldModel = {
      interpolant: follmer,
      denoise: (x, t, tau) => teacher.denoise(x, unmarked(t)!, unmarked(tau)),
      velocity: (x, t, tau) => teacher.velocity(x, unmarked(t)!, unmarked(tau)),
    };
    const z = new Rng(6).normalTensor([40, 2]);
    for (const solver of ['heun', 'exp-integrator']) {
      const fast = sampleTeacher(teacher, z, solver, 6);
      const rows = sampleTeacher(perRow, z, solver, 6);
      expect(maxRelDiff(fast.x, rows.x)).toBeLessThanOrEqual(1e-6);
      tf.dispose([fast.x, rows.x]);
    }
    expect(await timeFeatureRows(() => tf.tidy(() => sampleTeacher(teacher, z, 'heun', 5).x))).toEqual([1, 1, 1, 1, 1]);
    z.dispose();
    net.dispose();
  });

  it('the teacher-free generator feeds its constant time once a batch, same outputs as per row', async () => {
    const net = randomNet(false, 7);
    const G = plainGenerator(net, 0);
    const z = new Rng(8).normalTensor([30, 2]);
    const rows = tf.tidy(() => tf.add(z, net.apply(z, tf.fill([30], 0) as Tensor1D)));
    const fast = G(z);
    expect(maxRelDiff(fast, rows)).toBeLessThanOrEqual(1e-6);
    expect(await timeFeatureRows(() => G(z))).toEqual([1]);
    tf.dispose([z, rows, fast]);
    net.dispose();
  });
});
