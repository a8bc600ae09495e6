// Gradients of the U-Net and DiT: on the cpu backend, d(loss)/d(w) of a few
// entries of several variables (conv, GroupNorm, attention qkv, adaLN, time
// MLP, output) against central finite differences; and the wasm gradients
// of every variable against the cpu ones (same math, independent kernels:
// wasm's Conv2DBackpropFilter/Input come from @charlearn/backend-wasm).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { registerAllGradients } from '@charlearn/backend-wasm';
import { Rng, useBackend } from '@charlearn/core';
import { describe, expect, it } from 'vitest';
import { createNetwork, type Network, type NetworkSpec } from './index';
import { randomizeWeights, TINY_DIT, TINY_UNET } from './test-helpers';

const BATCH = 2;
const UNET: NetworkSpec = { ...TINY_UNET, twoTime: true, seed: 1 };
const DIT: NetworkSpec = { ...TINY_DIT, twoTime: true, seed: 1 };

const CHECKED: Record<string, string[]> = {
  unet: ['temb/w0', 'temb_s/w1', 'down0.res0/conv1/w', 'down0.res0/temb/w', 'down1.attn0/qkv/w', 'mid.res0/norm1/g', 'up0.res1/conv2/w', 'up0.res0/skip/w', 'out/w'],
  dit: ['temb/w1', 'temb_s/w0', 'patch/w', 'block0/ada/w', 'block0/attn/qkv/w', 'block1/mlp/w0', 'block1/attn/proj/w', 'final/ada/w', 'final/w'],
};

function data() {
  const rng = new Rng(21);
  const n = BATCH * 64;
  return { x: rng.normalArray(n), c: rng.uniformArray(BATCH, 0, 999), cs: rng.uniformArray(BATCH, 0, 999), r: rng.normalArray(n) };
}

/** L = Σ r·F + ½ Σ F² in float64 from the float32 output. */
function loss64(net: Network, d: ReturnType<typeof data>): number {
  const f = tf.tidy(() => net.apply(tf.tensor4d(d.x, [BATCH, 8, 8, 1]), tf.tensor1d(d.c), tf.tensor1d(d.cs)).dataSync());
  let s = 0;
  for (let i = 0; i < f.length; i++) s += d.r[i]! * f[i]! + 0.5 * f[i]! * f[i]!;
  return s;
}

function gradients(net: Network, d: ReturnType<typeof data>): Record<string, Float32Array> {
  const [x, c, cs, r] = [tf.tensor4d(d.x, [BATCH, 8, 8, 1]), tf.tensor1d(d.c), tf.tensor1d(d.cs), tf.tensor4d(d.r, [BATCH, 8, 8, 1])];
  const { value, grads } = tf.variableGrads(() => {
    const f = net.apply(x, c, cs);
    return tf.sum(tf.add(tf.mul(r, f), tf.mul(0.5, tf.square(f))));
  }, net.trainableVariables());
  const out: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(net.namedVariables())) out[name] = grads[v.name]!.dataSync() as Float32Array;
  tf.dispose([x, c, cs, r, value, ...Object.values(grads)]);
  return out;
}

async function onCpu(): Promise<void> {
  registerAllGradients();
  await tf.setBackend('cpu');
}

describe.each([
  ['unet', UNET],
  ['dit', DIT],
] as const)('%s gradients', (kind, spec) => {
  it('cpu: equal central finite differences for entries of conv, norm, attention, adaLN, time and output weights', async () => {
    await onCpu();
    const net = createNetwork(spec);
    randomizeWeights(net, 5, 0.3);
    const d = data();
    const g = gradients(net, d);
    const vars = net.namedVariables();
    const rng = new Rng(3);
    const eps = 1e-2;
    for (const name of CHECKED[kind]!) {
      const v = vars[name]!;
      const gv = g[name]!;
      const scale = Math.max(...Array.from(gv, Math.abs));
      expect(scale, `${name}: gradient is not trivially zero`).toBeGreaterThan(1e-3);
      const argmax = gv.findIndex((q) => Math.abs(q) === scale);
      for (const i of [argmax, rng.int(gv.length)]) {
        const values = v.dataSync().slice();
        const keep = values[i]!;
        const at = (w: number): number => {
          values[i] = w;
          tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
          return loss64(net, d);
        };
        const fd = (at(keep + eps) - at(keep - eps)) / (2 * eps);
        at(keep);
        expect(Math.abs(fd - gv[i]!), `${kind} ${name}[${i}]: tape ${gv[i]}, fd ${fd}`).toBeLessThan(1e-2 * scale + 1e-3);
      }
    }
    net.dispose();
  });

  it('wasm: every variable’s gradient equals the cpu backend’s', async () => {
    const d = data();
    await onCpu();
    const cpuNet = createNetwork(spec);
    randomizeWeights(cpuNet, 6, 0.3);
    const w = cpuNet.getWeights();
    const want = gradients(cpuNet, d);
    cpuNet.dispose();
    await useBackend('wasm');
    const net = createNetwork(spec);
    net.setWeights(w);
    const got = gradients(net, d);
    for (const [name, gw] of Object.entries(want)) {
      const scale = Math.max(...Array.from(gw, Math.abs));
      expect(scale, name).toBeGreaterThan(0);
      let err = 0;
      for (let i = 0; i < gw.length; i++) err = Math.max(err, Math.abs(got[name]![i]! - gw[i]!));
      expect(err / scale, `${kind} ${name}`).toBeLessThan(1e-3);
    }
    net.dispose();
  });
});
