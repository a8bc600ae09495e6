import type { TensorInfo } from '@tensorflow/tfjs-core';
import { heapGemmModule, relaxedSimdModule, reserveFloats, simdModule, type HeapGemmModule, type SimdModule } from './simd-module';
import { transposeLastTwo, type KernelBackendLike } from './util';

/**
 * charlearn's float32 matrix product for the wasm backend: a register-blocked 128-bit SIMD microkernel in
 * charlearn's SIMD kernels module (`simd-module.ts`): 6 x 8 with relaxed SIMD's fused multiply-add where the runtime
 * has it (and {@link setGemmRelaxedSimd} allows it), else 4 x 8 with a multiply then an add (whose sums are XNNPACK's
 * bit for bit). It reads the left operand in place when it is row-major (a
 * transposed one is first packed into 4-row blocks), packs the right one into 8-column panels (transposed or not;
 * the packing runs in the same module) and writes the result row-major, so every `transposeA` / `transposeB`
 * combination runs at the same speed with no transpose materialised. Used by the `BatchMatMul` wrapper of
 * `matmul.ts` for products with at least {@link GEMM_MIN_COLUMNS} output columns and inner dimension; measured
 * 1.3x XNNPACK's speed on the teacher step's products (docs/profile-steps.md,
 * `node plugins/backend-wasm/bench/matmul-gflops.mjs`).
 */

/** Output columns (and inner dimension) from which the GEMM is used (narrower products waste most of an 8-wide panel). */
export const GEMM_MIN_COLUMNS = 8;

const COLS = 8;

let products = 0;
let allowRelaxed = true;

/**
 * Whether the GEMM may use the relaxed-SIMD module's fused multiply-add microkernel (~1.45x the GFLOP/s; sums then
 * differ from XNNPACK's at float32 rounding). Default true; the plugin's `relaxedSimd` option sets it.
 */
export function setGemmRelaxedSimd(allow: boolean): void {
  allowRelaxed = allow;
}

/** The kernels module the GEMM runs on now (also the shifted-GEMM filter gradient's), or null without WebAssembly SIMD. */
export function gemmModule(): SimdModule | null {
  return (allowRelaxed ? relaxedSimdModule() : null) ?? simdModule();
}

/** Whether the GEMM's products are computed with fused multiply-adds (relaxed SIMD) in this thread now. */
export function gemmFusedMultiplyAdd(): boolean {
  return gemmModule()?.fused ?? false;
}

/** How many products the GEMM has computed in this thread (a diagnostic: which path a product took). */
export function gemmProductCount(): number {
  return products;
}

let heapProducts = 0;
let useHeap = true;

/**
 * Whether the GEMM runs on the tfjs heap itself where it can (the single-threaded binary: its module instantiated on
 * that memory), reading the operands in place and writing the product straight into the output tensor, instead of
 * copying both operands into the module's own memory and the product back. Same microkernel, same sums: the results
 * are bitwise those of the copying path. Default true; the plugin's `gemmOnHeap` option sets it.
 */
export function setGemmOnHeap(on: boolean): void {
  useHeap = on;
}

/** How many products the GEMM has computed in place on the tfjs heap in this thread (a diagnostic). */
export function gemmHeapProductCount(): number {
  return heapProducts;
}

/**
 * The GEMM's module instantiated on `backend`'s heap, the same build as {@link gemmModule} (so the same sums), or
 * null: `gemmOnHeap` off, no SIMD, or a heap this module cannot import (the threaded binary's shared memory).
 */
export function gemmHeapModule(backend: unknown): HeapGemmModule | null {
  if (!useHeap) return null;
  const module = gemmModule();
  if (!module) return null;
  const heap = heapGemmModule(backend, module.fused);
  return heap && heap.rows === module.rows && heap.fused === module.fused ? heap : null;
}

/** Whether this runtime can run the GEMM (WebAssembly with 128-bit SIMD). */
export function gemmAvailable(): boolean {
  return simdModule() !== null;
}

const product = (xs: readonly number[]): number => xs.reduce((p, d) => p * d, 1);

/** Output batch dimensions of a batched product, or null when they are neither equal nor one side's alone. */
function batchShape(aShape: readonly number[], bShape: readonly number[]): number[] | null {
  const ba = aShape.slice(0, -2);
  const bb = bShape.slice(0, -2);
  const na = product(ba);
  const nb = product(bb);
  if (ba.length === bb.length && ba.every((d, i) => d === bb[i])) return ba;
  if (nb === 1 && ba.length >= bb.length) return ba;
  if (na === 1 && bb.length >= ba.length) return bb;
  return null;
}

/**
 * Packs the last, partial panel of `width` columns (`cols % width` of them; zeros after) of a row-major
 * `[rows, cols]` matrix at `src[base..]` into `dst[offset..]` (rows x width floats), or, with `transposed`, of the
 * matrix stored `[cols, rows]`. The full panels are packed in wasm.
 */
function packTail(dst: Float32Array, offset: number, src: Float32Array, base: number, rows: number, cols: number, width: number, transposed: boolean): void {
  const j0 = Math.floor(cols / width) * width;
  const w = cols - j0;
  if (w === 0) return;
  dst.fill(0, offset, offset + rows * width);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < w; c++) dst[offset + r * width + c] = transposed ? src[base + (j0 + c) * rows + r]! : src[base + r * cols + j0 + c]!;
  }
}

/** Rounds a float offset up to a multiple of 4 (16-byte alignment in the module's memory). */
const align4 = (floats: number): number => Math.ceil(floats / 4) * 4;

/** Where {@link gemmIntoModule} left its product in the module's memory (offsets in floats). */
export interface ModuleProduct {
  /** The product `[rows, ldc]`, row-major: its first `m` rows and `n` columns are `a @ b`, the rest zeros or junk. */
  readonly c: number;
  /** Floats a row: `n` rounded up to a multiple of 8 (a multiple of 4 is what an epilogue over it needs). */
  readonly ldc: number;
  /** Rows written (`m` rounded up to the microkernel's block height). */
  readonly rows: number;
  /** The first float offset after the product, 16-byte aligned (free for the caller's buffers). */
  readonly end: number;
}

/**
 * `a @ b` for row-major float32 `a [m, k]` and `b [k, n]` on the wasm heap, computed into the GEMM module's memory
 * and left there (no copy back), for a caller that runs an epilogue on it in the same module (the fused dense
 * layer). Needs `k, n >= GEMM_MIN_COLUMNS` (the caller checks) and the module of {@link gemmModule}.
 */
export function gemmIntoModule(backend: KernelBackendLike, module: SimdModule, a: TensorInfo, b: TensorInfo): ModuleProduct {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const ROWS = module.rows;
  const panels = Math.ceil(n / COLS);
  const blocks = Math.ceil(m / ROWS);
  const ldc = panels * COLS;
  const bRaw = align4(m * k);
  const bPacked = align4(bRaw + k * n);
  const c = align4(bPacked + panels * k * COLS);
  const end = c + blocks * ROWS * ldc;
  const mem = reserveFloats(module, end);
  mem.set(backend.typedArrayFromHeap(a), 0);
  mem.set(backend.typedArrayFromHeap(b), bRaw);
  module.panels8(bRaw * 4, bPacked * 4, k, n);
  packTail(mem, bPacked + Math.floor(n / COLS) * k * COLS, mem, bRaw, k, n, COLS, false);
  products += 1;
  module.gemm(0, 4 * k, 4, bPacked * 4, c * 4, blocks, panels, k, ldc * 4);
  return { c, ldc, rows: blocks * ROWS, end };
}

/**
 * Inner dimension from which `aᵀ @ b` (both rank 2, `b` not transposed) runs in cache-sized chunks of `k`
 * ({@link longInnerProduct}): the weight gradients of 1x1 convolutions over whole images (`k = b·h·w`, 50,176 for
 * the U-Net's 28x28 at batch 64).
 */
export const LONG_K = 8192;

let longProducts = 0;
let useLongInner = true;

/** Whether long-`k` products `aᵀ @ b` run in cache-sized `k`-chunks ({@link LONG_K}; default true). The plugin's `gemmLongInner` option sets it. */
export function setGemmLongInner(on: boolean): void {
  useLongInner = on;
}

/** How many products the chunked long-`k` path ({@link longInnerProduct}) has computed in this thread (a diagnostic). */
export function gemmLongInnerCount(): number {
  return longProducts;
}

/** Floats of one `k`-chunk's raw and packed operands together (~512 KiB: they stay in L2 between copy, pack and product). */
const CHUNK_FLOATS = 1 << 17;

/**
 * `aᵀ @ b` for `a [k, m]`, `b [k, n]` with a long inner dimension, chunk by chunk of `kc` rows of both: copy the
 * chunks in, pack them (`panelsRows`, `panels8`), multiply into a tile, and add the tile to a float64 accumulator.
 * The one-pass path copies and packs both whole operands before streaming each packed panel once per row block, which
 * for `k` in the tens of thousands runs from memory (~10 GFLOP/s on `[50176, 32]ᵀ @ [50176, 16]`); here every
 * chunk is read from the tfjs heap once and then used from cache. The sums differ from the one-pass path's in
 * float32 rounding (the chunks' partial sums are added in float64). The caller owns the result.
 */
function longInnerProduct(backend: KernelBackendLike, module: SimdModule, a: TensorInfo, b: TensorInfo, m: number, k: number, n: number): TensorInfo {
  const ROWS = module.rows;
  const panels = Math.ceil(n / COLS);
  const blocks = Math.ceil(m / ROWS);
  const ldc = panels * COLS;
  const kc = Math.max(COLS, Math.floor(CHUNK_FLOATS / (m + blocks * ROWS + n + ldc)));
  // floats: raw A chunk | packed A chunk | raw B chunk | packed B chunk | C tile
  const aRaw = 0;
  const aPacked = aRaw + kc * m + 16;
  const bRaw = aPacked + blocks * kc * ROWS + 16;
  const bPacked = bRaw + kc * n + 16;
  const cOffset = bPacked + panels * kc * COLS;
  const mem = reserveFloats(module, cOffset + blocks * ROWS * ldc);
  const out = backend.makeOutput([m, n], 'float32');
  // views after the allocation (which may grow the heap)
  const [A, B, O] = [a, b, out].map((t) => backend.typedArrayFromHeap(t)) as [Float32Array, Float32Array, Float32Array];
  const acc = new Float64Array(m * n);
  for (let k0 = 0; k0 < k; k0 += kc) {
    const len = Math.min(kc, k - k0);
    mem.set(A.subarray(k0 * m, (k0 + len) * m), aRaw);
    mem.set(B.subarray(k0 * n, (k0 + len) * n), bRaw);
    module.panelsRows(aRaw * 4, aPacked * 4, len, m);
    packTail(mem, aPacked + Math.floor(m / ROWS) * len * ROWS, mem, aRaw, len, m, ROWS, false);
    module.panels8(bRaw * 4, bPacked * 4, len, n);
    packTail(mem, bPacked + Math.floor(n / COLS) * len * COLS, mem, bRaw, len, n, COLS, false);
    for (let ib = 0; ib < blocks; ib++) module.gemm((aPacked + ib * len * ROWS) * 4, 4, 4 * ROWS, bPacked * 4, (cOffset + ib * ROWS * ldc) * 4, 1, panels, len, ldc * 4);
    for (let i = 0; i < m; i++) {
      const row = cOffset + i * ldc;
      for (let j = 0; j < n; j++) acc[i * n + j]! += mem[row + j]!;
    }
  }
  O.set(acc);
  products++;
  longProducts++;
  return out;
}

/** What {@link heapMatMul} computes: `op(a) @ op(b)` over `batchDims`, `op(a)` `[m, k]`, `op(b)` `[k, n]`. */
interface HeapProductShape {
  readonly batchDims: readonly number[];
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

/**
 * The GEMM in place on the tfjs heap: `a` and `b` are read where they are, the right operand packed (and a
 * transposed left one) into a scratch tensor, and the full row blocks written straight into the output when `n` is
 * a multiple of 8 (else through a padded scratch product, copied row by row). The last, partial row block is
 * computed from a zero-padded copy of its rows into a scratch tile, so that nothing past `a` is read or past the
 * output written. Row by row the sums are those of the copying path in {@link gemmMatMul} (a row's result depends on
 * that row of `a` alone). The caller owns the result; the scratch is freed on return and on error.
 */
export function heapMatMul(backend: KernelBackendLike, heap: HeapGemmModule, a: TensorInfo, b: TensorInfo, shape: HeapProductShape): TensorInfo {
  const { batchDims, m, k, n, transposeA, transposeB } = shape;
  const ROWS = heap.rows;
  const batch = product(batchDims);
  const batchA = product(a.shape.slice(0, -2));
  const batchB = product(b.shape.slice(0, -2));
  const panels = Math.ceil(n / COLS);
  const ldc = panels * COLS;
  const blocks = Math.ceil(m / ROWS);
  const fullBlocks = Math.floor(m / ROWS);
  const tailRows = m - fullBlocks * ROWS;
  const direct = ldc === n;
  // scratch floats: packed B | packed A (transposed A only) | A's tail rows (row-major A with a partial block) | C
  const bPacked = 0;
  const aPacked = align4(bPacked + batchB * panels * k * COLS);
  const aTail = align4(aPacked + (transposeA ? batchA * blocks * k * ROWS : 0));
  const cAt = align4(aTail + (!transposeA && tailRows ? ROWS * k : 0));
  const cFloats = direct ? (tailRows ? ROWS * ldc : 0) : blocks * ROWS * ldc;
  const out = backend.makeOutput([...batchDims, m, n], 'float32');
  let scratch: TensorInfo | undefined;
  try {
    scratch = backend.makeOutput([cAt + cFloats + 4], 'float32');
    // views after both allocations (growing the heap detaches earlier ones); float offsets into the whole heap
    const mem = new Float32Array(heap.memory.buffer);
    const at = (t: TensorInfo): number => backend.typedArrayFromHeap(t).byteOffset / 4;
    const [A, B, O] = [at(a), at(b), at(out)] as [number, number, number];
    const S = Math.ceil(at(scratch) / 4) * 4; // 16-byte aligned inside the scratch (4 floats of slack)
    for (let t = 0; t < batchB; t++) {
      const src = B + t * k * n;
      const dst = S + bPacked + t * panels * k * COLS;
      if (transposeB) heap.gather8(src * 4, dst * 4, n, k);
      else heap.panels8(src * 4, dst * 4, k, n);
      packTail(mem, dst + Math.floor(n / COLS) * k * COLS, mem, src, k, n, COLS, transposeB);
    }
    if (transposeA) {
      for (let t = 0; t < batchA; t++) {
        const src = A + t * k * m;
        const dst = S + aPacked + t * blocks * k * ROWS;
        heap.panelsRows(src * 4, dst * 4, k, m);
        packTail(mem, dst + fullBlocks * k * ROWS, mem, src, k, m, ROWS, false);
      }
    }
    products += batch;
    heapProducts += batch;
    for (let t = 0; t < batch; t++) {
      const bBase = S + bPacked + (batchB > 1 ? t * panels * k * COLS : 0);
      const outBase = O + t * m * n;
      // where row block ib goes: the output itself (direct) or the padded scratch product; the partial block: a tile
      const cFull = direct ? outBase : S + cAt;
      const tile = direct ? S + cAt : S + cAt + fullBlocks * ROWS * ldc;
      if (transposeA) {
        // packed ROWS-row blocks: row r of block ib at +4r bytes, the next k at +4 ROWS bytes, the next block at +4 ROWS k bytes
        const aBase = S + aPacked + (batchA > 1 ? t * blocks * k * ROWS : 0);
        for (let ib = 0; ib < blocks; ib++) {
          const c = ib < fullBlocks ? cFull + ib * ROWS * ldc : tile;
          heap.gemm((aBase + ib * k * ROWS) * 4, 4, 4 * ROWS, bBase * 4, c * 4, 1, panels, k, ldc * 4);
        }
      } else {
        const aBase = A + (batchA > 1 ? t * m * k : 0);
        if (fullBlocks) heap.gemm(aBase * 4, 4 * k, 4, bBase * 4, cFull * 4, fullBlocks, panels, k, ldc * 4);
        if (tailRows) {
          const rowsAt = aBase + fullBlocks * ROWS * k;
          mem.copyWithin(S + aTail, rowsAt, rowsAt + tailRows * k);
          mem.fill(0, S + aTail + tailRows * k, S + aTail + ROWS * k);
          heap.gemm((S + aTail) * 4, 4 * k, 4, bBase * 4, tile * 4, 1, panels, k, ldc * 4);
        }
      }
      if (direct) {
        if (tailRows) mem.copyWithin(outBase + fullBlocks * ROWS * n, tile, tile + tailRows * n);
      } else {
        for (let i = 0; i < m; i++) mem.copyWithin(outBase + i * n, S + cAt + i * ldc, S + cAt + i * ldc + n);
      }
    }
    return out;
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  } finally {
    if (scratch) backend.disposeData(scratch.dataId);
  }
}

/**
 * `op(a) @ op(b)` for float32 tensors on the wasm heap (`op` a transpose of the last two axes when the flag is set),
 * batch dimensions equal or on one side only. Returns null when the product is not one the GEMM runs (fewer than
 * {@link GEMM_MIN_COLUMNS} output columns, unless the left operand is transposed and the result has that many
 * rows: then it computes the transposed product; broadcast batch dimensions; no SIMD): the caller runs the stock
 * kernel.
 * The caller owns the result.
 */
export function gemmMatMul(backend: KernelBackendLike, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  // an inner dimension under 8 (the input layer of a 2-D MLP) is mostly writing the result: the stock kernel is as fast
  if (k !== kb || m === 0 || k < GEMM_MIN_COLUMNS) return null;
  if (n < GEMM_MIN_COLUMNS) {
    // a narrow result of a transposed left operand (the weight gradient hᵀ dy of a narrow layer): compute
    // Cᵀ = op(B)ᵀ op(A)ᵀ, whose right operand op(A)ᵀ is A itself, packed by the fast 8-column packer
    if (!transposeA || m < GEMM_MIN_COLUMNS) return null;
    const ct = gemmMatMul(backend, b, a, !transposeB, false);
    if (!ct) return null;
    try {
      return transposeLastTwo(backend, ct);
    } finally {
      backend.disposeData(ct.dataId);
    }
  }
  if (useLongInner && transposeA && !transposeB && ra === 2 && rb === 2 && k >= LONG_K) {
    const module = gemmModule();
    return module ? longInnerProduct(backend, module, a, b, m, k, n) : null;
  }
  const batchDims = batchShape(a.shape, b.shape);
  if (!batchDims) return null;
  const module = gemmModule();
  if (!module) return null;
  const heap = gemmHeapModule(backend);
  if (heap) return heapMatMul(backend, heap, a, b, { batchDims, m, k, n, transposeA, transposeB });
  const ROWS = module.rows;
  const batch = product(batchDims);
  const batchA = product(a.shape.slice(0, -2));
  const batchB = product(b.shape.slice(0, -2));
  const panels = Math.ceil(n / COLS);
  const blocks = Math.ceil(m / ROWS);
  const ldc = panels * COLS;
  // floats: raw A | packed A (transposed A only) | raw B | packed B | C
  const aRaw = 0;
  const aPacked = aRaw + batchA * m * k + 16;
  const aPackedFloats = transposeA ? batchA * blocks * k * ROWS : 0;
  const bRaw = aPacked + aPackedFloats + 16;
  const bPacked = bRaw + batchB * k * n + 16;
  const bPackedFloats = batchB * panels * k * COLS;
  const cOffset = bPacked + bPackedFloats;
  let mem = reserveFloats(module, cOffset + blocks * ROWS * ldc);
  mem.set(backend.typedArrayFromHeap(a), aRaw);
  mem.set(backend.typedArrayFromHeap(b), bRaw);
  for (let t = 0; t < batchB; t++) {
    const src = bRaw + t * k * n;
    const dst = bPacked + t * panels * k * COLS;
    if (transposeB) module.gather8(src * 4, dst * 4, n, k);
    else module.panels8(src * 4, dst * 4, k, n);
    packTail(mem, dst + Math.floor(n / COLS) * k * COLS, mem, src, k, n, COLS, transposeB);
  }
  if (transposeA) {
    for (let t = 0; t < batchA; t++) {
      const src = aRaw + t * k * m;
      const dst = aPacked + t * blocks * k * ROWS;
      module.panelsRows(src * 4, dst * 4, k, m);
      packTail(mem, dst + Math.floor(m / ROWS) * k * ROWS, mem, src, k, m, ROWS, false);
    }
  }
  products += batch;
  const out = backend.makeOutput([...batchDims, m, n], 'float32');
  const dst = backend.typedArrayFromHeap(out);
  mem = module.view;
  for (let t = 0; t < batch; t++) {
    const bBase = bPacked + (batchB > 1 ? t * panels * k * COLS : 0);
    if (transposeA) {
      // packed ROWS-row blocks: row r of block ib at +4r bytes, the next k at +4 ROWS bytes, the next block at +4 ROWS k bytes
      const aBase = aPacked + (batchA > 1 ? t * blocks * k * ROWS : 0);
      for (let ib = 0; ib < blocks; ib++) module.gemm((aBase + ib * k * ROWS) * 4, 4, 4 * ROWS, bBase * 4, (cOffset + ib * ROWS * ldc) * 4, 1, panels, k, ldc * 4);
    } else {
      const aBase = aRaw + (batchA > 1 ? t * m * k : 0);
      module.gemm(aBase * 4, 4 * k, 4, bBase * 4, cOffset * 4, blocks, panels, k, ldc * 4);
    }
    const outBase = t * m * n;
    if (ldc === n) dst.set(mem.subarray(cOffset, cOffset + m * n), outBase);
    else for (let i = 0; i < m; i++) dst.set(mem.subarray(cOffset + i * ldc, cOffset + i * ldc + n), outBase + i * n);
  }
  return out;
}
