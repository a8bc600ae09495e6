import { getKernel, Mean, registerKernel, Sum, unregisterKernel, util, type KernelConfig, type KernelFunc, type NamedAttrMap } from '@tensorflow/tfjs-core';
import { reserveFloats, simdModule } from './simd-module';
import { originalOf, tagWrapper, WASM, type KernelBackendLike } from './util';

/**
 * The wasm reductions rerouted when they reduce a leading block of axes
 * (`sum(dy, 0)`: every bias gradient). Stock wasm transposes the input so
 * that the reduced axes come last (1-2 ms for [1024, 256]; the row stride
 * of 4 KiB aliases in cache) and then sums. The rows are added in order in
 * float32: by the SIMD kernels module's `colsum` (f32x4 over the columns) where
 * WebAssembly SIMD is available, else by a JS loop on the wasm heap; both give
 * the same bits.
 */
export const REDUCE_KERNELS = [Sum, Mean] as const;

/** Fewer reduced elements than this: the stock kernel is as fast. */
const MIN_REDUCED = 16;

function wrap(original: KernelConfig, mean: boolean): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x;
    const attrs = (args.attrs ?? {}) as NamedAttrMap & { axis?: number | number[]; keepDims?: boolean };
    if (!x || x.dtype !== 'float32' || x.shape.length < 2) return original.kernelFunc(args);
    const axes = util.parseAxisParam(attrs.axis ?? x.shape.map((_, i) => i), x.shape).sort((a, b) => a - b);
    const k = axes.length;
    if (k === 0 || k >= x.shape.length || axes.some((a, i) => a !== i)) return original.kernelFunc(args);
    const p = util.sizeFromShape(x.shape.slice(0, k));
    const rest = x.shape.slice(k);
    const q = util.sizeFromShape(rest);
    if (p < MIN_REDUCED || q === 0) return original.kernelFunc(args);
    const backend = args.backend as KernelBackendLike;
    const out = backend.makeOutput(attrs.keepDims ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest, 'float32');
    // Views taken after the allocation (which may grow the heap).
    const src = backend.typedArrayFromHeap(x);
    const acc = backend.typedArrayFromHeap(out);
    const simd = simdModule();
    if (simd) {
      const mem = reserveFloats(simd, p * q + q);
      mem.set(src.subarray(0, p * q), 0);
      simd.colsum(0, 4 * p * q, p, q);
      acc.set(mem.subarray(p * q, p * q + q));
    } else {
      acc.fill(0);
      for (let i = 0; i < p; i++) {
        const row = i * q;
        for (let j = 0; j < q; j++) acc[j]! += src[row + j]!;
      }
    }
    if (mean) for (let j = 0; j < q; j++) acc[j]! /= p;
    return out;
  };
  return { ...original, kernelFunc: tagWrapper(kernelFunc, original) };
}

/** Reroutes leading-axes float32 `Sum` / `Mean` on wasm (see {@link REDUCE_KERNELS}). Idempotent. */
export function patchReduceKernels(): void {
  for (const name of REDUCE_KERNELS) {
    const current = getKernel(name, WASM);
    if (!current || originalOf(current)) continue;
    unregisterKernel(name, WASM);
    registerKernel(wrap(current, name === Mean));
  }
}

/** Puts the stock wasm `Sum` / `Mean` back. Idempotent. */
export function unpatchReduceKernels(): void {
  for (const name of REDUCE_KERNELS) {
    const original = originalOf(getKernel(name, WASM));
    if (!original) continue;
    unregisterKernel(name, WASM);
    registerKernel(original);
  }
}
