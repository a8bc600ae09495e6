// Forward pass and gradients of the MLP against an independent float64
// reference (test-helpers.ts): apply() must equal the reference, and the
// tfjs gradient of a scalar loss w.r.t. every variable must equal central
// finite differences of the reference (float64, eps 1e-6), on wasm and cpu.
// Measured errors are ~1e-6 relative; a 1% error in the SiLU gradient gives
// ~2e-2, so the 1e-4 bound has room on both sides.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { registerAllGradients } from '@charlearn/backend-wasm';
import { Rng, useBackend } from '@charlearn/core';
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, createMlp, type Activation } from './index';
import { randomizeWeights, referenceMlp } from './test-helpers';

const BATCH = 4;
const DIM = 3;

async function select(backend: 'wasm' | 'cpu'): Promise<void> {
  if (backend === 'wasm') await useBackend('wasm');
  else {
    registerAllGradients();
    await tf.setBackend('cpu');
  }
}

function inputs(seed: number) {
  const rng = new Rng(seed);
  return {
    x: rng.normalArray(BATCH * DIM),
    c: rng.uniformArray(BATCH, 0, 999),
    cs: rng.uniformArray(BATCH, 0, 999),
    r: rng.normalArray(BATCH * DIM),
  };
}

/** L = Σ r·F + ½ Σ F², in float64 from the outputs. */
function lossOf(f: ArrayLike<number>, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < f.length; i++) s += r[i]! * f[i]! + 0.5 * f[i]! * f[i]!;
  return s;
}

/** max |a − e| / max |e|. */
function relErr(a: ArrayLike<number>, e: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < e.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - e[i]!));
    den = Math.max(den, Math.abs(e[i]!));
  }
  return num / Math.max(den, 1e-6);
}

const cases: Array<['wasm' | 'cpu', Activation]> = [
  ...ACTIVATIONS.map((a): ['wasm', Activation] => ['wasm', a]),
  ['cpu', 'silu'],
  ['cpu', 'gelu'],
];

describe.each(cases)('MLP on %s with %s', (backend, activation) => {
  const spec = { dim: DIM, hidden: [5, 4], activation, timeEmbeddingDim: 4, timeHidden: 3, twoTime: true, seed: 3 } as const;

  it('forward equals the float64 reference (one-time and two-time)', async () => {
    await select(backend);
    for (const twoTime of [false, true]) {
      const net = createMlp({ ...spec, twoTime });
      randomizeWeights(net, 11);
      const { x, c, cs } = inputs(5);
      const got = tf.tidy(() => net.apply(tf.tensor2d(x, [BATCH, DIM]), tf.tensor1d(c), twoTime ? tf.tensor1d(cs) : undefined).dataSync());
      const want = referenceMlp(net.config as never, net.getWeights(), x, c, twoTime ? cs : undefined);
      expect(relErr(got, want)).toBeLessThan(activation === 'gelu' ? 1e-4 : 2e-5);
      net.dispose();
    }
  });

  it('gradient w.r.t. every variable equals central differences', async () => {
    await select(backend);
    const net = createMlp(spec);
    randomizeWeights(net, 12);
    const { x, c, cs, r } = inputs(6);
    const xt = tf.tensor2d(x, [BATCH, DIM]);
    const [ct, cst, rt] = [tf.tensor1d(c), tf.tensor1d(cs), tf.tensor2d(r, [BATCH, DIM])];
    const { value, grads } = tf.variableGrads(() => {
      const f = net.apply(xt, ct, cst);
      return tf.sum(tf.add(tf.mul(rt, f), tf.mul(0.5, tf.square(f))));
    }, net.trainableVariables());
    const weights = net.getWeights();
    const w64: Record<string, { shape: number[]; values: Float64Array }> = {};
    for (const [k, v] of Object.entries(weights)) w64[k] = { shape: v.shape, values: Float64Array.from(v.values) };
    const L = (): number => lossOf(referenceMlp(net.config as never, w64, x, c, cs), r);
    expect(value.dataSync()[0]).toBeCloseTo(L(), 3);
    const eps = 1e-6;
    const named = net.namedVariables();
    expect(Object.keys(named).length).toBe(12);
    for (const [name, v] of Object.entries(named)) {
      const g = grads[v.name]!.dataSync();
      const vals = w64[name]!.values;
      const fd = new Float64Array(vals.length);
      for (let i = 0; i < vals.length; i++) {
        const keep = vals[i]!;
        vals[i] = keep + eps;
        const up = L();
        vals[i] = keep - eps;
        const down = L();
        vals[i] = keep;
        fd[i] = (up - down) / (2 * eps);
      }
      expect(Math.max(...Array.from(fd, Math.abs)), `${name}: gradient is not trivially zero`).toBeGreaterThan(1e-4);
      expect(relErr(g, fd), `${backend} ${activation} ${name}`).toBeLessThan(1e-4);
    }
    tf.dispose([value, ...Object.values(grads), xt, ct, cst, rt]);
    net.dispose();
  });
});
