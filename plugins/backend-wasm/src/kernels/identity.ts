import { getKernel, Identity, registerKernel, unregisterKernel, type DataId, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { originalOf, tagWrapper, WASM } from './util';

/** What the identity needs from the wasm backend: its reference count per data id (tfjs-backend-wasm has it for Reshape). */
interface RefCountingBackend {
  incRef(dataId: DataId): void;
}

/**
 * `Identity` on wasm without a copy: the output shares the input's data and takes a reference on it, as the cpu
 * backend's does (tfjs-backend-wasm 4.22 allocates and copies). The gradient tape keeps ~130 tensors a teacher step
 * through Identity (`tf.keep`/saved tensors, `clone`); the data is never written in place by any kernel, so sharing
 * it is safe, and the backend frees it when the last reference is disposed.
 */
function wrap(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x;
    const backend = args.backend as unknown as Partial<RefCountingBackend>;
    if (!x || x.dtype === 'string' || typeof backend.incRef !== 'function') return original.kernelFunc(args);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  return { ...original, kernelFunc: tagWrapper(kernelFunc, original) };
}

/** Registers the sharing `Identity` for wasm (idempotent; also when another copy of this package did). */
export function patchIdentityKernel(): void {
  const current = getKernel(Identity, WASM);
  if (!current || originalOf(current)) return;
  unregisterKernel(Identity, WASM);
  registerKernel(wrap(current));
}

/** Puts the stock copying `Identity` back (idempotent). */
export function unpatchIdentityKernel(): void {
  const original = originalOf(getKernel(Identity, WASM));
  if (!original) return;
  unregisterKernel(Identity, WASM);
  registerKernel(original);
}
