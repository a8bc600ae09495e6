import { getKernel, registerKernel, unregisterKernel, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { SINUSOIDAL_EMBEDDING_KERNEL } from '@charlearn/core';
import { heapView, WASM, type KernelBackendLike } from './util';

/**
 * Writes `[sin(c_b·f_k), cos(c_b·f_k)]` row by row; a time seen before copies that row (a rollout's evaluation
 * embeds one time for its whole batch). Each argument is rounded to float32 (as the op chain's product is), the
 * sine and cosine are float64, rounded once.
 */
function writeEmbedding(c: Float32Array, f: Float32Array, out: Float32Array): void {
  const half = f.length;
  const width = 2 * half;
  const seen = new Map<number, number>();
  for (let b = 0; b < c.length; b++) {
    const cb = c[b]!;
    const o = b * width;
    const first = seen.get(cb);
    if (first !== undefined) {
      out.copyWithin(o, first, first + width);
      continue;
    }
    seen.set(cb, o);
    for (let k = 0; k < half; k++) {
      const arg = Math.fround(cb * f[k]!);
      out[o + k] = Math.sin(arg);
      out[o + half + k] = Math.cos(arg);
    }
  }
}

/** {@link SINUSOIDAL_EMBEDDING_KERNEL} on wasm: one JS pass, each distinct time once (wasm's Sin and Cos are scalar). */
const sinusoidalEmbedding: KernelFunc = ({ inputs, backend }) => {
  const { c, freqs } = inputs as Record<string, TensorInfo | undefined>;
  const name = SINUSOIDAL_EMBEDDING_KERNEL;
  if (!c || !freqs) throw new Error(`@charlearn/backend-wasm: ${name} needs inputs c, freqs`);
  for (const [key, t] of Object.entries({ c, freqs })) {
    if (t.dtype !== 'float32') throw new Error(`@charlearn/backend-wasm: ${name}: input ${key} is ${t.dtype}, expected float32`);
  }
  if (c.shape.length !== 1 || freqs.shape.length !== 2 || freqs.shape[0] !== 1) {
    throw new Error(`@charlearn/backend-wasm: ${name}: expected c [batch], freqs [1, half]; got c [${c.shape.join(', ')}], freqs [${freqs.shape.join(', ')}]`);
  }
  const be = backend as KernelBackendLike;
  const out = be.makeOutput([c.shape[0]!, 2 * freqs.shape[1]!], 'float32');
  // Views after the allocation (growing the heap detaches earlier ones); float32 checked above.
  writeEmbedding(heapView(be, c) as Float32Array, heapView(be, freqs) as Float32Array, heapView(be, out) as Float32Array);
  return out;
};

/** Registers {@link SINUSOIDAL_EMBEDDING_KERNEL} for wasm (idempotent). */
export function registerEmbeddingKernel(): void {
  if (!getKernel(SINUSOIDAL_EMBEDDING_KERNEL, WASM)) registerKernel({ kernelName: SINUSOIDAL_EMBEDDING_KERNEL, backendName: WASM, kernelFunc: sinusoidalEmbedding });
}

/** Removes it (`sinusoidalEmbedding` then runs its op chain). */
export function unregisterEmbeddingKernel(): void {
  if (getKernel(SINUSOIDAL_EMBEDDING_KERNEL, WASM)) unregisterKernel(SINUSOIDAL_EMBEDDING_KERNEL, WASM);
}
