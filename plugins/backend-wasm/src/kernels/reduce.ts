import { getKernel, Mean, registerKernel, Sum, unregisterKernel, util, type KernelConfig, type KernelFunc, type NamedAttrMap } from '@tensorflow/tfjs-core';
import { reserveFloats, simdModule } from './simd-module';
import { originalOf, tagWrapper, WASM, type KernelBackendLike } from './util';

/**
 * The wasm reductions rerouted when they reduce one contiguous block of axes that is not the last (`sum(dy, 0)`:
 * every bias gradient; `sum(dy, [1, 2])` of `[b, h, w, c]`: the gradient of a per-sample channel vector broadcast
 * over the image, e.g. the U-Net's time embedding). Stock wasm transposes the input so that the reduced axes come
 * last (1-2 ms for [1024, 256]; the row stride of 4 KiB aliases in cache) and then sums. Seen as
 * `[outer, rows, cols]` (the axes before, in and after the block; a middle block from 2 rows on, e.g. the 2x2
 * blocks of an upsampling's gradient), each `outer` slice's rows are added in order in float32 (slices copied in a
 * cache-sized group at a time): by the SIMD kernels module's `colsum` (f32x4 over the columns) where WebAssembly SIMD is available, else
 * by a JS loop on the wasm heap; both give the same bits.
 */
export const REDUCE_KERNELS = [Sum, Mean] as const;

/** Fewer reduced elements than this over leading axes: the stock kernel is as fast. */
const MIN_REDUCED = 16;

/** A middle block of fewer than {@link MIN_REDUCED} (but at least 2) rows is rerouted from this many input elements on (stock wasm transposes first). */
const MIN_MIDDLE_ELEMENTS = 4096;

/** Floats of input copied into the SIMD module at a time: whole outer slices, so that small slices cost one copy a group, not one each. */
const GROUP_FLOATS = 1 << 15;

let rerouted = 0;

/** How many `Sum` / `Mean` calls took the row-wise path in this thread (a diagnostic: which path ran). */
export function fastReductionCount(): number {
  return rerouted;
}

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
    const worthIt = p >= MIN_REDUCED || (outer > 1 && p >= 2 && outer * p * q >= MIN_MIDDLE_ELEMENTS);
    if (q === 0 || outer === 0 || !worthIt) return original.kernelFunc(args);
    const backend = args.backend as KernelBackendLike;
    const kept = x.shape.slice(0, first);
    const out = backend.makeOutput(attrs.keepDims ? [...kept, ...axes.map(() => 1), ...rest] : [...kept, ...rest], 'float32');
    // Views taken after the allocation (which may grow the heap).
    const src = backend.typedArrayFromHeap(x);
    const acc = backend.typedArrayFromHeap(out);
    const simd = simdModule();
    const slice = p * q;
    if (simd) {
      const group = Math.max(1, Math.min(outer, Math.floor(GROUP_FLOATS / slice)));
      const sums = group * slice;
      const mem = reserveFloats(simd, sums + group * q);
      for (let o0 = 0; o0 < outer; o0 += group) {
        const g = Math.min(group, outer - o0);
        mem.set(src.subarray(o0 * slice, (o0 + g) * slice), 0);
        for (let t = 0; t < g; t++) simd.colsum(4 * t * slice, 4 * (sums + t * q), p, q);
        acc.set(mem.subarray(sums, sums + g * q), o0 * q);
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
    rerouted++;
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
