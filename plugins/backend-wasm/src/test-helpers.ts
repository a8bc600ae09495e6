// Shared by the *.test.ts files (not part of the published build).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expect } from 'vitest';
import { registerAllGradients, setupWasmBackend, type WasmBackendOptions } from './index';
import { DENSE_SILU_KERNEL, SILU_BIAS_GRAD_KERNEL } from '@charlearn/core';

/** Deterministic uniform(-scale, scale) values. */
export function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** Runs `f` with `backend` current ('wasm' goes through the plugin's setup). */
export async function on<T>(backend: 'cpu' | 'wasm', f: () => T, options?: WasmBackendOptions): Promise<T> {
  if (backend === 'wasm') {
    await setupWasmBackend(options);
  } else {
    registerAllGradients();
    await tf.setBackend('cpu');
  }
  return f();
}

/** max |a - e| / max |e| (absolute when e is all ~0). */
export function relErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    num = Math.max(num, Math.abs(actual[i]! - expected[i]!));
    den = Math.max(den, Math.abs(expected[i]!));
  }
  return den > 1e-6 ? num / den : num;
}

/** max |a - e|. */
export function absErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let m = 0;
  for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(actual[i]! - expected[i]!));
  return m;
}

/** Tensors (engine) and data buffers (wasm heap) currently alive. */
export function liveCounts(): { tensors: number; dataIds: number } {
  return { tensors: tf.memory().numTensors, dataIds: tf.backend().numDataIds() };
}

/**
 * Central finite differences of a scalar function of `values` (float64 in
 * JS, each evaluation on the current backend), for the entries `indices`.
 */
export function finiteDiff(f: (v: Float32Array) => number, values: Float32Array, eps: number, indices?: readonly number[]): Float64Array {
  const idx = indices ?? Array.from(values, (_, i) => i);
  const out = new Float64Array(idx.length);
  idx.forEach((i, k) => {
    const plus = values.slice();
    const minus = values.slice();
    plus[i]! += eps;
    minus[i]! -= eps;
    out[k] = (f(plus) - f(minus)) / (2 * eps);
  });
  return out;
}

/** `SiLU(x W + b)` by the kernels, differentiable as nets' denseActivated wraps them. */
export const fusedDenseSilu = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  const [y, s] = tf.engine().runKernel(DENSE_SILU_KERNEL, { x, w, b }) as [tf.Tensor, tf.Tensor];
  save([x, w, y, s]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws, ys, ss] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const [dz, db] = tf.engine().runKernel(SILU_BIAS_GRAD_KERNEL, { dy, y: ys, s: ss }) as [tf.Tensor, tf.Tensor];
      return [tf.matMul(dz, ws, false, true), tf.matMul(xs, dz, true, false), db];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;
