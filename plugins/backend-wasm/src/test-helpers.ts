// Shared by the *.test.ts files (not part of the published build).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expect } from 'vitest';
import { registerAllGradients, setupWasmBackend, type WasmBackendOptions } from './index';

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
