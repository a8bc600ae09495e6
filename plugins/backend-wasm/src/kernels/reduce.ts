import { getKernel, Mean, registerKernel, Sum, unregisterKernel, util, type KernelConfig, type KernelFunc, type NamedAttrMap } from '@tensorflow/tfjs-core';
import { reserveFloats, simdModule } from './simd-module';
import { originalOf, tagWrapper, WASM, type KernelBackendLike } from './util';

/**
 * The wasm reductions rerouted when they reduce one contiguous block of axes that is not the last (`sum(dy, 0)`:
 * every bias gradient; `sum(dy, [1, 2])` of `[b, h, w, c]`: the gradient of a per-sample channel vector broadcast
 * over the image, e.g. the U-Net's time embedding). Stock wasm transposes the input so that the reduced axes come
 * last (1-2 ms for [1024, 256]; the row stride of 4 KiB aliases in cache) and then sums. Seen as
 * `[outer, rows, cols]` (the axes before, in and after the block), each `outer` slice's rows are added in order in
 * float32: by the SIMD kernels module's `colsum` (f32x4 over the columns) where WebAssembly SIMD is available, else
 * by a JS loop on the wasm heap; both give the same bits.
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
    const first = axes[0] ?? 0;
    if (k === 0 || first + k >= x.shape.length || axes.some((a, i) => a !== first + i)) return original.kernelFunc(args);
    const outer = util.sizeFromShape(x.shape.slice(0, first));
    const p = util.sizeFromShape(x.shape.slice(first, first + k));
    const rest = x.shape.slice(first + k);
    const q = util.sizeFromShape(rest);
    if (p < MIN_REDUCED || q === 0 || outer === 0) return original.kernelFunc(args);
    const backend = args.backend as KernelBackendLike;
    const kept = x.shape.slice(0, first);
    const out = backend.makeOutput(attrs.keepDims ? [...kept, ...axes.map(() => 1), ...rest] : [...kept, ...rest], 'float32');
    // Views taken after the allocation (which may grow the heap).
    const src = backend.typedArrayFromHeap(x);
    const acc = backend.typedArrayFromHeap(out);
    const simd = simdModule();
    const slice = p * q;
    if (simd) {
      const mem = reserveFloats(simd, slice + q);
      for (let o = 0; o < outer; o++) {
        mem.set(src.subarray(o * slice, (o + 1) * slice), 0);
        simd.colsum(0, 4 * slice, p, q);
        acc.set(mem.subarray(slice, slice + q), o * q);
      }
    } else {
      acc.fill(0);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < p; i++) {
          const row = o * slice + i * q;
          for (let j = 0; j < q; j++) acc[o * q + j]! += src[row + j]!;
        }
      }
    }
    if (mean) for (let j = 0; j < outer * q; j++) acc[j]! /= p;
    return out;
  };
  return { ...original, kernelFunc: tagWrapper(kernelFunc, original) };
}

/** Reroutes float32 `Sum` / `Mean` over a contiguous block of axes not ending at the last on wasm (see {@link REDUCE_KERNELS}). Idempotent. */
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
