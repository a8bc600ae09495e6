import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { gemmModule } from './gemm';
import { reserveFloats } from './simd-module';
import type { KernelBackendLike } from './util';

/**
 * `Conv2DBackpropFilter` at stride 1 (any padding, NHWC, float32) as shifted GEMMs on charlearn's SIMD microkernel
 * (`simd-module.ts`, the GEMM of `gemm.ts`), with no im2col:
 *
 * `x` is laid out zero-padded on a grid `[N, Hs, Ws, Ci]` ({@link ShiftedGrid}: for 3x3 'same', `Hs = H + 1`,
 * `Ws = W + 1`, the padding shared by neighbouring rows and images) and `dy` on the same grid `[N, Hs, Ws, Co]`
 * (zeros outside `outH x outW`), both flattened over rows `r = (n Hs + h) Ws + w`. Then `dW[kh, kw] = X_sᵀ @ DY` for
 * each shift `s = kh Ws + kw`, where `X_s` is the
 * `[R, Ci]` view of the padded `x` starting at row `s`. The left operand `X_sᵀ` is read in place by the microkernel
 * (row stride 4 bytes, k stride `4 Ci`: no packing, no transpose); the right one, `DY`, is packed into 8-column
 * panels once, a block of {@link filterKBlock} rows at a time, and that block is used by all `KH KW` shifts while it
 * is in cache. The first block's products write each shift's tile and the later blocks' add to it (`gemmAcc`, the
 * accumulating microkernel), so no partial `dW` is summed outside the module.
 * Arithmetic: `Hs Ws / (outH outW)` of the exact count (1.07x at 28x28, 3x3; 1.31x at 7x7), and a multiple of 4 input and 8
 * output channels.
 */

const COLS = 8;

/**
 * Floats of the left and right operand slices one K block may use (~512 KiB: half this machine's 1 MiB L2). Measured
 * (alternating in one process, U-Net shapes): 2^15-2^17 best while the partial tiles were summed in JS (2^13 lost up
 * to 1.5x), no blocking up to 1.5x at 64 -> 32 channels; with `gemmAcc`, 2^14-2^17 within noise (140-146 ms a step's
 * filter gradients).
 */
const BLOCK_FLOATS = 1 << 17;

let useShiftedGemm = true;
let computed = 0;

/**
 * Runs stride-1 float32 `Conv2DBackpropFilter` on the shifted GEMM where it applies (default on); off, every
 * case takes the transposed-convolution kernel of `conv2d.ts`. Set by the plugin from the `gemm` and
 * `gemmBackpropFilter` options (and off at more than one thread: the microkernel is single-threaded).
 */
export function setShiftedGemmBackpropFilter(on: boolean): void {
  useShiftedGemm = on;
}

/** How many filter gradients the shifted GEMM has computed in this thread (a diagnostic: which path ran). */
export function shiftedGemmFilterCount(): number {
  return computed;
}

/** Geometry of one stride-1 filter gradient on the padded grid. */
export interface ShiftedGrid {
  /** Batch, input height and width, input channels. */
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly ci: number;
  /** Output height, width and channels (`dy` is `[n, oh, ow, co]`). */
  readonly oh: number;
  readonly ow: number;
  readonly co: number;
  /** Filter height and width. */
  readonly kh: number;
  readonly kw: number;
  /** Zero rows above and columns left of `x` on the grid. */
  readonly top: number;
  readonly left: number;
  /** Rows and columns of `x` that some window reaches (the others are left off the grid). */
  readonly rows: number;
  readonly cols: number;
  /**
   * Rows and columns an image takes on the grid: `x` at `[top, top + rows) x [left, left + cols)`, zeros elsewhere
   * (`dy` at `[0, oh) x [0, ow)`). A window that reaches past the last column (row) wraps into the next row's
   * (image's) zero padding, so the grid needs no separate right and bottom padding: for 3x3 'same', `(H + 1) x (W + 1)`
   * per image instead of `(H + 2) x (W + 2)`.
   */
  readonly hs: number;
  readonly ws: number;
}

/**
 * The grid of `info` when the shifted GEMM computes its filter gradient (stride 1, dilation 1, nonempty `x`, `dy`
 * and filter, SIMD available, switched on), else null.
 */
export function shiftedGrid(info: backend_util.Conv2DInfo): ShiftedGrid | null {
  return useShiftedGemm ? stride1Grid(info) : null;
}

/**
 * The shifted grid of a stride-1, dilation-1 conv2d `info` (nonempty, SIMD available), else null: the geometry
 * {@link shiftedGrid} uses regardless of the option (also the forward convolution's, `conv2d-gemm.ts`).
 */
export function stride1Grid(info: backend_util.Conv2DInfo): ShiftedGrid | null {
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  // fewer than 8 output channels waste part of the 8-wide panels, but still run 2-3x the transposed convolution
  // (measured at 16 -> 1 and 1 -> 16 channels, 28x28, batch 64: bench/backfilter.mjs)
  if (info.batchSize * info.outHeight * info.outWidth * info.inChannels * info.outChannels === 0) return null;
  if (gemmModule() === null) return null;
  const { filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  // x rows / columns that some window reaches, and the grid: wide enough for them, and for the windows' reach past
  // the last output row / column to wrap into the next row's (next image's) zero padding
  const rows = Math.min(info.inHeight, oh + kh - 1 - top);
  const cols = Math.min(info.inWidth, ow + kw - 1 - left);
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    ci: info.inChannels,
    oh,
    ow,
    co: info.outChannels,
    kh,
    kw,
    top,
    left,
    rows,
    cols,
    hs: Math.max(top + rows, oh + kh - 1 - top, oh),
    ws: Math.max(left + cols, ow + kw - 1 - left, ow),
  };
}

/** Rows of a K block for `ci` input channels and `ldc` padded output channels (a multiple of 8, at least 64). */
export function filterKBlock(ci: number, ldc: number): number {
  return Math.max(64, Math.floor(BLOCK_FLOATS / (ci + ldc) / 8) * 8);
}

/**
 * Writes `x` `[n, h, w, ci]` onto the grid `[n, hs, ws, ci]` at `mem[base..]` (its `rows x cols` corner at row `top`,
 * column `left` of each image; zeros elsewhere), followed by `extraFloats` zeros. Only the padding is zeroed.
 */
export function layOutInput(mem: Float32Array, base: number, x: Float32Array, g: ShiftedGrid, extraFloats: number): void {
  const { n, h, w, ci, hs, ws, top, left, rows, cols } = g;
  const gridRow = ws * ci;
  const before = left * ci;
  const width = cols * ci;
  for (let b = 0; b < n; b++) {
    const image = base + b * hs * gridRow;
    mem.fill(0, image, image + top * gridRow);
    for (let i = 0; i < rows; i++) {
      const row = image + (top + i) * gridRow;
      const src = (b * h + i) * w * ci;
      if (before > 0) mem.fill(0, row, row + before);
      mem.set(x.subarray(src, src + width), row + before);
      if (before + width < gridRow) mem.fill(0, row + before + width, row + gridRow);
    }
    mem.fill(0, image + (top + rows) * gridRow, image + hs * gridRow);
  }
  const end = base + n * hs * gridRow;
  mem.fill(0, end, end + extraFloats);
}

/** Writes `dy` `[n, oh, ow, co]` onto the grid `[n, hs, ws, co]` at `mem[base..]` (the top-left corner of each image), zeros elsewhere. */
function layOutOutputGradient(mem: Float32Array, base: number, dy: Float32Array, g: ShiftedGrid): void {
  const { n, oh, ow, co, hs, ws } = g;
  const gridRow = ws * co;
  const width = ow * co;
  for (let b = 0; b < n; b++) {
    const image = base + b * hs * gridRow;
    for (let i = 0; i < oh; i++) {
      const row = image + i * gridRow;
      const src = (b * oh + i) * width;
      mem.set(dy.subarray(src, src + width), row);
      if (width < gridRow) mem.fill(0, row + width, row + gridRow);
    }
    mem.fill(0, image + oh * gridRow, image + hs * gridRow);
  }
}

/** Packs the last, partial 8-column panel (`cols % 8` columns, zeros after) of the row-major `[rows, cols]` matrix at `mem[src..]` to `mem[dst..]`. */
export function packTailPanel(mem: Float32Array, dst: number, src: number, rows: number, cols: number): void {
  const j0 = Math.floor(cols / COLS) * COLS;
  const width = cols - j0;
  if (width === 0) return;
  mem.fill(0, dst, dst + rows * COLS);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) mem[dst + r * COLS + c] = mem[src + r * cols + j0 + c]!;
  }
}

/**
 * dW `[kh, kw, ci, co]` of a stride-1 conv2d with grid `g`, by the shifted GEMM (see the file's comment), from `x`
 * `[n, h, w, ci]` and `dy` `[n, oh, ow, co]` float32 on the wasm heap. The caller has checked the shapes and owns
 * the result.
 */
export function shiftedGemmBackpropFilter(backend: KernelBackendLike, x: TensorInfo, dy: TensorInfo, g: ShiftedGrid): TensorInfo {
  const module = gemmModule();
  if (!module) throw new Error('@charlearn/backend-wasm: the shifted-GEMM filter gradient needs WebAssembly SIMD');
  const { n, ci, co, kh, kw, hs, ws, oh, ow } = g;
  const shifts = kh * kw;
  const maxShift = (kh - 1) * ws + (kw - 1);
  // rows of the flattened grid up to the last nonzero dy row (the rows after it add nothing)
  const k = ((n - 1) * hs + oh - 1) * ws + ow;
  const panels = Math.ceil(co / COLS);
  const ldc = panels * COLS;
  const rowsPerBlock = module.rows;
  const blocks = Math.ceil(ci / rowsPerBlock);
  const ciPad = blocks * rowsPerBlock;
  const tile = ciPad * ldc;
  const kBlock = filterKBlock(ci, ldc);
  // floats: x on the grid, then zeros for the shifted views' reach past the grid (K - 1 + maxShift < n hs ws +
  // maxShift) and the rows past ci of a ragged last row block | dy on the grid | one packed K block of dy | C of
  // every shift
  const xBase = 0;
  const xTail = (maxShift + 1) * ci + rowsPerBlock;
  const xFloats = n * hs * ws * ci + xTail;
  const dyBase = xBase + xFloats + 16;
  const packedBase = dyBase + n * hs * ws * co + 16;
  const cBase = packedBase + kBlock * ldc + 16;
  const mem = reserveFloats(module, cBase + shifts * tile);
  layOutInput(mem, xBase, backend.typedArrayFromHeap(x), g, xTail);
  layOutOutputGradient(mem, dyBase, backend.typedArrayFromHeap(dy), g);
  for (let k0 = 0; k0 < k; k0 += kBlock) {
    const kn = Math.min(kBlock, k - k0);
    const src = dyBase + k0 * co;
    module.panels8(src * 4, packedBase * 4, kn, co);
    packTailPanel(mem, packedBase + Math.floor(co / COLS) * kn * COLS, src, kn, co);
    // the first K block writes each shift's tile, the others add to it (gemmAcc): no partial tiles to sum
    const product = k0 === 0 ? module.gemm : module.gemmAcc;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const s = i * kw + j;
        const a = xBase + (k0 + i * ws + j) * ci;
        product(a * 4, 4, ci * 4, packedBase * 4, (cBase + s * tile) * 4, blocks, panels, kn, ldc * 4);
      }
    }
  }
  computed++;
  const out = backend.makeOutput([kh, kw, ci, co], 'float32');
  const dst = backend.typedArrayFromHeap(out);
  const result = module.view.subarray(cBase, cBase + shifts * tile);
  if (ciPad === ci && ldc === co) {
    dst.set(result);
  } else {
    for (let s = 0; s < shifts; s++) {
      for (let c = 0; c < ci; c++) {
        const from = s * tile + c * ldc;
        dst.set(result.subarray(from, from + co), (s * ci + c) * co);
      }
    }
  }
  return out;
}
