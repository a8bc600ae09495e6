import * as tf from '@tensorflow/tfjs-core';
import { processSingleton, runSerially, type BackendAvailability, type BackendPlugin } from '@charlearn/core';
import { overrideBatchMatMulGradient, registerAllGradients } from './gradients';
import { registerAdamKernel, unregisterAdamKernel } from './kernels/adam';
import { registerEmaKernel, setSimdEma, unregisterEmaKernel } from './kernels/ema';
import { setShiftedGemmBackpropFilter } from './kernels/backprop-filter-gemm';
import { setGemmConv2D, setGemmConvTaps } from './kernels/conv2d-gemm';
import { patchCopyKernels, setWasmRowCopies, unpatchCopyKernels } from './kernels/copies';
import { registerConvKernels } from './kernels/conv2d';
import { registerDenseSiluKernels, unregisterDenseSiluKernels } from './kernels/dense-silu';
import { registerEmbeddingKernel, unregisterEmbeddingKernel } from './kernels/embedding';
import { registerGroupNormKernels, setSimdGroupNorm, unregisterGroupNormKernels } from './kernels/group-norm';
import { registerSiluGradKernel, unregisterSiluGradKernel } from './kernels/silu-grad';
import { registerDepthwiseKernels } from './kernels/depthwise';
import { registerGatherKernel } from './kernels/gather';
import { patchIdentityKernel, unpatchIdentityKernel } from './kernels/identity';
import { registerPoolKernels } from './kernels/pool';
import { registerSegmentKernels } from './kernels/segment';
import { setGemmLongInner, setGemmOnHeap, setGemmRelaxedSimd } from './kernels/gemm';
import { patchMatMulKernels, setGemmMatMul, unpatchMatMulKernels } from './kernels/matmul';
import { patchReduceKernels, unpatchReduceKernels } from './kernels/reduce';
import { WASM } from './kernels/util';
import { isNode, loadTfjsWasm, nodeWasmDir } from './load';
import { checkWasmThreads, DEFAULT_WASM_THREADS, WasmThreadsError, withWasmThreads, type WasmThreads } from './threads';

/**
 * File names of the three binaries `@tensorflow/tfjs-backend-wasm` may load
 * (plain, SIMD, threaded SIMD; which one depends on the runtime's features).
 *
 * @example
 * ```ts
 * const simd: WasmBinaryName = 'tfjs-backend-wasm-simd.wasm';
 * ```
 */
export type WasmBinaryName = 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

/**
 * Where each wasm binary is served, by file name (all three are required by
 * tfjs's `setWasmPaths`).
 *
 * @example
 * ```ts
 * const map: WasmPathMap = {
 *   'tfjs-backend-wasm.wasm': wasmUrl,
 *   'tfjs-backend-wasm-simd.wasm': simdUrl,
 *   'tfjs-backend-wasm-threaded-simd.wasm': threadedSimdUrl,
 * };
 * ```
 */
export type WasmPathMap = Readonly<Record<WasmBinaryName, string>>;

/**
 * How transposed matrix products (every MatMul gradient) are made fast on
 * wasm, where `matMul(a, b, true, false)` is ~15x slower than
 * `matMul(transpose(a), b)`:
 * - `'kernel'` (default): the wasm `BatchMatMul` / `_FusedMatMul` kernels
 *   transpose their operands first, then multiply untransposed; speeds up
 *   every caller, including the stock gradient.
 * - `'gradient'`: only the BatchMatMul gradient is replaced by one with
 *   explicit transposes (forward `matMul(.., true)` stays slow).
 * - `'none'`: stock tfjs-backend-wasm behaviour (for comparison).
 *
 * @example
 * ```ts
 * await setupWasmBackend({ matMulFix: 'none' }); // measure the stock kernels
 * await setupWasmBackend({ matMulFix: 'kernel' }); // back to the default
 * ```
 */
export type WasmMatMulFix = 'kernel' | 'gradient' | 'none';

/**
 * Options of {@link setupWasmBackend} / {@link configureWasmBackend}.
 *
 * @example
 * ```ts
 * // Browser, binaries copied to /static/tfjs-wasm/ by the build:
 * await setupWasmBackend({ wasmPaths: '/static/tfjs-wasm/' });
 * ```
 */
export interface WasmBackendOptions {
  /**
   * Where the `.wasm` binaries are. A URL/path prefix ending in `/` (the
   * folder holding all three files, e.g. a CDN:
   * `https://cdn.jsdelivr.net/npm/@tensorflow/tfjs-backend-wasm@4.22.0/dist/`),
   * or a {@link WasmPathMap}. Default: in Node, the `dist/` folder of the
   * installed `@tensorflow/tfjs-backend-wasm`; in the browser, tfjs's own
   * default (next to the bundled script). Only takes effect before the wasm
   * backend is first initialised.
   */
  wasmPaths?: string | WasmPathMap;
  /** Fetch the binary with tfjs's platform fetch instead of Emscripten's loader (tfjs `setWasmPaths` flag). Default false. */
  usePlatformFetch?: boolean;
  /** See {@link WasmMatMulFix}. Default `'kernel'`. */
  matMulFix?: WasmMatMulFix;
  /**
   * With `matMulFix: 'kernel'`: run float32 matrix products with at least 8 output columns (transposed or not,
   * batched or not) on charlearn's own 128-bit SIMD GEMM (a 4 x 8 register-blocked microkernel in a small
   * WebAssembly module of this package) instead of XNNPACK: ~1.5x faster on the MLP products of a training step,
   * and transposed operands cost no transpose (docs/profile-steps.md). Single-threaded: at `threads` > 1 the
   * products stay on XNNPACK's thread pool. Default true.
   */
  gemm?: boolean;
  /**
   * With `gemm`: where the runtime has WebAssembly relaxed SIMD (Chrome >= 114, Node >= 21; in Node 20 this option
   * sets V8's `--experimental-wasm-relaxed-simd` flag, which only enables the feature), run the GEMM's 6 x 8
   * microkernel that accumulates with `f32x4.relaxed_madd`: one fused multiply-add instruction on CPUs with FMA,
   * ~1.45x the 4 x 8 multiply-then-add kernel's GFLOP/s (`node plugins/backend-wasm/bench/matmul-gflops.mjs`). Products
   * then differ from XNNPACK's in float32 rounding (a fused sum rounds once per step: ~1e-7 relative); set false for
   * XNNPACK's bits. Default true.
   */
  relaxedSimd?: boolean;
  /**
   * With `gemm`: compute `aᵀ @ b` with an inner dimension of at least 8,192 (both rank 2: the weight gradient of a
   * 1x1 convolution or a linear layer applied over whole images, `k = b·h·w`) in cache-sized chunks of `k`, each chunk
   * of both operands copied, packed and multiplied while it is in cache, the chunks' tiles added in float64; instead of
   * packing both whole operands first (docs/profile-steps.md). Default true.
   */
  gemmLongInner?: boolean;
  /**
   * With `gemm`, on the single-threaded binary: run the GEMM (and the fused dense layer's bias + SiLU epilogue) on
   * the tfjs heap itself, the SIMD kernels module instantiated on that memory, so that operands are read in place and
   * products written straight into their output tensors, instead of copying both operands into the module's own
   * memory and the product back (~7% of the teacher step's products; docs/profile-steps.md). Same microkernel, same
   * sums: bitwise the results of the copying path. Default true.
   */
  gemmOnHeap?: boolean;
  /**
   * With `gemmConv`: sum a convolution's `KH` filter rows inside the GEMM's microkernel (one accumulation over
   * `KH·KW·Ci` terms and one store a block of outputs) instead of computing `KH` products into separate tiles and
   * adding them in a second pass (docs/profile-steps.md). Sums in another order (float32 rounding). Default true.
   */
  gemmConvTaps?: boolean;
  /**
   * With `gemm`: compute stride-1 float32 `Conv2DBackpropFilter` (the weight gradient of every stride-1 conv2d, e.g.
   * all of the U-Net's) as `KH x KW` shifted products on the same SIMD GEMM, reading the zero-padded input in place
   * (no im2col), instead of a transposed XNNPACK convolution (docs/profile-steps.md). Single-threaded like `gemm`:
   * off at `threads` > 1. Default true.
   */
  gemmBackpropFilter?: boolean;
  /**
   * With `gemm`: compute stride-1 float32 `Conv2D` and `Conv2DBackpropInput` (dilation 1, at least 2 input channels:
   * every 3x3 convolution of the U-Net but its first) as `KH` products on the same SIMD GEMM over the zero-padded
   * input read in place (`KW Ci` contiguous floats a row, no im2col), instead of XNNPACK's convolution
   * (docs/profile-steps.md). Single-threaded like `gemm`: off at `threads` > 1. Default true.
   */
  gemmConv?: boolean;
  /**
   * Run float32 / int32 `Concat` and `SplitV` as row copies inside the wasm heap (`copyWithin`, no view a row)
   * instead of stock wasm's per-row `subarray` loop (`Concat`) and strided `Slice`s (`SplitV`): the U-Net's skip
   * connections, ~10x faster on `[64, 28, 28, 48]` (docs/profile-steps.md). Default true.
   */
  fastCopies?: boolean;
  /**
   * With `fastCopies`: copy the strided rows of `Concat` / `SplitV` inside WebAssembly (charlearn's SIMD kernels
   * module instantiated on the tfjs heap: a `memory.copy` a row, no JS call a row) instead of a `copyWithin` a row,
   * where the heap's memory can be imported (tfjs-backend-wasm's single-threaded binaries; the threaded one's memory
   * is shared and keeps `copyWithin`). The same bytes. Default true.
   */
  wasmRowCopies?: boolean;
  /**
   * Compute float32 `Sum` / `Mean` over leading axes (every bias gradient,
   * `sum(dy, 0)`) by a row-wise accumulation instead of stock wasm's
   * transpose-then-sum (~4x faster on [1024, 256]). Default true.
   */
  fastReductions?: boolean;
  /**
   * `Identity` without a copy: the output shares the input's data (a reference count, as on the cpu backend),
   * where stock wasm allocates and copies; the gradient tape runs ~130 of them a training step. Default true.
   */
  sharedIdentity?: boolean;
  /**
   * Register the fused Adam update kernel (`ADAM_UPDATE_KERNEL` of `@charlearn/core`: one pass a variable instead
   * of 12 kernels), which charlearn's optimiser uses when the backend has it. Default true.
   */
  fusedAdam?: boolean;
  /**
   * Register the fused EMA kernel (`EMA_UPDATE_KERNEL` of `@charlearn/core`: `decay·ema + (1 − decay)·x` in one pass
   * a variable, with the op chain's bits, where the chain runs three kernels and uploads two scalars), which the
   * trainers' weight average (`EmaNetwork` of `@charlearn/distill`) uses when the backend has it. Default true.
   */
  fusedEma?: boolean;
  /**
   * With `fusedEma`: run its pass in charlearn's SIMD kernels module in place on the tfjs heap (where the heap is
   * importable: not the threaded binary's shared memory) instead of a JS loop; the same bits either way. Default true.
   */
  simdEma?: boolean;
  /**
   * Threads of the XNNPACK pool that runs wasm's matrix products, convolutions and element-wise kernels
   * (see {@link WasmThreads}). Default {@link DEFAULT_WASM_THREADS} (1: the single-threaded SIMD binary, as before this option existed).
   * More than 1 loads the threaded SIMD binary (in Node through `worker_threads`; in a browser only when
   * the page is cross-origin isolated, else tfjs falls back to one thread). Fixed when the wasm backend is
   * first initialised: asking for another count later is a {@link WasmThreadsError}.
   */
  threads?: WasmThreads;
  /**
   * Register the fused dense-layer kernels (`DENSE_SILU_KERNEL`, `BIAS_SILU_KERNEL` and `SILU_BIAS_GRAD_KERNEL` of
   * `@charlearn/core`), which `@charlearn/nets`' MLPs use when the backend has them: `SiLU(x W + b)` as the GEMM's
   * product with a bias + SiLU epilogue (a polynomial-exp sigmoid, max relative error ~2e-7) in charlearn's SIMD
   * module, `SiLU(z + b)` for the first layer's pre-activation, and the backward's `dy·SiLU'(z)` with the bias
   * gradient in one f32x4 pass. Default: true at one thread (the teacher step ~0.91x the op chain's CPU time,
   * docs/profile-steps.md), false at `threads` > 1 (the epilogue is single-threaded; unmeasured there).
   */
  fusedDense?: boolean;
  /**
   * Register the sinusoidal time-embedding kernel (`SINUSOIDAL_EMBEDDING_KERNEL` of `@charlearn/core`: one pass
   * computing each distinct time once, where the op chain runs Multiply, Sin, Cos and Concat over every row), which
   * `@charlearn/nets`' `sinusoidalEmbedding` uses when the backend has it. Default true.
   */
  fusedEmbedding?: boolean;
  /**
   * Register the group-normalisation kernels (`GROUP_NORM_KERNEL`, `GROUP_NORM_GRAD_KERNEL` of `@charlearn/core`:
   * one pass forward and one backward where the op chain runs ~10 broadcasts and strided reductions each), which
   * `@charlearn/nets`' `groupNorm` (the U-Net's) uses when the backend has them. Default true.
   */
  fusedGroupNorm?: boolean;
  /**
   * With `fusedGroupNorm`: run the group-norm kernels' passes in charlearn's SIMD kernels module (f32x4 over the
   * channels, one sample's block at a time; channel counts that are a multiple of 4, where WebAssembly SIMD is
   * available) instead of JS loops over the heap: forward and backward ~3-5x faster on the U-Net's activations
   * (docs/profile-steps.md). Per-channel sums then accumulate in float32 (positions in order; groups and the
   * variance from squared deviations in float64), ~1e-6 relative from the JS passes. Default true.
   */
  simdGroupNorm?: boolean;
  /**
   * Register the SiLU input-gradient kernel (`SILU_GRAD_KERNEL` of `@charlearn/core`: `dy·(s·(1 + x·(1 − s)))` in
   * one SIMD pass where the op chain runs five kernels, with the same float32 bits), which `@charlearn/nets`'
   * `activate(x, 'silu')` uses in its gradient when the backend has it: every SiLU of the MLPs and the U-Net.
   * Default true.
   */
  fusedSiluGrad?: boolean;
}

interface PluginState {
  readonly plugin: BackendPlugin;
  options: WasmBackendOptions;
  setupQueue: Promise<unknown>;
  warnedLatePaths: boolean;
}

const STATE_KEY = Symbol.for('@charlearn/backend-wasm/state');

async function isAvailable(): Promise<BackendAvailability> {
  try {
    if (typeof WebAssembly !== 'object' || WebAssembly === null || typeof WebAssembly.instantiate !== 'function') {
      return { available: false, reason: 'WebAssembly is not available in this JavaScript runtime' };
    }
    try {
      await loadTfjsWasm();
    } catch (e) {
      return {
        available: false,
        reason:
          `@tensorflow/tfjs-backend-wasm could not be loaded (${e instanceof Error ? e.message : String(e)}); ` +
          `install it next to @tensorflow/tfjs-core: npm i @tensorflow/tfjs-backend-wasm@^4.22.0`,
      };
    }
    return { available: true };
  } catch (e) {
    return { available: false, reason: `unexpected error while checking the wasm backend: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function wasmInitialised(): boolean {
  return tf.engine().registry[WASM] != null;
}

async function runSetup(state: PluginState): Promise<void> {
  const options = state.options;
  const threads = checkWasmThreads(options.threads === undefined ? DEFAULT_WASM_THREADS : options.threads);
  const wasm = await loadTfjsWasm();
  let where = 'tfjs default location';
  if (!wasmInitialised()) {
    if (options.wasmPaths !== undefined) {
      wasm.setWasmPaths(options.wasmPaths as Parameters<typeof wasm.setWasmPaths>[0], options.usePlatformFetch ?? false);
      where = typeof options.wasmPaths === 'string' ? options.wasmPaths : JSON.stringify(options.wasmPaths);
    } else {
      const dir = await nodeWasmDir();
      if (dir !== undefined) {
        wasm.setWasmPaths(dir, options.usePlatformFetch ?? false);
        where = dir;
      }
    }
  } else if (options.wasmPaths !== undefined && !state.warnedLatePaths) {
    state.warnedLatePaths = true;
    console.warn('[charlearn] backend-wasm: wasmPaths ignored, the wasm backend was already initialised');
  }

  registerAllGradients();
  registerConvKernels();
  registerDepthwiseKernels();
  registerPoolKernels();
  registerSegmentKernels();
  registerGatherKernel();
  if (options.sharedIdentity ?? true) patchIdentityKernel();
  else unpatchIdentityKernel();
  if (options.fusedAdam ?? true) registerAdamKernel();
  else unregisterAdamKernel();
  if (options.fusedEma ?? true) registerEmaKernel();
  else unregisterEmaKernel();
  setSimdEma(options.simdEma ?? true);
  if (options.fusedEmbedding ?? true) registerEmbeddingKernel();
  else unregisterEmbeddingKernel();
  if (options.fusedGroupNorm ?? true) registerGroupNormKernels();
  else unregisterGroupNormKernels();
  setSimdGroupNorm(options.simdGroupNorm ?? true);
  if (options.fusedSiluGrad ?? true) registerSiluGradKernel();
  else unregisterSiluGradKernel();
  const fix = options.matMulFix ?? 'kernel';
  if (fix === 'kernel') patchMatMulKernels();
  else unpatchMatMulKernels();
  overrideBatchMatMulGradient(fix === 'gradient');
  if (options.fastReductions ?? true) patchReduceKernels();
  else unpatchReduceKernels();
  if (options.fastCopies ?? true) patchCopyKernels();
  else unpatchCopyKernels();
  setWasmRowCopies(options.wasmRowCopies ?? true);

  if (wasmInitialised() && threads !== 'auto' && options.threads !== undefined) {
    const running = wasm.getThreadsCount();
    if (running !== threads) {
      throw new WasmThreadsError(
        `the wasm backend already runs ${running} thread(s) and cannot switch to ${threads}: ` +
          'the thread count is fixed when wasm is first initialised (set threads before the first setup, or restart the process)',
      );
    }
  }

  if (tf.getBackend() !== WASM || !wasmInitialised()) {
    const ok = wasmInitialised() ? await tf.setBackend(WASM) : await withWasmThreads(threads, wasm.setThreadsCount, () => tf.setBackend(WASM));
    if (!ok && threads !== 1) {
      throw new WasmThreadsError(
        `the threaded wasm backend (${String(threads)} threads) failed to start (tfjs printed why above; e.g. this process may not create worker threads): ` +
          'restart the process with threads: 1',
      );
    }
    if (!ok) {
      throw new Error(
        `@charlearn/backend-wasm: the wasm backend failed to initialise (binaries looked up at ${where}). ` +
          (options.wasmPaths !== undefined
            ? 'Check the wasmPaths option: each .wasm file must be reachable there.'
            : isNode()
              ? 'Check that @tensorflow/tfjs-backend-wasm is installed completely (its dist/*.wasm files).'
              : 'Serve the .wasm files of @tensorflow/tfjs-backend-wasm and pass their location as the wasmPaths option.'),
      );
    }
  }
  await tf.ready();
  // The GEMM is single-threaded: with a thread pool, XNNPACK's products split over it instead.
  const oneThread = wasm.getThreadsCount() === 1;
  setGemmMatMul((options.gemm ?? true) && oneThread);
  setGemmRelaxedSimd(options.relaxedSimd ?? true);
  setGemmLongInner(options.gemmLongInner ?? true);
  setGemmOnHeap(options.gemmOnHeap ?? true);
  setShiftedGemmBackpropFilter((options.gemm ?? true) && (options.gemmBackpropFilter ?? true) && oneThread);
  setGemmConv2D((options.gemm ?? true) && (options.gemmConv ?? true) && oneThread);
  setGemmConvTaps(options.gemmConvTaps ?? true);
  if (options.fusedDense ?? oneThread) registerDenseSiluKernels();
  else unregisterDenseSiluKernels();
}

function state(): PluginState {
  return processSingleton<PluginState>(STATE_KEY, () => ({
    plugin: { name: WASM, isAvailable, setup: () => enqueue() },
    options: {},
    setupQueue: Promise.resolve(),
    warnedLatePaths: false,
  }));
}

function enqueue(): Promise<void> {
  const s = state();
  return runSerially(s, () => runSetup(s));
}

/**
 * The `'wasm'` backend plugin: tfjs-backend-wasm (XNNPACK, SIMD) plus what
 * training needs on it: all tfjs gradients, a fast transposed MatMul, and
 * `Conv2DBackpropFilter` / a fast `Conv2DBackpropInput`. Importing this
 * package registers it in `@charlearn/core`'s `backends` registry. One
 * object per process, shared by the ESM and CJS builds.
 *
 * - `isAvailable()` never throws: `{ available: false, reason }` when
 *   `@tensorflow/tfjs-backend-wasm` cannot be imported or WebAssembly is missing.
 * - `setup()` = {@link setupWasmBackend} with the options given to
 *   {@link configureWasmBackend}; idempotent.
 *
 * @example
 * ```ts
 * import '@charlearn/backend-wasm';
 * import { useBackend } from '@charlearn/core';
 * await useBackend('wasm'); // tf.getBackend() === 'wasm'
 * ```
 */
export const wasmBackend: BackendPlugin = state().plugin;

/**
 * Sets the options that `wasmBackend.setup()` (and so `useBackend('wasm')`)
 * will use; merged into earlier ones. Call before the first setup for
 * `wasmPaths` to take effect.
 *
 * @example
 * ```ts
 * configureWasmBackend({ wasmPaths: 'https://cdn.jsdelivr.net/npm/@tensorflow/tfjs-backend-wasm@4.22.0/dist/' });
 * await useBackend('wasm');
 * ```
 */
export function configureWasmBackend(options: WasmBackendOptions): void {
  const s = state();
  s.options = { ...s.options, ...options };
}

/**
 * Configures (see {@link WasmBackendOptions}) and sets up the wasm backend:
 * imports `@tensorflow/tfjs-backend-wasm`, points it at its binaries,
 * registers all tfjs-core gradients, the MatMul fix and the conv training
 * kernels, then `tf.setBackend('wasm')` + `tf.ready()`. Idempotent; calls
 * are serialised. Rejects with a clear error when the binaries cannot be
 * loaded.
 *
 * @example
 * ```ts
 * import { setupWasmBackend } from '@charlearn/backend-wasm';
 * await setupWasmBackend();                        // Node: nothing to configure
 * await setupWasmBackend({ wasmPaths: '/wasm/' }); // browser: where the .wasm files are served
 * ```
 */
export function setupWasmBackend(options: WasmBackendOptions = {}): Promise<void> {
  configureWasmBackend(options);
  return enqueue();
}

/**
 * How many threads the initialised wasm backend runs (1 for the single-threaded binary), or undefined
 * before the wasm backend is initialised.
 *
 * @example
 * ```ts
 * await setupWasmBackend({ threads: 2 });
 * runningWasmThreads(); // 2
 * ```
 */
export async function runningWasmThreads(): Promise<number | undefined> {
  if (!wasmInitialised()) return undefined;
  return (await loadTfjsWasm()).getThreadsCount();
}
