import { getKernel, registerKernel, unregisterKernel, util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { SILU_GRAD_KERNEL } from '@charlearn/core';
import { reserveFloats, simdModule } from './simd-module';
import { heapView, WASM, type KernelBackendLike } from './util';

/**
 * Floats of each operand a chunk: `dy`, `x`, `s` and `dx` chunks (4 x 32 KiB) stay in L2 between the copies in, the
 * pass and the copy out.
 */
const CHUNK = 1 << 13;

/**
 * {@link SILU_GRAD_KERNEL} on wasm: `dx = dy·(s·(1 + x·(1 − s)))` in one pass where the op chain runs five kernels
 * (`Sub`, `Multiply`, `Add`, `Multiply`, `Multiply`), each a pass over memory and an allocation. The pass is the SIMD
 * kernels module's `siluInputGrad` (f32x4, the op chain's float32 operations in its order, so the same bits), chunk by
 * chunk copied in and out; without WebAssembly SIMD, a JS loop rounding each operation to float32 (the same bits).
 */
const siluGrad: KernelFunc = ({ inputs, backend }) => {
  const { dy, x, s } = inputs as Record<string, TensorInfo | undefined>;
  if (!dy || !x || !s) throw new Error(`@charlearn/backend-wasm: ${SILU_GRAD_KERNEL} needs inputs dy, x, s`);
  for (const [name, t] of Object.entries({ dy, x, s })) {
    if (t.dtype !== 'float32') throw new Error(`@charlearn/backend-wasm: ${SILU_GRAD_KERNEL}: input ${name} is ${t.dtype}, expected float32`);
    if (!util.arraysEqual(t.shape, dy.shape)) throw new Error(`@charlearn/backend-wasm: ${SILU_GRAD_KERNEL}: input ${name} has shape [${t.shape.join(', ')}], dy has [${dy.shape.join(', ')}]; pass x and s = sigmoid(x) of the gradient's shape`);
  }
  const b = backend as KernelBackendLike;
  const dx = b.makeOutput([...dy.shape], 'float32');
  // Views after the allocation (growing the heap detaches earlier ones).
  const [DY, X, S, DX] = [dy, x, s, dx].map((t) => heapView(b, t) as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const n = DY.length;
  const simd = simdModule();
  if (simd) {
    const mem = reserveFloats(simd, 4 * CHUNK);
    for (let start = 0; start < n; start += CHUNK) {
      const end = Math.min(n, start + CHUNK);
      mem.set(DY.subarray(start, end), 0);
      mem.set(X.subarray(start, end), CHUNK);
      mem.set(S.subarray(start, end), 2 * CHUNK);
      simd.siluInputGrad(0, 4 * CHUNK, 8 * CHUNK, 12 * CHUNK, end - start);
      DX.set(mem.subarray(3 * CHUNK, 3 * CHUNK + end - start), start);
    }
    return dx;
  }
  const f = Math.fround;
  for (let i = 0; i < n; i++) {
    const si = S[i]!;
    DX[i] = f(DY[i]! * f(si * f(1 + f(X[i]! * f(1 - si)))));
  }
  return dx;
};

/** Registers {@link SILU_GRAD_KERNEL} for wasm (idempotent). */
export function registerSiluGradKernel(): void {
  if (!getKernel(SILU_GRAD_KERNEL, WASM)) registerKernel({ kernelName: SILU_GRAD_KERNEL, backendName: WASM, kernelFunc: siluGrad });
}

/** Removes {@link SILU_GRAD_KERNEL} from wasm (`activate`'s SiLU gradient then runs its op chain). */
export function unregisterSiluGradKernel(): void {
  if (getKernel(SILU_GRAD_KERNEL, WASM)) unregisterKernel(SILU_GRAD_KERNEL, WASM);
}
