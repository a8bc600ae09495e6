import { getKernel, registerKernel, unregisterKernel, util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { EMA_UPDATE_KERNEL, type EmaUpdateAttrs } from '@charlearn/core';
import { heapSimdModule } from './simd-module';
import { heapView, WASM, type KernelBackendLike } from './util';

let useHeapModule = true;

/**
 * Runs the kernel's pass in the SIMD module on the heap where it is available (default on); off, the JS pass. Set by
 * the plugin from the `simdEma` option.
 */
export function setSimdEma(on: boolean): void {
  useHeapModule = on;
}

/**
 * {@link EMA_UPDATE_KERNEL} on wasm: one pass writes `decay·ema + (1 − decay)·x`, where the op chain runs three
 * kernels and uploads two scalars a variable: the SIMD module's `ema` in place on the tfjs heap (f32x4 multiplies
 * and add, each rounded to float32 as the chain's are), or, where that module is not available (the threaded
 * binary's shared memory), a JS pass computing each product and the sum in float64 and rounding it to float32
 * (`Math.fround`: for float32 operands the correctly rounded float32 operation). Either way the op chain's bits
 * (tested against the cpu backend).
 */
const emaUpdate: KernelFunc = ({ inputs, backend, attrs }) => {
  const { ema, x } = inputs as Record<string, TensorInfo | undefined>;
  if (!ema || !x) throw new Error(`@charlearn/backend-wasm: ${EMA_UPDATE_KERNEL} needs inputs ema, x`);
  if (!util.arraysEqual(ema.shape, x.shape)) throw new Error(`@charlearn/backend-wasm: ${EMA_UPDATE_KERNEL}: input x has shape [${x.shape.join(', ')}], ema has [${ema.shape.join(', ')}]`);
  for (const [name, t] of Object.entries({ ema, x })) {
    if (t.dtype !== 'float32') throw new Error(`@charlearn/backend-wasm: ${EMA_UPDATE_KERNEL}: input ${name} is ${t.dtype}, expected float32`);
  }
  const { decay } = attrs as unknown as EmaUpdateAttrs;
  if (typeof decay !== 'number' || !(decay >= 0 && decay <= 1)) throw new Error(`@charlearn/backend-wasm: ${EMA_UPDATE_KERNEL}: attribute decay must be a number in [0, 1], got ${String(decay)}`);
  const b = backend as KernelBackendLike;
  const out = b.makeOutput([...ema.shape], 'float32');
  // Views after the allocation (growing the heap detaches earlier ones).
  const [E, X, O] = [ema, x, out].map((t) => heapView(b, t) as Float32Array);
  const keep = Math.fround(decay);
  const take = Math.fround(1 - decay);
  const heap = useHeapModule ? heapSimdModule(backend) : null;
  if (heap) {
    heap.ema(E!.byteOffset, X!.byteOffset, O!.byteOffset, O!.length, keep, take);
    return out;
  }
  for (let i = 0; i < O!.length; i++) O![i] = Math.fround(E![i]! * keep) + Math.fround(X![i]! * take);
  return out;
};

/** Registers {@link EMA_UPDATE_KERNEL} for wasm (idempotent). */
export function registerEmaKernel(): void {
  if (!getKernel(EMA_UPDATE_KERNEL, WASM)) registerKernel({ kernelName: EMA_UPDATE_KERNEL, backendName: WASM, kernelFunc: emaUpdate });
}

/** Removes {@link EMA_UPDATE_KERNEL} from wasm (the EMA then runs its op chain). */
export function unregisterEmaKernel(): void {
  if (getKernel(EMA_UPDATE_KERNEL, WASM)) unregisterKernel(EMA_UPDATE_KERNEL, WASM);
}
