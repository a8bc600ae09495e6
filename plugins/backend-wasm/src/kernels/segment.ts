import { getKernel, registerKernel, UnsortedSegmentSum, util, type KernelFunc, type UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';
import { heapView, WASM, type KernelBackendLike } from './util';

/**
 * `UnsortedSegmentSum` for wasm (missing in tfjs-backend-wasm 4.22; it is
 * the gradient of `gather`): `out[s, ...] = sum of x[i, ...] over i with
 * segmentIds[i] = s`, for x `[...idShape, ...inner]`, segmentIds `idShape`
 * (int32), out `[numSegments, ...inner]`. Ids outside `[0, numSegments)`
 * are dropped, as on the cpu backend. float32 and int32 `x`; one pass over
 * `x` on the wasm heap.
 */
export const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs;
  const { numSegments } = (attrs ?? {}) as unknown as UnsortedSegmentSumAttrs;
  const name = UnsortedSegmentSum;
  if (!x || !segmentIds) throw new Error(`@charlearn/backend-wasm: ${name} needs inputs 'x' and 'segmentIds'`);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`@charlearn/backend-wasm: ${name} on wasm supports x of dtype float32 or int32, got '${x.dtype}'`);
  if (segmentIds.dtype !== 'int32') throw new Error(`@charlearn/backend-wasm: ${name}: 'segmentIds' must be int32, got '${segmentIds.dtype}'`);
  const idRank = segmentIds.shape.length;
  if (segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`@charlearn/backend-wasm: ${name}: 'segmentIds' of shape [${segmentIds.shape.join(', ')}] must be a prefix of x's shape [${x.shape.join(', ')}]`);
  }
  if (!Number.isInteger(numSegments) || numSegments < 0) throw new Error(`@charlearn/backend-wasm: ${name}: 'numSegments' must be a non-negative integer, got ${numSegments}`);
  const inner = x.shape.slice(idRank);
  const q = util.sizeFromShape(inner);
  const n = util.sizeFromShape(segmentIds.shape);
  const b = backend as KernelBackendLike;
  const out = b.makeOutput([numSegments, ...inner], x.dtype);
  // Views taken after the allocation (which may grow the heap).
  const src = heapView(b, x);
  const ids = heapView(b, segmentIds);
  const acc = heapView(b, out);
  acc.fill(0);
  for (let i = 0; i < n; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const from = i * q;
    const to = s * q;
    for (let j = 0; j < q; j++) acc[to + j]! += src[from + j]!;
  }
  return out;
};

/** Kernels this module adds to wasm. */
export const SEGMENT_KERNELS = [UnsortedSegmentSum] as const;

/** Registers {@link unsortedSegmentSum} for wasm unless a kernel is already registered (idempotent, across ESM/CJS copies). */
export function registerSegmentKernels(): void {
  if (!getKernel(UnsortedSegmentSum, WASM)) registerKernel({ kernelName: UnsortedSegmentSum, backendName: WASM, kernelFunc: unsortedSegmentSum });
}
