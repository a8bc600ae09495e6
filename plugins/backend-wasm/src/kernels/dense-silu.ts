import { _FusedMatMul, Add, BatchMatMul, getKernel, Multiply, registerKernel, Sigmoid, unregisterKernel, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { BIAS_SILU_KERNEL, DENSE_SILU_KERNEL, SILU_BIAS_GRAD_KERNEL, type SiluKernelAttrs } from '@charlearn/core';
import { GEMM_MIN_COLUMNS, gemmHeapModule, gemmIntoModule, gemmModule, heapMatMul, type ModuleProduct } from './gemm';
import { gemmRunsMatMul } from './matmul';
import { heapSimdModule, reserveFloats, type HeapGemmModule, type SimdModule } from './simd-module';
import { heapView, runWasmKernel, Scratch, WASM, type KernelBackendLike } from './util';

function fail(kernel: string, message: string): never {
  throw new Error(`@charlearn/backend-wasm: ${kernel}: ${message}`);
}

function requireFloat32(kernel: string, inputs: Record<string, TensorInfo | undefined>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (!t) fail(kernel, `needs input ${name}`);
    if (t.dtype !== 'float32') fail(kernel, `input ${name} is ${t.dtype}, expected float32`);
  }
}

/** The kernel's `sigmoid` attribute ({@link SiluKernelAttrs}): true (also return `s`) unless it is `false`. */
function sigmoidWanted(kernel: string, attrs: NamedAttrMap | undefined): boolean {
  const sigmoid = (attrs as SiluKernelAttrs | undefined)?.sigmoid;
  if (sigmoid !== undefined && typeof sigmoid !== 'boolean') fail(kernel, `attribute sigmoid must be a boolean, got ${JSON.stringify(sigmoid)}`);
  return sigmoid !== false;
}

/** The same data under another shape of the same size (what the wasm `Reshape` kernel returns). */
function relabel(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/** Copies the first `n` floats of `rows` rows of stride `ld` at `src[from..]` to the contiguous `dst`. */
function copyRows(dst: Float32Array, src: Float32Array, from: number, ld: number, rows: number, n: number): void {
  if (ld === n) dst.set(src.subarray(from, from + rows * n));
  else for (let i = 0; i < rows; i++) dst.set(src.subarray(from + i * ld, from + i * ld + n), i * n);
}

/**
 * `x @ w` by the wasm `BatchMatMul` kernel (XNNPACK, threaded where the backend runs threads), copied into the
 * module's memory with rows of `n` rounded up to 4 floats: the product where charlearn's GEMM does not run it.
 */
function stockProductIntoModule(be: KernelBackendLike, module: SimdModule, x: TensorInfo, w: TensorInfo): ModuleProduct {
  const [m, k] = x.shape as [number, number];
  const n = w.shape[1]!;
  const attrs = { transposeA: false, transposeB: false };
  const z = runWasmKernel(BatchMatMul, be, { a: relabel(x, [1, m, k]), b: relabel(w, [1, k, n]) }, attrs);
  try {
    return copyIntoModule(be, module, relabel(z, [m, n]));
  } finally {
    be.disposeData(z.dataId);
  }
}

/** A row-major `z [m, n]` on the wasm heap copied into the module's memory with rows of `n` rounded up to 4 floats. */
function copyIntoModule(be: KernelBackendLike, module: SimdModule, z: TensorInfo): ModuleProduct {
  const [m, n] = z.shape as [number, number];
  const ldc = Math.ceil(n / 4) * 4;
  const mem = reserveFloats(module, m * ldc);
  const src = be.typedArrayFromHeap(z);
  if (ldc === n) mem.set(src, 0);
  else for (let i = 0; i < m; i++) mem.set(src.subarray(i * n, (i + 1) * n), i * ldc);
  return { c: 0, ldc, rows: m, end: Math.ceil((m * ldc) / 4) * 4 };
}

/**
 * The `biasSilu` epilogue on a pre-activation already in the module's memory (`[m, ldc]` at `product.c`): adds `b`,
 * writes `y = z·σ(z)` and, when `withSigmoid`, `s = σ(z)` while the rows are in cache, and copies each out once.
 * Returns `[y, s]`, or `[y]` without `s`.
 */
function biasSiluFromModule(be: KernelBackendLike, module: SimdModule, product: ModuleProduct, m: number, b: TensorInfo, withSigmoid: boolean): TensorInfo[] {
  const n = b.shape[0]!;
  const { c, ldc } = product;
  const biasAt = product.end;
  const sAt = biasAt + ldc;
  let mem = reserveFloats(module, withSigmoid ? sAt + m * ldc : sAt);
  mem.fill(0, biasAt + n, biasAt + ldc);
  mem.set(be.typedArrayFromHeap(b), biasAt);
  if (withSigmoid) module.biasSilu(c * 4, biasAt * 4, sAt * 4, m, ldc);
  else module.biasSiluY(c * 4, biasAt * 4, m, ldc);
  const y = be.makeOutput([m, n], 'float32');
  const s = withSigmoid ? be.makeOutput([m, n], 'float32') : undefined;
  mem = module.view;
  copyRows(be.typedArrayFromHeap(y), mem, c, ldc, m, n);
  if (!s) return [y];
  copyRows(be.typedArrayFromHeap(s), mem, sAt, ldc, m, n);
  return [y, s];
}

/**
 * The layer in charlearn's SIMD module: the product on its GEMM where that runs `BatchMatMul` (`k`, `n` >= 8; else
 * the stock kernel's product copied in), then {@link biasSiluFromModule}.
 */
function denseSiluSimd(be: KernelBackendLike, module: SimdModule, x: TensorInfo, w: TensorInfo, b: TensorInfo, withSigmoid: boolean): TensorInfo[] {
  const [m, k] = x.shape as [number, number];
  const n = w.shape[1]!;
  const onGemm = gemmRunsMatMul() && k >= GEMM_MIN_COLUMNS && n >= GEMM_MIN_COLUMNS;
  const product = onGemm ? gemmIntoModule(be, module, x, w) : stockProductIntoModule(be, module, x, w);
  return biasSiluFromModule(be, module, product, m, b, withSigmoid);
}

/**
 * The layer as wasm kernels, for runtimes without WebAssembly SIMD: `_FusedMatMul` (XNNPACK, bias fused), `Sigmoid`
 * and `Multiply`, called directly on the backend.
 */
/**
 * The bias + SiLU epilogue in place on `y` (`[m, n]`, `n` a multiple of 4, holding `x·w` or `z`) on the tfjs heap,
 * with `s = σ(z)` written into a new output when wanted: no copy in or out of the module's memory.
 */
function biasSiluOnHeap(be: KernelBackendLike, heap: HeapGemmModule, y: TensorInfo, b: TensorInfo, withSigmoid: boolean): TensorInfo[] {
  const [m, n] = y.shape as [number, number];
  const s = withSigmoid ? be.makeOutput([m, n], 'float32') : undefined;
  // addresses after the allocation (views detach when the heap grows; the addresses do not move)
  const address = (t: TensorInfo): number => be.typedArrayFromHeap(t).byteOffset;
  if (s) heap.biasSilu(address(y), address(b), address(s), m, n);
  else heap.biasSiluY(address(y), address(b), m, n);
  return s ? [y, s] : [y];
}

/**
 * {@link DENSE_SILU_KERNEL} in place on the tfjs heap ({@link gemmHeapModule}: the single-threaded binary), for
 * `n` a multiple of 8: the product written straight into `y` (charlearn's GEMM, or the stock product for an inner
 * dimension under 8), then the epilogue on it. Null when it does not apply (the caller copies through the module).
 */
function denseSiluOnHeap(be: KernelBackendLike, x: TensorInfo, w: TensorInfo, b: TensorInfo, withSigmoid: boolean): TensorInfo[] | null {
  const [m, k] = x.shape as [number, number];
  const n = w.shape[1]!;
  const heap = gemmHeapModule(be);
  if (!heap || n % 8 !== 0) return null;
  const onGemm = gemmRunsMatMul() && k >= GEMM_MIN_COLUMNS;
  const y = onGemm
    ? heapMatMul(be, heap, x, w, { batchDims: [], m, k, n, transposeA: false, transposeB: false })
    : relabel(runWasmKernel(BatchMatMul, be, { a: relabel(x, [1, m, k]), b: relabel(w, [1, k, n]) }, { transposeA: false, transposeB: false }), [m, n]);
  try {
    return biasSiluOnHeap(be, heap, y, b, withSigmoid);
  } catch (e) {
    be.disposeData(y.dataId);
    throw e;
  }
}

function denseSiluKernels(be: KernelBackendLike, x: TensorInfo, w: TensorInfo, b: TensorInfo, withSigmoid: boolean): TensorInfo[] {
  const [m, k] = x.shape as [number, number];
  const n = w.shape[1]!;
  const scratch = new Scratch(be);
  try {
    const attrs = { transposeA: false, transposeB: false, activation: 'linear', leakyreluAlpha: 0 };
    const z = scratch.run(_FusedMatMul, { a: relabel(x, [1, m, k]), b: relabel(w, [1, k, n]), bias: b }, attrs);
    const s = scratch.run(Sigmoid, { x: z });
    const y = scratch.run(Multiply, { a: z, b: s });
    scratch.keep(y);
    if (!withSigmoid) return [relabel(y, [m, n])];
    scratch.keep(s);
    return [relabel(y, [m, n]), relabel(s, [m, n])];
  } finally {
    scratch.dispose();
  }
}

/**
 * {@link DENSE_SILU_KERNEL} on wasm: one engine dispatch (and one tape entry) where the op chain makes four. With
 * WebAssembly SIMD ({@link denseSiluSimd}) the product, bias, sigmoid and SiLU run in charlearn's SIMD module and
 * the activations are copied out once; σ then differs from the stock `Sigmoid`'s by float32 rounding (max relative
 * ~2e-7). Without SIMD it calls the wasm kernels `_FusedMatMul`, `Sigmoid` and `Multiply`.
 */
const denseSilu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, w, b } = inputs as Record<string, TensorInfo | undefined>;
  const withSigmoid = sigmoidWanted(DENSE_SILU_KERNEL, attrs);
  requireFloat32(DENSE_SILU_KERNEL, { x, w, b });
  const [m, k] = x!.shape;
  const n = w!.shape[1];
  if (x!.shape.length !== 2 || w!.shape.length !== 2 || k !== w!.shape[0] || b!.shape.length !== 1 || b!.shape[0] !== n) {
    fail(DENSE_SILU_KERNEL, `expected x [batch, in], w [in, out], b [out]; got x [${x!.shape.join(', ')}], w [${w!.shape.join(', ')}], b [${b!.shape.join(', ')}]`);
  }
  const be = backend as KernelBackendLike;
  const module = gemmModule();
  if (!module || m === 0 || n === 0 || k === 0) return denseSiluKernels(be, x!, w!, b!, withSigmoid);
  return denseSiluOnHeap(be, x!, w!, b!, withSigmoid) ?? denseSiluSimd(be, module, x!, w!, b!, withSigmoid);
};

/**
 * {@link BIAS_SILU_KERNEL} on wasm: `z` copied into charlearn's SIMD module and {@link biasSiluFromModule}; without
 * WebAssembly SIMD the wasm kernels `Add`, `Sigmoid` and `Multiply`, called directly on the backend.
 */
const biasSilu: KernelFunc = ({ inputs, backend, attrs }) => {
  const { z, b } = inputs as Record<string, TensorInfo | undefined>;
  const withSigmoid = sigmoidWanted(BIAS_SILU_KERNEL, attrs);
  requireFloat32(BIAS_SILU_KERNEL, { z, b });
  if (z!.shape.length !== 2 || b!.shape.length !== 1 || b!.shape[0] !== z!.shape[1]) {
    fail(BIAS_SILU_KERNEL, `expected z [batch, out], b [out]; got z [${z!.shape.join(', ')}], b [${b!.shape.join(', ')}]`);
  }
  const be = backend as KernelBackendLike;
  const module = gemmModule();
  const heap = module ? gemmHeapModule(be) : null;
  if (heap && z!.shape[0]! > 0 && z!.shape[1]! % 4 === 0) {
    const y = be.makeOutput([...z!.shape], 'float32');
    be.typedArrayFromHeap(y).set(be.typedArrayFromHeap(z!));
    try {
      return biasSiluOnHeap(be, heap, y, b!, withSigmoid);
    } catch (e) {
      be.disposeData(y.dataId);
      throw e;
    }
  }
  if (module && z!.shape[0]! > 0 && z!.shape[1]! > 0) return biasSiluFromModule(be, module, copyIntoModule(be, module, z!), z!.shape[0]!, b!, withSigmoid);
  const scratch = new Scratch(be);
  try {
    const pre = scratch.run(Add, { a: z!, b: b! });
    const s = scratch.run(Sigmoid, { x: pre });
    const y = scratch.run(Multiply, { a: pre, b: s });
    scratch.keep(y);
    if (!withSigmoid) return [y];
    scratch.keep(s);
    return [y, s];
  } finally {
    scratch.dispose();
  }
};

/** `dz = dy·(s + y·(1 − s))` and the column sums of `dz` (rows of length `n`), accumulated in float64 (no-SIMD fallback). */
function writeSiluBiasGrad(dy: Float32Array, y: Float32Array, s: Float32Array, dz: Float32Array, db: Float32Array, n: number): void {
  const acc = new Float64Array(n);
  const size = dy.length;
  for (let o = 0; o < size; o += n) {
    for (let j = 0; j < n; j++) {
      const i = o + j;
      const si = s[i]!;
      const g = dy[i]! * (si + y[i]! * (1 - si));
      dz[i] = g;
      acc[j] = acc[j]! + g;
    }
  }
  db.set(acc);
}

/**
 * The SIMD module's `siluGrad` over copies of `dy`, `y`, `s` (`dz` written over `dy`'s copy), results copied out
 * into `dz` and `db`; the column sums in float32, rows added in order (as the `Sum` kernel's bias gradient).
 */
function writeSiluBiasGradSimd(module: SimdModule, dy: Float32Array, y: Float32Array, s: Float32Array, dz: Float32Array, db: Float32Array, n: number): void {
  const size = dy.length;
  const stride = Math.ceil(size / 4) * 4;
  const mem = reserveFloats(module, 3 * stride + n);
  mem.set(dy, 0);
  mem.set(y, stride);
  mem.set(s, 2 * stride);
  module.siluGrad(0, 4 * stride, 8 * stride, 0, 12 * stride, size / n, n);
  dz.set(mem.subarray(0, size));
  db.set(mem.subarray(3 * stride, 3 * stride + n));
}

/**
 * {@link SILU_BIAS_GRAD_KERNEL} on wasm: one pass writes `dz = dy·(s + y·(1 − s))` and accumulates the bias gradient
 * `db = Σ_batch dz`, where the op chain runs five elementwise kernels and a reduction: f32x4 in charlearn's SIMD
 * module where WebAssembly SIMD is available (float32 sums), in place on the tfjs heap where the module instantiates
 * on it (the single-threaded binary's memory; else on copies in the module's own memory), else a JS loop (float64
 * sums, rounded once).
 */
const siluBiasGrad: KernelFunc = ({ inputs, backend }) => {
  const { dy, y, s } = inputs as Record<string, TensorInfo | undefined>;
  requireFloat32(SILU_BIAS_GRAD_KERNEL, { dy, y, s });
  const shape = dy!.shape;
  for (const [name, t] of Object.entries({ y, s })) {
    if (t!.shape.length !== shape.length || t!.shape.some((d, i) => d !== shape[i])) {
      fail(SILU_BIAS_GRAD_KERNEL, `input ${name} has shape [${t!.shape.join(', ')}], dy has [${shape.join(', ')}]`);
    }
  }
  if (shape.length < 1) fail(SILU_BIAS_GRAD_KERNEL, 'dy must have at least one axis');
  const n = shape[shape.length - 1]!;
  const be = backend as KernelBackendLike;
  const dzInfo = be.makeOutput([...shape], 'float32');
  const dbInfo = be.makeOutput([n], 'float32');
  // Views after every allocation (growing the heap detaches earlier ones); float32 checked above.
  const view = (t: TensorInfo) => heapView(be, t) as Float32Array;
  const size = view(dy!).length;
  const module = gemmModule();
  const heap = module ? heapSimdModule(be) : null;
  if (heap && size > 0) {
    // in place on the tfjs heap: no copy in or out (the byte offsets of the views are heap addresses)
    heap.siluGrad(view(dy!).byteOffset, view(y!).byteOffset, view(s!).byteOffset, view(dzInfo).byteOffset, view(dbInfo).byteOffset, size / n, n);
    return [dzInfo, dbInfo];
  }
  if (module && size > 0) writeSiluBiasGradSimd(module, view(dy!), view(y!), view(s!), view(dzInfo), view(dbInfo), n);
  else writeSiluBiasGrad(view(dy!), view(y!), view(s!), view(dzInfo), view(dbInfo), n);
  return [dzInfo, dbInfo];
};

const DENSE_SILU_KERNELS: readonly [string, KernelFunc][] = [
  [DENSE_SILU_KERNEL, denseSilu],
  [BIAS_SILU_KERNEL, biasSilu],
  [SILU_BIAS_GRAD_KERNEL, siluBiasGrad],
];

/** Registers {@link DENSE_SILU_KERNEL}, {@link BIAS_SILU_KERNEL} and {@link SILU_BIAS_GRAD_KERNEL} for wasm (idempotent). */
export function registerDenseSiluKernels(): void {
  for (const [kernelName, kernelFunc] of DENSE_SILU_KERNELS) if (!getKernel(kernelName, WASM)) registerKernel({ kernelName, backendName: WASM, kernelFunc });
}

/** Removes all three (the libraries then run their op chains). */
export function unregisterDenseSiluKernels(): void {
  for (const [name] of DENSE_SILU_KERNELS) if (getKernel(name, WASM)) unregisterKernel(name, WASM);
}
