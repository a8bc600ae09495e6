import {
  BatchMatMul,
  _FusedMatMul,
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
} from '@tensorflow/tfjs-core';
import { gemmMatMul } from './gemm';
import { originalOf, Scratch, tagWrapper, transposeLastTwo, WASM, type KernelBackendLike } from './util';

/**
 * The wasm kernels whose `transposeA` / `transposeB` attributes are
 * materialised. tfjs-backend-wasm 4.22 runs the untransposed case through
 * XNNPACK and the transposed ones through a much slower path (measured
 * ~10-15x on 1024x256 operands), and the stock MatMul gradient always asks
 * for a transposed product.
 */
export const MATMUL_KERNELS = [BatchMatMul, _FusedMatMul] as const;

/** Cost of XNNPACK packing one element of the right operand, relative to transposing one (measured ~4 ns vs ~1.1 ns). */
const PACK_COST = 4;

function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Elements of `op(a) @ op(b)` (broadcast batch dims). */
function outputSize(aShape: readonly number[], bShape: readonly number[], tA: boolean, tB: boolean): number {
  const ra = aShape.length;
  const rb = bShape.length;
  const m = tA ? aShape[ra - 1]! : aShape[ra - 2]!;
  const n = tB ? bShape[rb - 2]! : bShape[rb - 1]!;
  const batchA = aShape.slice(0, -2);
  const batchB = bShape.slice(0, -2);
  let batch = 1;
  for (let i = 0; i < Math.max(batchA.length, batchB.length); i++) {
    batch *= Math.max(batchA[batchA.length - 1 - i] ?? 1, batchB[batchB.length - 1 - i] ?? 1);
  }
  return batch * m * n;
}

/** Whether `BatchMatMul` runs on charlearn's GEMM where it can ({@link setGemmMatMul}). */
let useGemm = true;

/**
 * Runs float32 `BatchMatMul` products with at least 8 output columns on charlearn's SIMD GEMM (`gemm.ts`) instead of
 * XNNPACK (default on). Takes effect while the MatMul kernels are patched ({@link patchMatMulKernels}).
 */
export function setGemmMatMul(on: boolean): void {
  useGemm = on;
}

/** Whether `BatchMatMul` runs on charlearn's GEMM now: the option is on and the MatMul kernels are patched. */
export function gemmRunsMatMul(): boolean {
  return useGemm && originalOf(getKernel(BatchMatMul, WASM)) !== undefined;
}

function wrap(original: KernelConfig, allowSwap: boolean): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const attrs = (args.attrs ?? {}) as NamedAttrMap & { transposeA?: boolean; transposeB?: boolean };
    const tA = attrs.transposeA === true;
    const tB = attrs.transposeB === true;
    if (allowSwap && useGemm && args.inputs.a && args.inputs.b) {
      const viaGemm = gemmMatMul(args.backend as KernelBackendLike, args.inputs.a, args.inputs.b, tA, tB);
      if (viaGemm) return viaGemm;
    }
    if (!tA && !tB) return original.kernelFunc(args);
    const { a, b } = args.inputs;
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return original.kernelFunc(args);
    const backend = args.backend as KernelBackendLike;
    const scratch = new Scratch(backend);
    const plain = { ...attrs, transposeA: false, transposeB: false };
    try {
      // Either transpose the flagged operands, or use C = (op(B)^T op(A)^T)^T, which
      // transposes the unflagged operands and the result. XNNPACK also repacks its
      // right operand (B, resp. A) on every call: ~4x the cost of transposing it.
      const sa = size(a.shape);
      const sb = size(b.shape);
      const direct = (tA ? sa : 0) + (tB ? sb : 0) + PACK_COST * sb;
      const swapped = (tA ? 0 : sa) + (tB ? 0 : sb) + outputSize(a.shape, b.shape, tA, tB) + PACK_COST * sa;
      if (allowSwap && swapped < direct) {
        const a2 = tB ? b : scratch.track(transposeLastTwo(backend, b));
        const b2 = tA ? a : scratch.track(transposeLastTwo(backend, a));
        const cT = original.kernelFunc({ inputs: { a: a2, b: b2 }, backend: args.backend, attrs: plain });
        if (Array.isArray(cT)) throw new Error('@charlearn/backend-wasm: BatchMatMul returned several outputs');
        scratch.track(cT);
        return transposeLastTwo(backend, cT);
      }
      const inputs: NamedTensorInfoMap = { ...args.inputs };
      if (tA) inputs.a = scratch.track(transposeLastTwo(backend, a));
      if (tB) inputs.b = scratch.track(transposeLastTwo(backend, b));
      return original.kernelFunc({ inputs, backend: args.backend, attrs: plain });
    } finally {
      scratch.dispose();
    }
  };
  return { ...original, kernelFunc: tagWrapper(kernelFunc, original) };
}

/** Whether the wasm MatMul kernels currently carry the transpose fix. */
export function matMulKernelsPatched(): boolean {
  return MATMUL_KERNELS.every((name) => originalOf(getKernel(name, WASM)) !== undefined);
}

/**
 * Re-registers `BatchMatMul` and `_FusedMatMul` for wasm so that transposed
 * operands are first transposed by the wasm `Transpose` kernel and the
 * original kernel runs with both flags off (transposes by a cache-blocked JS
 * loop on the wasm heap, {@link transposeLastTwo}, ~6x faster than the wasm
 * `Transpose` kernel on [1024, 256]). For `BatchMatMul`, when that moves
 * fewer elements (transposes + XNNPACK's repacking of the right operand), it
 * computes `(op(B)^T op(A)^T)^T` instead (e.g. `[2, 64] @ [32, 64]^T`
 * transposes the small left operand and result rather than the right one). Idempotent; also safe when a
 * second copy (ESM + CJS) of this package already patched them.
 */
export function patchMatMulKernels(): void {
  for (const name of MATMUL_KERNELS) {
    const current = getKernel(name, WASM);
    if (!current || originalOf(current)) continue;
    unregisterKernel(name, WASM);
    registerKernel(wrap(current, name === BatchMatMul));
  }
}

/** Puts the stock wasm MatMul kernels back. Idempotent. */
export function unpatchMatMulKernels(): void {
  for (const name of MATMUL_KERNELS) {
    const original = originalOf(getKernel(name, WASM));
    if (!original) continue;
    unregisterKernel(name, WASM);
    registerKernel(original);
  }
}
