import {
  backend_util,
  getKernel,
  MaxPoolGrad,
  registerKernel,
  ResizeNearestNeighborGrad,
  unregisterKernel,
  type KernelConfig,
  type KernelFunc,
  type MaxPoolGradAttrs,
  type ResizeNearestNeighborGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { originalOf, tagWrapper, WASM, type KernelBackendLike } from './util';

function rank4(kernel: string, name: string, info: TensorInfo | undefined): [number, number, number, number] {
  if (!info || info.shape.length !== 4) {
    throw new Error(`@charlearn/backend-wasm: ${kernel} expects a rank-4 (NHWC) '${name}', got shape [${info?.shape.join(', ') ?? ''}]`);
  }
  return info.shape as [number, number, number, number];
}

/**
 * dx of `maxPool(input)` (NHWC, float32): `dy` of every window goes to the
 * first maximum of that window in row-major order (the cpu backend's
 * rule). Replaces tfjs-backend-wasm 4.22's kernel, which routes gradient to
 * the wrong entries for some shapes (e.g. x [2,4,4,3], 2x2 stride 2). One
 * pass over the windows, channels innermost (contiguous).
 */
export const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs;
  const { filterSize, strides, pad, dimRoundingMode } = (attrs ?? {}) as unknown as MaxPoolGradAttrs;
  const [, , , c] = rank4(MaxPoolGrad, 'input', input);
  rank4(MaxPoolGrad, 'dy', dy);
  const info = backend_util.computePool2DInfo(input!.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const want = [batchSize, oh, ow, c];
  if (dy!.shape.some((d, i) => d !== want[i])) {
    throw new Error(`@charlearn/backend-wasm: ${MaxPoolGrad}: dy has shape [${dy!.shape.join(', ')}], expected [${want.join(', ')}]`);
  }
  const b = backend as KernelBackendLike;
  const out = b.makeOutput([...input!.shape], 'float32');
  const xs = b.typedArrayFromHeap(input!);
  const g = b.typedArrayFromHeap(dy!);
  const dx = b.typedArrayFromHeap(out);
  dx.fill(0);
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  let o = 0;
  for (let n = 0; n < batchSize; n++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      const yLo = Math.max(0, y0);
      const yHi = Math.min(h, y0 + fh);
      for (let ox = 0; ox < ow; ox++, o += c) {
        const x0 = ox * sw - left;
        const xLo = Math.max(0, x0);
        const xHi = Math.min(w, x0 + fw);
        best.fill(-Infinity);
        at.fill(-1);
        for (let y = yLo; y < yHi; y++) {
          for (let x = xLo; x < xHi; x++) {
            const base = ((n * h + y) * w + x) * c;
            for (let k = 0; k < c; k++) {
              const v = xs[base + k]!;
              if (v > best[k]! || at[k] === -1) {
                best[k] = v;
                at[k] = base + k;
              }
            }
          }
        }
        for (let k = 0; k < c; k++) if (at[k]! >= 0) dx[at[k]!]! += g[o + k]!;
      }
    }
  }
  return out;
};

/** Source row (or column) of every output row of a nearest-neighbour resize, as tfjs's ResizeNearestNeighbor computes it. */
export function nearestSourceIndex(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  const src = new Int32Array(outSize);
  for (let r = 0; r < outSize; r++) {
    const frac = halfPixelCenters ? ratio * (r + 0.5) : ratio * r;
    let s = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    if (halfPixelCenters) s = Math.max(0, s);
    src[r] = s;
  }
  return src;
}

/**
 * dx of `resizeNearestNeighbor(images, [oh, ow], alignCorners, halfPixelCenters)`
 * (NHWC): every `dy` entry is added to the input pixel the forward copied it
 * from (same index rule as the forward kernel). Replaces tfjs-backend-wasm
 * 4.22's kernel, which disagrees with the cpu backend and ignores
 * `halfPixelCenters`.
 */
export const resizeNearestNeighborGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { images, dy } = inputs;
  const { alignCorners, halfPixelCenters } = (attrs ?? {}) as unknown as ResizeNearestNeighborGradAttrs;
  const [batch, h, w, c] = rank4(ResizeNearestNeighborGrad, 'images', images);
  const [db, oh, ow, dc] = rank4(ResizeNearestNeighborGrad, 'dy', dy);
  if (db !== batch || dc !== c) {
    throw new Error(`@charlearn/backend-wasm: ${ResizeNearestNeighborGrad}: dy [${dy!.shape.join(', ')}] must have the batch and channels of images [${images!.shape.join(', ')}]`);
  }
  const rows = nearestSourceIndex(h, oh, alignCorners === true, halfPixelCenters === true);
  const cols = nearestSourceIndex(w, ow, alignCorners === true, halfPixelCenters === true);
  const b = backend as KernelBackendLike;
  const out = b.makeOutput([batch, h, w, c], 'float32');
  const g = b.typedArrayFromHeap(dy!);
  const dx = b.typedArrayFromHeap(out);
  dx.fill(0);
  let o = 0;
  for (let n = 0; n < batch; n++) {
    for (let y = 0; y < oh; y++) {
      const row = (n * h + rows[y]!) * w;
      for (let x = 0; x < ow; x++, o += c) {
        const to = (row + cols[x]!) * c;
        for (let k = 0; k < c; k++) dx[to + k]! += g[o + k]!;
      }
    }
  }
  return out;
};

/** Kernels this module replaces on wasm. */
export const POOL_KERNELS = [MaxPoolGrad, ResizeNearestNeighborGrad] as const;

const REPLACEMENTS: Readonly<Record<(typeof POOL_KERNELS)[number], KernelFunc>> = {
  [MaxPoolGrad]: maxPoolGrad,
  [ResizeNearestNeighborGrad]: resizeNearestNeighborGrad,
};

/**
 * Replaces wasm's `MaxPoolGrad` and `ResizeNearestNeighborGrad` with
 * {@link maxPoolGrad} and {@link resizeNearestNeighborGrad} (non-float32
 * inputs go to the stock kernel). Idempotent, also across ESM/CJS copies.
 */
export function registerPoolKernels(): void {
  for (const name of POOL_KERNELS) {
    const current = getKernel(name, WASM);
    if (current && originalOf(current)) continue;
    const original: KernelConfig = current ?? {
      kernelName: name,
      backendName: WASM,
      kernelFunc: () => {
        throw new Error(`@charlearn/backend-wasm: ${name} supports float32 only on wasm`);
      },
    };
    const replacement = REPLACEMENTS[name];
    const kernelFunc: KernelFunc = (args) => {
      const infos = Object.values(args.inputs);
      return infos.every((i) => i === undefined || i.dtype === 'float32') ? replacement(args) : original.kernelFunc(args);
    };
    if (current) unregisterKernel(name, WASM);
    registerKernel({ ...original, kernelFunc: tagWrapper(kernelFunc, original) }); // keeps the stock setupFunc
  }
}
