import { getKernel, type DataId, type KernelConfig, type NamedAttrMap, type NamedTensorInfoMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** The backend name every kernel here is registered for. */
export const WASM = 'wasm';

/** What a kernel function needs from the wasm backend object. */
export interface KernelBackendLike {
  disposeData(dataId: DataId, force?: boolean): boolean;
  /** Allocates an output on the wasm heap. */
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  /** A view of a tensor's data on the wasm heap (valid until the heap grows). */
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

/**
 * A view of a float32 or int32 tensor's data on the wasm heap (the wasm
 * backend returns an array of the tensor's dtype). Take it after every
 * allocation of the kernel call: growing the heap detaches earlier views.
 */
export function heapView(backend: KernelBackendLike, info: TensorInfo): Float32Array | Int32Array {
  return backend.typedArrayFromHeap(info) as Float32Array | Int32Array;
}

/** Marks a wrapped kernel function with the kernel config it replaced. */
export const ORIGINAL_KERNEL = Symbol.for('@charlearn/backend-wasm/original-kernel');

type MaybeWrapped = KernelConfig['kernelFunc'] & { [ORIGINAL_KERNEL]?: KernelConfig };

/** The config a charlearn wrapper replaced, or undefined when `config` is not one of ours. */
export function originalOf(config: KernelConfig | undefined): KernelConfig | undefined {
  return config ? (config.kernelFunc as MaybeWrapped)[ORIGINAL_KERNEL] : undefined;
}

/** Tags `kernelFunc` as a wrapper of `original` (so a second copy of this package can see it). */
export function tagWrapper(kernelFunc: KernelConfig['kernelFunc'], original: KernelConfig): KernelConfig['kernelFunc'] {
  Object.defineProperty(kernelFunc, ORIGINAL_KERNEL, { value: original, enumerable: false });
  return kernelFunc;
}

/**
 * Runs the kernel `name` registered for wasm directly on the backend (no
 * engine, no tape, no tracking). The caller owns the result and must free
 * intermediates with `backend.disposeData(info.dataId)`.
 */
export function runWasmKernel(name: string, backend: KernelBackendLike, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
  const kernel = getKernel(name, WASM);
  if (!kernel) throw new Error(`@charlearn/backend-wasm: the wasm backend has no '${name}' kernel`);
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`@charlearn/backend-wasm: kernel '${name}' returned several outputs, expected one`);
  return out;
}

/** Scratch tensors of one kernel call: everything `track`ed is freed by `dispose`, except what is `keep`t. */
export class Scratch {
  private readonly infos: TensorInfo[] = [];
  constructor(private readonly backend: KernelBackendLike) {}
  /** Runs a wasm kernel and tracks its output. */
  run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const out = runWasmKernel(name, this.backend, inputs, attrs);
    this.infos.push(out);
    return out;
  }
  /** Tracks a tensor made elsewhere. */
  track(info: TensorInfo): TensorInfo {
    this.infos.push(info);
    return info;
  }
  /** Stops tracking `info` (it becomes the kernel's output). */
  keep(info: TensorInfo): TensorInfo {
    const i = this.infos.indexOf(info);
    if (i >= 0) this.infos.splice(i, 1);
    return info;
  }
  /** Frees every tracked tensor. */
  dispose(): void {
    for (const info of this.infos.splice(0)) this.backend.disposeData(info.dataId);
  }
}

/** Block edge of the cache-blocked transpose below. */
const BLOCK = 32;

/**
 * Swaps the last two axes of a float32 tensor on the wasm heap with a
 * cache-blocked JS loop: ~0.29 ms for [1024, 256] where the wasm
 * `Transpose` kernel takes ~1.9 ms (its row stride of 4 KiB aliases in
 * cache). The caller owns the result.
 */
export function transposeLastTwo(backend: KernelBackendLike, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const r = x.shape[rank - 2]!;
  const c = x.shape[rank - 1]!;
  const outShape = [...x.shape.slice(0, -2), c, r];
  const out = backend.makeOutput(outShape, 'float32');
  // Views taken after the allocation (which may grow and detach the heap).
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const plane = r * c;
  const batches = plane === 0 ? 0 : src.length / plane;
  for (let bIdx = 0; bIdx < batches; bIdx++) {
    const base = bIdx * plane;
    if (r >= c) {
      // contiguous writes
      for (let i0 = 0; i0 < r; i0 += BLOCK) {
        const i1 = Math.min(r, i0 + BLOCK);
        for (let j0 = 0; j0 < c; j0 += BLOCK) {
          const j1 = Math.min(c, j0 + BLOCK);
          for (let j = j0; j < j1; j++) {
            const o = base + j * r;
            for (let i = i0; i < i1; i++) dst[o + i] = src[base + i * c + j]!;
          }
        }
      }
    } else {
      // contiguous reads
      for (let i0 = 0; i0 < r; i0 += BLOCK) {
        const i1 = Math.min(r, i0 + BLOCK);
        for (let j0 = 0; j0 < c; j0 += BLOCK) {
          const j1 = Math.min(c, j0 + BLOCK);
          for (let i = i0; i < i1; i++) {
            const o = base + i * c;
            for (let j = j0; j < j1; j++) dst[base + j * r + i] = src[o + j]!;
          }
        }
      }
    }
  }
  return out;
}
