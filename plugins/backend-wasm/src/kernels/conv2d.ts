import {
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  getKernel,
  registerKernel,
  unregisterKernel,
  type Conv2DBackpropFilterAttrs,
  type Conv2DAttrs,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { shiftedGemmBackpropFilter, shiftedGrid } from './backprop-filter-gemm';
import { backpropInputForwardInfo, gemmConv2D, gemmConvGrid } from './conv2d-gemm';
import { originalOf, Scratch, tagWrapper, WASM, type KernelBackendLike } from './util';

/** A rank-4 shape. */
export type Shape4 = [number, number, number, number];

export function requireNHWC(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`@charlearn/backend-wasm: ${kernel} on wasm supports dataFormat 'NHWC' only, got dataFormat '${dataFormat}'`);
  }
}

export function requireRank4(kernel: string, name: string, info: TensorInfo | undefined): asserts info is TensorInfo & { shape: Shape4 } {
  if (!info || info.shape.length !== 4) {
    throw new Error(`@charlearn/backend-wasm: ${kernel} expects a rank-4 '${name}', got shape [${info?.shape.join(', ') ?? ''}]`);
  }
}

/**
 * dW of `conv2d(x, W, strides, pad)` (dilation 1, NHWC). At stride 1 (with SIMD and the shifted GEMM on:
 * {@link shiftedGrid}), by `KH KW` shifted GEMMs on charlearn's microkernel
 * (`backprop-filter-gemm.ts`); otherwise as one wasm (XNNPACK) convolution: batch becomes channels,
 * `dW = transpose(conv2d(transpose(pad(x), [3,1,2,0]), transpose(dy, [1,2,0,3]), 1, 'valid', dilations = strides), [1,2,0,3])`,
 * cropped to the filter size. Strides > 1 are handled through the dilation
 * of that convolution.
 */
export const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = (attrs ?? {}) as unknown as Conv2DBackpropFilterAttrs;
  const name = Conv2DBackpropFilter;
  requireNHWC(name, dataFormat);
  requireRank4(name, 'x', x);
  requireRank4(name, 'dy', dy);
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error(`@charlearn/backend-wasm: ${name} on wasm supports float32 only`);
  const info = backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const want = [batchSize, outHeight, outWidth, outChannels];
  if (dy.shape.some((d, i) => d !== want[i])) {
    throw new Error(`@charlearn/backend-wasm: ${name}: dy has shape [${dy.shape.join(', ')}], expected [${want.join(', ')}] for these strides/pad`);
  }
  const grid = shiftedGrid(info);
  if (grid) return shiftedGemmBackpropFilter(backend as KernelBackendLike, x, dy, grid);
  const { top, left } = info.padInfo;
  // Pad at least to the extent the last window reaches (covers 'ceil' rounding too).
  const bottom = Math.max(info.padInfo.bottom, (outHeight - 1) * sh + kh - inHeight - top);
  const right = Math.max(info.padInfo.right, (outWidth - 1) * sw + kw - inWidth - left);
  const scratch = new Scratch(backend as KernelBackendLike);
  try {
    const xp =
      top || bottom || left || right
        ? scratch.run('PadV2', { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 })
        : x;
    const xT = scratch.run('Transpose', { x: xp }, { perm: [3, 1, 2, 0] }); // [ci, Hp, Wp, b]
    const dyT = scratch.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [oh, ow, b, co]
    let r = scratch.run(
      'Conv2D',
      { x: xT, filter: dyT },
      { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw] },
    ); // [ci, Hp - (oh-1)sh, Wp - (ow-1)sw, co]
    if (r.shape[1] !== kh || r.shape[2] !== kw) {
      r = scratch.run('Slice', { x: r }, { begin: [0, 0, 0, 0], size: [inChannels, kh, kw, outChannels] });
    }
    return scratch.keep(scratch.run('Transpose', { x: r }, { perm: [1, 2, 0, 3] }));
  } finally {
    scratch.dispose();
  }
};

/**
 * `dy` [b, oh, ow, ch] of a conv with strides (sh, sw) and `info`'s padding,
 * spread to the input grid: dilated by the strides (zeros between rows and
 * columns: reshape to [b, oh, 1, ow, 1, ch], pad, reshape) and padded (or
 * cropped) so that a stride-1 'valid' correlation with the spatially
 * flipped filter yields dx [b, inHeight, inWidth, ·]:
 * `dx[i] = sum_k D[i + pad - k] W[k]` with `D[o * s] = dy[o]`.
 * Everything made is tracked by `scratch`.
 */
export function spreadForBackpropInput(scratch: Scratch, dy: TensorInfo & { shape: Shape4 }, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: b, inHeight, inWidth, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const ch = dy.shape[3];
  let d: TensorInfo = dy;
  if (sh > 1 || sw > 1) {
    const r = scratch.run('Reshape', { x: dy }, { shape: [b, oh, 1, ow, 1, ch] });
    const p = scratch.run('PadV2', { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
    d = scratch.run('Reshape', { x: p }, { shape: [b, oh * sh, ow * sw, ch] });
  }
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = inHeight + kh - 1 - top - oh * sh;
  const right = inWidth + kw - 1 - left - ow * sw;
  const pads = [top, bottom, left, right].map((v) => Math.max(0, v)) as [number, number, number, number];
  if (pads.some((v) => v > 0)) {
    d = scratch.run('PadV2', { x: d }, { paddings: [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]], constantValue: 0 });
  }
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    d = scratch.run('Slice', { x: d }, { begin: [0, Math.max(0, -top), Math.max(0, -left), 0], size: [b, inHeight + kh - 1, inWidth + kw - 1, ch] });
  }
  return d;
}

/**
 * dx of `conv2d(x, W, strides, pad)` (dilation 1, NHWC): at stride 1 (with SIMD and the GEMM convolution on:
 * {@link gemmConvGrid}) on charlearn's GEMM (`conv2d-gemm.ts`), otherwise through one wasm (XNNPACK) convolution:
 * `dx = conv2d(spread(dy), transpose(reverse(W, [0,1]), [0,1,3,2]), 1, 'valid')`,
 * with `spread` = dilate by the strides + pad ({@link spreadForBackpropInput}).
 * Non-float32 inputs go to `fallback`, the stock wasm kernel.
 */
function conv2DBackpropInputWith(fallback: KernelConfig): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = (attrs ?? {}) as unknown as Conv2DBackpropInputAttrs;
    const name = Conv2DBackpropInput;
    requireNHWC(name, dataFormat);
    requireRank4(name, 'dy', dy);
    requireRank4(name, 'filter', filter);
    if (dy.dtype !== 'float32' || filter.dtype !== 'float32') return fallback.kernelFunc(args);
    const info = backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
    const want = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
    if (dy.shape.some((d, i) => d !== want[i])) {
      throw new Error(`@charlearn/backend-wasm: ${name}: dy has shape [${dy.shape.join(', ')}], expected [${want.join(', ')}] for inputShape [${inputShape.join(', ')}] and these strides/pad`);
    }
    const forward = backpropInputForwardInfo(info);
    const grid = forward && gemmConvGrid(forward);
    if (grid) return gemmConv2D(backend as KernelBackendLike, dy, filter, grid, true);
    const scratch = new Scratch(backend as KernelBackendLike);
    try {
      const dyp = spreadForBackpropInput(scratch, dy, info);
      const flipped = scratch.run('Reverse', { x: filter }, { dims: [0, 1] });
      const wT = scratch.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }); // [kh, kw, co, ci]
      return scratch.keep(scratch.run('Conv2D', { x: dyp, filter: wT }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] }));
    } finally {
      scratch.dispose();
    }
  };
}

/**
 * `Conv2D` that runs stride-1 float32 NHWC convolutions (dilation 1) on charlearn's GEMM ({@link gemmConvGrid},
 * `conv2d-gemm.ts`) and everything else on `original`, the stock wasm (XNNPACK) kernel.
 */
function conv2DWith(original: KernelConfig): KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs;
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = (args.attrs ?? {}) as unknown as Conv2DAttrs;
    if (!x || !filter || x.shape.length !== 4 || filter.shape.length !== 4 || x.dtype !== 'float32' || filter.dtype !== 'float32') return original.kernelFunc(args);
    if ((dataFormat !== undefined && dataFormat !== 'NHWC') || x.shape[3] !== filter.shape[2]) return original.kernelFunc(args);
    const info = backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, strides, dilations ?? 1, pad, dimRoundingMode, false, 'channelsLast');
    const grid = gemmConvGrid(info);
    return grid ? gemmConv2D(args.backend as KernelBackendLike, x, filter, grid, false) : original.kernelFunc(args);
  };
}

/** Kernels this package adds to or replaces on wasm (the training path of conv2d). */
export const CONV_KERNELS = [Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput] as const;

/**
 * Registers `Conv2DBackpropFilter` (missing on wasm), replaces
 * `Conv2DBackpropInput` (present, but a scalar loop) with GEMM- and XNNPACK-based
 * versions, so that the stock Conv2D gradient runs unchanged and fast, and wraps `Conv2D`
 * so that stride-1 float32 convolutions run on charlearn's GEMM.
 * Idempotent.
 */
export function registerConvKernels(): void {
  const forwardKernel = getKernel(Conv2D, WASM);
  if (forwardKernel && !originalOf(forwardKernel)) {
    unregisterKernel(Conv2D, WASM);
    registerKernel({ ...forwardKernel, kernelFunc: tagWrapper(conv2DWith(forwardKernel), forwardKernel) });
  }
  const filterKernel = getKernel(Conv2DBackpropFilter, WASM);
  if (!filterKernel) {
    registerKernel({ kernelName: Conv2DBackpropFilter, backendName: WASM, kernelFunc: conv2DBackpropFilter });
  }
  const inputKernel = getKernel(Conv2DBackpropInput, WASM);
  if (!inputKernel) {
    const missing: KernelConfig = {
      kernelName: Conv2DBackpropInput,
      backendName: WASM,
      kernelFunc: () => {
        throw new Error(`@charlearn/backend-wasm: ${Conv2DBackpropInput} supports float32 only on this wasm build`);
      },
    };
    registerKernel({ kernelName: Conv2DBackpropInput, backendName: WASM, kernelFunc: tagWrapper(conv2DBackpropInputWith(missing), missing) });
  } else if (!originalOf(inputKernel)) {
    unregisterKernel(Conv2DBackpropInput, WASM);
    registerKernel({ ...inputKernel, kernelFunc: tagWrapper(conv2DBackpropInputWith(inputKernel), inputKernel) });
  }
}
