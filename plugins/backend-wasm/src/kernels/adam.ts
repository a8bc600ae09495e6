import { getKernel, registerKernel, unregisterKernel, util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL, type AdamUpdateAttrs } from '@charlearn/core';
import { reserveFloats, simdModule } from './simd-module';
import { heapView, WASM, type KernelBackendLike } from './util';

/**
 * {@link ADAM_UPDATE_KERNEL} on wasm: one pass writes the new variable and both moments, where the op chain runs 12
 * kernels (and allocates 9 intermediates) a variable. The pass is the SIMD kernels module's `adam` (float32 f32x4
 * arithmetic in the op chain's order: copies in and out at memcpy speed, ~10x faster than a JS pass); without
 * WebAssembly SIMD, a JS pass in float64 rounded once per output. The two agree to a few float32 ulps.
 */
const adamUpdate: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, m, v, g } = inputs as Record<string, TensorInfo | undefined>;
  if (!x || !m || !v || !g) throw new Error(`@charlearn/backend-wasm: ${ADAM_UPDATE_KERNEL} needs inputs x, m, v, g`);
  for (const [name, t] of Object.entries({ m, v, g })) {
    if (!util.arraysEqual(t.shape, x.shape)) throw new Error(`@charlearn/backend-wasm: ${ADAM_UPDATE_KERNEL}: input ${name} has shape [${t.shape.join(', ')}], x has [${x.shape.join(', ')}]`);
  }
  for (const [name, t] of Object.entries({ x, m, v, g })) {
    if (t.dtype !== 'float32') throw new Error(`@charlearn/backend-wasm: ${ADAM_UPDATE_KERNEL}: input ${name} is ${t.dtype}, expected float32`);
  }
  const { beta1, beta2, stepSize, epsilon, gradScale } = attrs as unknown as AdamUpdateAttrs;
  const b = backend as KernelBackendLike;
  const xo = b.makeOutput([...x.shape], 'float32');
  const mo = b.makeOutput([...x.shape], 'float32');
  const vo = b.makeOutput([...x.shape], 'float32');
  // Views after every allocation (growing the heap detaches earlier ones).
  const [X, M, V, G, XO, MO, VO] = [x, m, v, g, xo, mo, vo].map((t) => heapView(b, t));
  const simd = simdModule();
  if (simd) {
    const n = X!.length;
    const stride = Math.ceil(n / 4) * 4;
    const mem = reserveFloats(simd, 4 * stride);
    mem.set(X!, 0);
    mem.set(M!, stride);
    mem.set(V!, 2 * stride);
    mem.set(G!, 3 * stride);
    simd.adam(0, 4 * stride, 8 * stride, 12 * stride, n, beta1, beta2, 1 - beta1, 1 - beta2, stepSize, epsilon, gradScale);
    XO!.set(mem.subarray(0, n));
    MO!.set(mem.subarray(stride, stride + n));
    VO!.set(mem.subarray(2 * stride, 2 * stride + n));
    return [xo, mo, vo];
  }
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  for (let i = 0; i < X!.length; i++) {
    const gi = G![i]! * gradScale;
    const mi = beta1 * M![i]! + c1 * gi;
    const vi = beta2 * V![i]! + c2 * gi * gi;
    MO![i] = mi;
    VO![i] = vi;
    XO![i] = X![i]! - (stepSize * mi) / (Math.sqrt(vi) + epsilon);
  }
  return [xo, mo, vo];
};

/** Registers {@link ADAM_UPDATE_KERNEL} for wasm (idempotent). */
export function registerAdamKernel(): void {
  if (!getKernel(ADAM_UPDATE_KERNEL, WASM)) registerKernel({ kernelName: ADAM_UPDATE_KERNEL, backendName: WASM, kernelFunc: adamUpdate });
}

/** Removes {@link ADAM_UPDATE_KERNEL} from wasm (the optimiser then runs its op chain). */
export function unregisterAdamKernel(): void {
  if (getKernel(ADAM_UPDATE_KERNEL, WASM)) unregisterKernel(ADAM_UPDATE_KERNEL, WASM);
}
