/**
 * The reference code's U-Net, loaded here: fixtures written by
 * scripts/python/make_songunet_fixture.py from the reference network.py
 * (random weights, inputs and PyTorch outputs; numbers only). The raw
 * network, the Follmer denoiser D(x, t) and the two-time generator
 * g(t, s, x) match PyTorch to <= 1e-4 relative (float32).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { CheckpointError, follmer, readSafetensors, useBackend, type NamedArrays } from '@charlearn/core';
import { SongUnet, createNetwork, fromTorchStateDict, resolveSongUnetConfig, type NetworkSpec, type SongUnetConfig } from '@charlearn/nets';
import { beforeAll, describe, expect, it } from 'vitest';
import { characteristicMap, networkDenoiser } from './denoisers';
import { sampleFlowMap } from './sampling';

beforeAll(async () => {
  await useBackend('wasm');
});

const read = (name: string) => readSafetensors(new Uint8Array(readFileSync(new URL(`../fixtures/songunet/${name}.safetensors`, import.meta.url))));
const io = read('io').arrays;

/** NCHW (PyTorch) → NHWC (charlearn) as a tensor. */
function nhwc(a: { shape: number[]; values: Float32Array }): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(a.values, a.shape as [number, number, number, number]), [0, 2, 3, 1]));
}

/** max |a − b| / max |b| over all entries: the relative error of the whole output. */
function relativeError(ours: tf.Tensor, theirs: { shape: number[]; values: Float32Array }): number {
  const expected = nhwc(theirs);
  const a = ours.dataSync();
  const b = expected.dataSync();
  expected.dispose();
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

function load(name: 'teacher' | 'generator'): SongUnet {
  const { arrays, metadata } = read(name);
  const spec = resolveSongUnetConfig(JSON.parse(metadata['charlearn.network']!) as SongUnetConfig);
  return SongUnet.create(spec, fromTorchStateDict(arrays, spec));
}

const t = (a: NamedArrays[string]) => tf.tensor1d(a.values);

describe('the reference SongUNet (network.py of the paper code) in charlearn', () => {
  it('gives the raw network F and the Follmer denoiser D(x, t) of PyTorch to 1e-4 relative', () => {
    const net = load('teacher');
    const before = tf.memory().numTensors;
    const errors = tf.tidy(() => {
      const x = nhwc(io.x!);
      const tRef = t(io.t!);
      const f = net.apply(x, tf.mul(tRef, 999) as tf.Tensor1D);
      // charlearn time runs the other way (t = 1 data): t_charlearn = 1 − t_reference
      const d = networkDenoiser(net, follmer)(x, tf.sub(1, tRef) as tf.Tensor1D);
      return [relativeError(f, io.F!), relativeError(d, io.D!)];
    });
    expect(tf.memory().numTensors).toBe(before);
    console.log(`songunet teacher vs PyTorch: F max rel err ${errors[0]!.toExponential(2)}, D ${errors[1]!.toExponential(2)}`);
    expect(errors[0]).toBeLessThan(1e-4);
    expect(errors[1]).toBeLessThan(1e-4);
    net.dispose();
  });

  it('gives the two-time generator g(t, s, x) of PyTorch to 1e-4 relative', () => {
    const net = load('generator');
    const errors = tf.tidy(() => {
      const x = nhwc(io.x!);
      const [tRef, sRef] = [t(io.t!), t(io.s!)];
      const f2 = net.apply(x, tf.mul(tRef, 999) as tf.Tensor1D, tf.mul(sRef, 999) as tf.Tensor1D);
      const g = characteristicMap(net, follmer)(x, tf.sub(1, tRef) as tf.Tensor1D, tf.sub(1, sRef) as tf.Tensor1D);
      return [relativeError(f2, io.F2!), relativeError(g, io.g!)];
    });
    console.log(`songunet generator vs PyTorch: F(t, s) max rel err ${errors[0]!.toExponential(2)}, g(t, s, x) ${errors[1]!.toExponential(2)}`);
    expect(errors[0]).toBeLessThan(1e-4);
    expect(errors[1]).toBeLessThan(1e-4);
    net.dispose();
  });

  it('reads the F16 and BF16 copies PyTorch wrote as the float32 values torch rounds them to', () => {
    const { arrays, dtypes } = read('half');
    expect(dtypes).toEqual({ x_f16: 'F16', x_bf16: 'BF16' });
    const x = io.x!.values;
    let worst16 = 0;
    let worstB = 0;
    for (let i = 0; i < x.length; i++) {
      worst16 = Math.max(worst16, Math.abs(arrays.x_f16!.values[i]! - x[i]!) / Math.max(Math.abs(x[i]!), 2 ** -14));
      worstB = Math.max(worstB, Math.abs(arrays.x_bf16!.values[i]! - x[i]!) / Math.max(Math.abs(x[i]!), 2 ** -126));
    }
    expect(worst16).toBeLessThanOrEqual(2 ** -11); // half: 10 fraction bits, round to nearest
    expect(worstB).toBeLessThanOrEqual(2 ** -8); // bfloat16: 7 fraction bits
  });

  it('refuses a generator state dict for the one-time teacher, and a wrong shape naming the tensor', () => {
    const teacherSpec = resolveSongUnetConfig(JSON.parse(read('teacher').metadata['charlearn.network']!) as SongUnetConfig);
    expect(() => fromTorchStateDict(read('generator').arrays, teacherSpec)).toThrow(/tensor\(s\) this one-time songunet does not have: 'map_layer0_s.weight'/);
    const arrays = fromTorchStateDict(read('teacher').arrays, teacherSpec);
    const bad = { ...arrays, 'enc.8x8_conv.weight': { shape: [4, 2, 3, 1], values: new Float32Array(24) } };
    expect(() => SongUnet.create(teacherSpec, bad)).toThrow(CheckpointError);
    expect(() => SongUnet.create(teacherSpec, bad)).toThrow(/'enc.8x8_conv.weight' has shape \[4, 2, 3, 1\], expected \[4, 2, 3, 3\]/);
    const { 'dec.8x8_aux_conv.bias': _dropped, ...missing } = arrays;
    expect(() => SongUnet.create(teacherSpec, missing)).toThrow(/missing 'dec.8x8_aux_conv.bias'/);
  });

  it("matches the PyTorch port of charlearn's MLP that sample_generator.py uses (raw network and one step)", () => {
    const { arrays, metadata } = read('mlp');
    const net = createNetwork(JSON.parse(metadata['charlearn.network']!) as NetworkSpec);
    const weights = Object.fromEntries(Object.entries(arrays).filter(([k]) => !k.startsWith('io/')));
    net.setWeights(weights);
    const rel = (a: Float32Array, b: Float32Array) => {
      let err = 0;
      let scale = 0;
      for (let i = 0; i < b.length; i++) [err, scale] = [Math.max(err, Math.abs(a[i]! - b[i]!)), Math.max(scale, Math.abs(b[i]!))];
      return err / scale;
    };
    const [f, one] = tf.tidy(() => {
      const x = tf.tensor2d(arrays['io/x']!.values, [5, 3]);
      const f = net.apply(x, t(arrays['io/c']!), t(arrays['io/cs']!)).dataSync() as Float32Array;
      const one = sampleFlowMap(characteristicMap(net, follmer), x, 1, { eps0: 1e-3 }).dataSync() as Float32Array;
      return [f, one];
    });
    console.log(`mlp vs its PyTorch port: F max rel err ${rel(f, arrays['io/F']!.values).toExponential(2)}, one step ${rel(one, arrays['io/one_step']!.values).toExponential(2)}`);
    expect(rel(f, arrays['io/F']!.values)).toBeLessThan(1e-4);
    expect(rel(one, arrays['io/one_step']!.values)).toBeLessThan(1e-4);
    net.dispose();
  });
});
