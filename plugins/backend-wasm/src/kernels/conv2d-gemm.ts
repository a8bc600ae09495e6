import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { layOutInput, packTailPanel, stride1Grid, type ShiftedGrid } from './backprop-filter-gemm';
import { gemmModule } from './gemm';
import { reserveFloats } from './simd-module';
import type { KernelBackendLike } from './util';

/**
 * Stride-1 float32 `Conv2D` (NHWC, any padding, dilation 1) on charlearn's SIMD GEMM (`gemm.ts`'s microkernel), with
 * no im2col: `x` is laid out once on the zero-padded grid of `backprop-filter-gemm.ts` ({@link ShiftedGrid}:
 * `[N, Hs, Ws, Ci]` flattened over rows `r = (n Hs + h) Ws + w`, the padding shared by neighbouring rows and
 * images). The output at grid row `r` is `y[r] = Σ_{kh, kw} X[r + kh Ws + kw] W[kh, kw]`, and for one `kh` the
 * `KW Ci` inputs of its `kw` taps, `X[r + kh Ws .. r + kh Ws + KW)`, are contiguous on the grid. So
 * `Y = Σ_kh A_kh @ W[kh]`, where `A_kh` is the `[R, KW Ci]` matrix whose row `r` starts at grid float
 * `(r + kh Ws) Ci`: overlapping rows, row stride `4 Ci` bytes, read in place by the microkernel (no patch matrix
 * is built), and `W[kh]` is the filter's contiguous `[KW Ci, Co]` slice, packed into 8-column panels once a call.
 * The `KH` partial products of a block of grid rows (sized to stay in cache) are written to scratch tiles and summed
 * by the module's `colsum` (f32x4, in `kh` order); the valid `oh x ow` rows of each block are then copied out.
 * Arithmetic: `Hs Ws / (oh ow)` of the exact count (1.07x at 28x28 3x3 'same', 1.31x at 7x7) and output channels
 * rounded up to 8.
 *
 * `Conv2DBackpropInput` at stride 1 is the same product: a 'full' correlation of `dy` with the filter rotated by
 * 180° and its channels swapped ({@link backpropInputForwardInfo}).
 */

const COLS = 8;

/**
 * Floats of the `KH` partial output tiles of one block of grid rows (~128 KiB of tiles, plus the block's `A` rows
 * and the packed filter, within the 1 MiB L2 of this machine's cores). Measured on the U-Net shapes
 * (`bench/conv-gemm.mjs`, one run each, not alternating, load ~2.5): 2^15 at 18-30 GFLOP/s, 2^13 and 2^17 at 15-24.
 */
const TILE_FLOATS = 1 << 15;

let useGemmConv = true;
let useTaps = true;
const computed = { forward: 0, inputGradient: 0 };

/**
 * Runs stride-1 float32 `Conv2D` and `Conv2DBackpropInput` on the GEMM where they apply (default on); off, they take
 * XNNPACK's convolution. Set by the plugin from the `gemm` and `gemmConv` options (off at more than one thread).
 */
export function setGemmConv2D(on: boolean): void {
  useGemmConv = on;
}

/** How many forward convolutions and input gradients the GEMM has computed in this thread (a diagnostic: which path ran). */
/**
 * Whether the GEMM convolution accumulates its `KH` filter rows' products into one tile (`gemm`, then `gemmAcc` for
 * the other rows: `c += a·b`) instead of writing `KH` tiles and adding them with `colsum` (default true; the plugin's
 * `gemmConvTaps` option sets it). The sums then run in another order (float32 rounding).
 */
export function setGemmConvTaps(on: boolean): void {
  useTaps = on;
}

export function gemmConvCount(): { readonly forward: number; readonly inputGradient: number } {
  return { ...computed };
}

/**
 * The grid of the forward convolution `info` when the GEMM computes it (stride 1, dilation 1, nonempty, SIMD
 * available, switched on), else null. XNNPACK keeps convolutions from one input channel (`K = KW` floats a product
 * leave the microkernel mostly storing its tile: 1.0x at 1 -> 16 channels, 28x28) and to fewer than 8 output
 * channels (most of an 8-wide panel wasted: 0.56x at 16 -> 1), measured with `bench/conv-gemm.mjs`.
 */
export function gemmConvGrid(info: backend_util.Conv2DInfo): ShiftedGrid | null {
  if (!useGemmConv || info.inChannels < 2 || info.outChannels < COLS) return null;
  return stride1Grid(info);
}

/**
 * The forward-convolution geometry whose output is `dx` of the stride-1 convolution `info` (`Conv2DBackpropInput`):
 * input `dy` `[n, oh, ow, co]`, filter `[kh, kw, co, ci]` (the original rotated by 180°, channels swapped), padding
 * `kh - 1 - top` above and `kw - 1 - left` left, output `[n, inHeight, inWidth, ci]`. Null when a padding would be
 * negative (a forward padding beyond the filter: the caller falls back).
 */
export function backpropInputForwardInfo(info: backend_util.Conv2DInfo): backend_util.Conv2DInfo | null {
  const { filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow, inHeight, inWidth } = info;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = inHeight + kh - 1 - top - oh;
  const right = inWidth + kw - 1 - left - ow;
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  return {
    ...info,
    inHeight: oh,
    inWidth: ow,
    inChannels: info.outChannels,
    outHeight: inHeight,
    outWidth: inWidth,
    outChannels: info.inChannels,
    inShape: [info.batchSize, oh, ow, info.outChannels],
    outShape: [info.batchSize, inHeight, inWidth, info.inChannels],
    padInfo: { top, left, bottom, right, type: 'EXPLICIT' },
  };
}

/** Writes the 180°-rotated, channel-swapped `[kh, kw, co, ci]` copy of the filter `w` `[kh, kw, ci, co]` to `mem[dst..]`. */
function rotateFilter(mem: Float32Array, dst: number, w: Float32Array, kh: number, kw: number, ci: number, co: number): void {
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const from = ((kh - 1 - a) * kw + (kw - 1 - b)) * ci * co;
      const to = dst + (a * kw + b) * co * ci;
      for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) mem[to + o * ci + i] = w[from + i * co + o]!;
    }
  }
}

/**
 * `y` `[n, oh, ow, co]` of the stride-1 convolution with grid `g` of `x` (float32 on the wasm heap) and the filter
 * `[kh, kw, ci, co]`, given as the heap tensor `filter` or, with `rotate`, as the forward filter `[kh, kw, co, ci]`
 * of the convolution whose input gradient this is (rotated and swapped here). The caller has checked the shapes
 * and owns the result.
 */
export function gemmConv2D(backend: KernelBackendLike, x: TensorInfo, filter: TensorInfo, g: ShiftedGrid, rotate: boolean): TensorInfo {
  const module = gemmModule();
  if (!module) throw new Error('@charlearn/backend-wasm: the GEMM convolution needs WebAssembly SIMD');
  const { n, ci, co, kh, kw, hs, ws, oh, ow } = g;
  const rowsPerBlock = module.rows;
  const panels = Math.ceil(co / COLS);
  const ldc = panels * COLS;
  const k = kw * ci;
  // grid rows (of ws rows each) holding outputs: up to the last image's last output row
  const gridRows = (n - 1) * hs + oh;
  const taps = useTaps && kh > 1;
  // output grid rows a block: its tiles (KH of them, or one with the taps summed in the microkernel) fill ~TILE_FLOATS
  const tRows = Math.max(1, Math.floor(TILE_FLOATS / ((taps ? 1 : kh) * ws * ldc)));
  const blockRows = Math.ceil((tRows * ws) / rowsPerBlock) * rowsPerBlock;
  const tile = blockRows * ldc;
  // floats: x on the grid and zeros for the reach of the last block's rows | raw filter | packed filter | KH tiles | their sum
  const xTail = (blockRows + (kh - 1) * ws + kw) * ci + 16;
  const xBase = 0;
  const wRaw = xBase + n * hs * ws * ci + xTail;
  const wFloats = kh * k * co;
  const packed = wRaw + wFloats + 16;
  const packedPerRow = panels * k * COLS;
  const cBase = packed + kh * packedPerRow + 16;
  const sumBase = cBase + (taps ? 1 : kh) * tile + 16;
  const mem = reserveFloats(module, sumBase + tile);
  layOutInput(mem, xBase, backend.typedArrayFromHeap(x), g, xTail);
  const w = backend.typedArrayFromHeap(filter);
  if (rotate) rotateFilter(mem, wRaw, w, kh, kw, co, ci);
  else mem.set(w.subarray(0, wFloats), wRaw);
  for (let i = 0; i < kh; i++) {
    const src = wRaw + i * k * co;
    const dst = packed + i * packedPerRow;
    module.panels8(src * 4, dst * 4, k, co);
    packTailPanel(mem, dst + Math.floor(co / COLS) * k * COLS, src, k, co);
  }
  const out = backend.makeOutput([n, oh, ow, co], 'float32');
  const y = backend.typedArrayFromHeap(out);
  const result = kh > 1 && !taps ? sumBase : cBase;
  const width = ow * co;
  for (let t0 = 0; t0 < gridRows; t0 += tRows) {
    const t1 = Math.min(gridRows, t0 + tRows);
    const r0 = t0 * ws;
    const blocks = Math.ceil(((t1 - t0) * ws) / rowsPerBlock);
    if (taps) {
      // filter row i reads the grid from row i·ws on; its products add to the tile the rows before it wrote
      for (let i = 0; i < kh; i++) {
        const a = xBase + (r0 + i * ws) * ci;
        (i === 0 ? module.gemm : module.gemmAcc)(a * 4, ci * 4, 4, (packed + i * packedPerRow) * 4, cBase * 4, blocks, panels, k, ldc * 4);
      }
    } else {
      // the KH tiles of this block one after the other: a [KH, span] matrix for colsum
      const span = blocks * rowsPerBlock * ldc;
      for (let i = 0; i < kh; i++) {
        const a = xBase + (r0 + i * ws) * ci;
        module.gemm(a * 4, ci * 4, 4, (packed + i * packedPerRow) * 4, (cBase + i * span) * 4, blocks, panels, k, ldc * 4);
      }
      if (kh > 1) module.colsum(cBase * 4, sumBase * 4, kh, span);
    }
    for (let t = t0; t < t1; t++) {
      const row = t % hs;
      if (row >= oh) continue;
      const from = result + (t - t0) * ws * ldc;
      const to = (Math.floor(t / hs) * oh + row) * width;
      if (ldc === co) y.set(mem.subarray(from, from + width), to);
      else for (let j = 0; j < ow; j++) y.set(mem.subarray(from + j * ldc, from + j * ldc + co), to + j * co);
    }
  }
  if (rotate) computed.inputGradient++;
  else computed.forward++;
  return out;
}
