import { Add, backend_util, getKernel, registerKernel, unregisterKernel, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { reserveFloats, simdModule } from './simd-module';
import { originalOf, tagWrapper, WASM, type KernelBackendLike } from './util';

/**
 * Float32 `Add` on wasm when one operand is broadcast over a middle block of the other's axes: a bias `[c]` added to
 * `[b, h, w, c]` (every convolution's and linear layer's bias), a per-sample vector `[b, 1, 1, c]` added to
 * `[b, h, w, c]` (the U-Net's time embedding). Stock wasm runs these on its generic broadcasting path (~2x a
 * same-shape add). Seen as `[outer, rows, cols]` + `[outer, 1, cols]`, they are the SIMD kernels module's `addcols`
 * (f32x4 over the columns), a cache-sized chunk of rows copied in and out at a time. Float addition is commutative,
 * so the bits are the stock kernel's.
 */

/** Floats of a chunk of rows (64 KiB: the copies in and out stay in cache). */
const CHUNK = 1 << 14;

/** Outputs smaller than this keep the stock kernel (fixed costs). */
const MIN_ELEMENTS = 4096;

/** A broadcast of `small` over a middle block of `full`'s axes, as `[outer, rows, cols]` (`small` is `[outer, 1, cols]`). */
export interface MiddleBroadcast {
  readonly outer: number;
  readonly rows: number;
  readonly cols: number;
}

/**
 * How `small` broadcasts over `full` (the output's shape) when it is a middle-axes broadcast: `small`, padded with
 * leading 1s to `full`'s rank, equals `full` on a leading block of axes, is 1 on the next block, and equals `full`
 * on the rest. Null for any other pattern, or when nothing is broadcast (`rows` 1).
 */
export function middleBroadcast(full: readonly number[], small: readonly number[]): MiddleBroadcast | null {
  const rank = full.length;
  if (small.length > rank) return null;
  const s = [...new Array<number>(rank - small.length).fill(1), ...small];
  let i = 0;
  let outer = 1;
  for (; i < rank && s[i] === full[i]; i++) outer *= full[i]!;
  let rows = 1;
  for (; i < rank && s[i] === 1; i++) rows *= full[i]!;
  let cols = 1;
  for (; i < rank && s[i] === full[i]; i++) cols *= full[i]!;
  return i === rank && rows > 1 ? { outer, rows, cols } : null;
}

let added = 0;

/** How many `Add` calls the SIMD broadcast path has run in this thread (a diagnostic: which path ran). */
export function broadcastAddCount(): number {
  return added;
}

function wrap(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs as Record<string, TensorInfo | undefined>;
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return original.kernelFunc(args);
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const [full, small] = util.arraysEqual(a.shape, outShape) ? [a, b] : util.arraysEqual(b.shape, outShape) ? [b, a] : [null, null];
    if (!full || !small) return original.kernelFunc(args);
    const shape = middleBroadcast(full.shape, small.shape);
    const simd = simdModule();
    if (!shape || !simd || shape.cols % 4 !== 0 || util.sizeFromShape(outShape) < MIN_ELEMENTS) return original.kernelFunc(args);
    const { outer, rows, cols } = shape;
    const backend = args.backend as KernelBackendLike;
    const out = backend.makeOutput([...outShape], 'float32');
    // Views taken after the allocation (which may grow the heap).
    const [F, V, O] = [full, small, out].map((t) => backend.typedArrayFromHeap(t)) as [Float32Array, Float32Array, Float32Array];
    const chunkRows = Math.max(1, Math.floor(CHUNK / cols));
    const mem = reserveFloats(simd, cols + chunkRows * cols);
    for (let o = 0; o < outer; o++) {
      mem.set(V.subarray(o * cols, (o + 1) * cols), 0);
      for (let r = 0; r < rows; r += chunkRows) {
        const n = Math.min(chunkRows, rows - r);
        const start = (o * rows + r) * cols;
        mem.set(F.subarray(start, start + n * cols), cols);
        simd.addcols(4 * cols, 0, 4 * cols, n, cols);
        O.set(mem.subarray(cols, cols + n * cols), start);
      }
    }
    added++;
    return out;
  };
  return { ...original, kernelFunc: tagWrapper(kernelFunc, original) };
}

/** Reroutes float32 middle-axes broadcast `Add` on wasm (see {@link middleBroadcast}). Idempotent. */
export function patchBroadcastAdd(): void {
  const current = getKernel(Add, WASM);
  if (!current || originalOf(current)) return;
  unregisterKernel(Add, WASM);
  registerKernel(wrap(current));
}

/** Puts the stock wasm `Add` back. Idempotent. */
export function unpatchBroadcastAdd(): void {
  const original = originalOf(getKernel(Add, WASM));
  if (!original) return;
  unregisterKernel(Add, WASM);
  registerKernel(original);
}
