import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Inputs one AddN program may read. tfjs-backend-webgpu 4.22 compiles AddN
 * over all its inputs at once, one storage buffer each plus the output, and
 * WebGPU's default `maxStorageBuffersPerShaderStage` is 8: `addN` of 8+
 * tensors (e.g. a global gradient norm over 9+ variables) fails validation.
 * 6 inputs + 1 output stays within 8 with room to spare.
 */
export const ADD_N_CHUNK = 6;

interface DisposingBackend {
  disposeData(dataId: object, force?: boolean): boolean;
}

const PATCHED = Symbol.for('@charlearn/backend-webgpu/addN');

/**
 * Sums `inputs` in groups of at most `chunk` with `sumFew` (a tree of
 * partial sums), disposing the partial sums through `dispose`.
 *
 * @example
 * ```ts
 * chunkedSum([a, b, c, d, e, f, g, h], 6, (xs) => stockAddN(xs), (t) => backend.disposeData(t.dataId));
 * ```
 */
export function chunkedSum<T>(inputs: readonly T[], chunk: number, sumFew: (xs: T[]) => T, dispose: (x: T) => void): T {
  if (inputs.length <= chunk) return sumFew([...inputs]);
  const partials: T[] = [];
  for (let i = 0; i < inputs.length; i += chunk) partials.push(inputs.length - i === 1 ? inputs[i]! : sumFew(inputs.slice(i, i + chunk)));
  const owned = partials.filter((p) => !inputs.includes(p));
  const out = chunkedSum(partials, chunk, sumFew, dispose);
  for (const p of owned) if (p !== out) dispose(p);
  return out;
}

/**
 * Replaces the `webgpu` AddN kernel with one that sums at most
 * {@link ADD_N_CHUNK} tensors per program (same result; idempotent).
 */
export function patchAddNKernel(): void {
  const stock = tf.getKernel(tf.AddN, 'webgpu') as (KernelConfig & { [PATCHED]?: true }) | undefined;
  if (!stock || stock[PATCHED]) return;
  const stockFunc = stock.kernelFunc;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const tensors = Object.values(inputs) as TensorInfo[];
    const sumFew = (xs: TensorInfo[]) => stockFunc({ inputs: xs as unknown as tf.NamedTensorInfoMap, backend, attrs }) as TensorInfo;
    return chunkedSum(tensors, ADD_N_CHUNK, sumFew, (t) => (backend as unknown as DisposingBackend).disposeData(t.dataId));
  };
  tf.unregisterKernel(tf.AddN, 'webgpu');
  tf.registerKernel({ ...stock, kernelFunc, [PATCHED]: true } as KernelConfig);
}
