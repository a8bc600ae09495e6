import {
  backend_util,
  Concat,
  getKernel,
  registerKernel,
  SplitV,
  unregisterKernel,
  util,
  type ConcatAttrs,
  type KernelConfig,
  type KernelFunc,
  type SplitVAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { heapSimdModule, type HeapSimdModule } from './simd-module';
import { heapView, originalOf, tagWrapper, WASM, type KernelBackendLike } from './util';

/**
 * `Concat` and `SplitV` on wasm as row copies inside the wasm heap. tfjs-backend-wasm 4.22's `Concat` makes a
 * `subarray` view per row and input (~0.4 µs each: 39 ms for `[64,28,28,16] x 2` on the last axis, the U-Net's
 * skip connections), and its `SplitV` is one strided `Slice` per piece (67 ms for `[64,28,28,48] -> 32 + 16`).
 * Here every row segment is a `copyWithin` on one view of the whole heap: no allocation a row (an element loop for
 * rows of 16-48 floats measured slower, `bench/copies.mjs`). float32 and int32 only (4-byte elements); other dtypes
 * take the stock kernel.
 */

/** Kernels this file replaces. */
export const COPY_KERNELS = [Concat, SplitV] as const;

/** The heap as 32-bit integers: one monomorphic view for both dtypes, and bit-exact (no float NaN canonicalisation). */
type Heap = Int32Array;

let copies = 0;

/** How many `Concat` / `SplitV` calls the heap copies have run in this thread (a diagnostic: which path ran). */
export function heapCopyCount(): number {
  return copies;
}

/** One view of the whole wasm heap and `info`'s element offset in it. */
function heapAndOffset(backend: KernelBackendLike, info: TensorInfo): { heap: Heap; offset: number } {
  const view = heapView(backend, info);
  return { heap: new Int32Array(view.buffer), offset: view.byteOffset / 4 };
}

let useHeapModule = true;

/**
 * Copies strided rows with the SIMD kernels module instantiated on the wasm heap ({@link heapSimdModule}: one
 * `memory.copy` a row inside wasm, no JS call a row) where it is available (default on); off, or otherwise, a
 * `copyWithin` a row. Set by the plugin from the `wasmRowCopies` option.
 */
export function setWasmRowCopies(on: boolean): void {
  useHeapModule = on;
}

let wasmCopies = 0;

/** How many strided row copies (one a piece of a `Concat` / `SplitV`) ran inside wasm in this thread (a diagnostic: which path ran). */
export function wasmRowCopyCount(): number {
  return wasmCopies;
}

/** Copies `rows` segments of `len` elements from `src` (row stride `srcStride`) to `dst` (row stride `dstStride`), all in `heap` (whose wasm rows copier is `module`, or null). */
function copyRows(heap: Heap, module: HeapSimdModule | null, dst: number, dstStride: number, src: number, srcStride: number, rows: number, len: number): void {
  if (len === 0) return;
  if (rows === 1 || (len === srcStride && len === dstStride)) {
    heap.copyWithin(dst, src, src + rows * len);
    return;
  }
  if (module) {
    wasmCopies++;
    module.copyrows(4 * src, 4 * srcStride, 4 * dst, 4 * dstStride, rows, 4 * len);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s = src + r * srcStride;
    const d = dst + r * dstStride;
    heap.copyWithin(d, s, s + len);
  }
}

/** The wasm row copier on `backend`'s heap when switched on and available, else null. */
const rowCopier = (backend: KernelBackendLike): HeapSimdModule | null => (useHeapModule ? heapSimdModule(backend) : null);

const copyable = (t: TensorInfo): boolean => t.dtype === 'float32' || t.dtype === 'int32';

function concatWith(original: KernelConfig): KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every(copyable) || inputs.some((t) => t.dtype !== inputs[0]!.dtype)) return original.kernelFunc(args);
    const { axis: axisAttr } = (args.attrs ?? {}) as unknown as ConcatAttrs;
    const axis = util.parseAxisParam(axisAttr, inputs[0]!.shape)[0]!;
    const shapes = inputs.map((t) => t.shape);
    backend_util.assertParamsConsistent(shapes, axis);
    const nonEmpty = inputs.filter((t) => util.sizeFromShape(t.shape) > 0);
    if (nonEmpty.length < 2) return original.kernelFunc(args);
    const backend = args.backend as KernelBackendLike;
    const outShape = backend_util.computeOutShape(shapes, axis);
    const out = backend.makeOutput(outShape, inputs[0]!.dtype as 'float32' | 'int32');
    const rows = util.sizeFromShape(outShape.slice(0, axis));
    const widths = nonEmpty.map((t) => util.sizeFromShape(t.shape.slice(axis)));
    const total = widths.reduce((a, b) => a + b, 0);
    const { heap, offset: outBase } = heapAndOffset(backend, out);
    const module = rowCopier(backend);
    let column = 0;
    nonEmpty.forEach((t, i) => {
      const src = heapAndOffset(backend, t).offset;
      copyRows(heap, module, outBase + column, total, src, widths[i]!, rows, widths[i]!);
      column += widths[i]!;
    });
    copies++;
    return out;
  };
}

function splitVWith(original: KernelConfig): KernelFunc {
  return (args) => {
    const x = args.inputs.x;
    if (!x || !copyable(x) || util.sizeFromShape(x.shape) === 0) return original.kernelFunc(args);
    const { numOrSizeSplits, axis: axisAttr } = (args.attrs ?? {}) as unknown as SplitVAttrs;
    const axis = util.parseAxisParam(axisAttr, x.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, axis);
    const backend = args.backend as KernelBackendLike;
    const rows = util.sizeFromShape(x.shape.slice(0, axis));
    const inner = util.sizeFromShape(x.shape.slice(axis + 1));
    const total = x.shape[axis]! * inner;
    const outs = sizes.map((s) => {
      const shape = [...x.shape];
      shape[axis] = s;
      return backend.makeOutput(shape, x.dtype as 'float32' | 'int32');
    });
    // views after every allocation (growing the heap detaches earlier ones)
    const { heap, offset: src } = heapAndOffset(backend, x);
    const module = rowCopier(backend);
    let column = 0;
    outs.forEach((o, i) => {
      const width = sizes[i]! * inner;
      if (width > 0) copyRows(heap, module, heapAndOffset(backend, o).offset, width, src + column, total, rows, width);
      column += width;
    });
    copies++;
    return outs;
  };
}

/** Registers the heap-copy `Concat` and `SplitV` for wasm (idempotent; also when another copy of this package did). */
export function patchCopyKernels(): void {
  for (const [name, wrap] of [
    [Concat, concatWith],
    [SplitV, splitVWith],
  ] as const) {
    const current = getKernel(name, WASM);
    if (!current || originalOf(current)) continue;
    unregisterKernel(name, WASM);
    registerKernel({ ...current, kernelFunc: tagWrapper(wrap(current), current) });
  }
}

/** Puts the stock `Concat` and `SplitV` back (idempotent). */
export function unpatchCopyKernels(): void {
  for (const name of COPY_KERNELS) {
    const original = originalOf(getKernel(name, WASM));
    if (!original) continue;
    unregisterKernel(name, WASM);
    registerKernel(original);
  }
}
