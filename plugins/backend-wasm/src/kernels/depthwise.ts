import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  getKernel,
  registerKernel,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
import { requireRank4, spreadForBackpropInput } from './conv2d';
import { Scratch, WASM, type KernelBackendLike } from './util';

function requireFloat32(kernel: string, ...dtypes: string[]): void {
  if (dtypes.some((d) => d !== 'float32')) throw new Error(`@charlearn/backend-wasm: ${kernel} on wasm supports float32 only`);
}

function requireUnitDilations(kernel: string, dilations: number | [number, number] | undefined): void {
  const d = dilations === undefined ? [1, 1] : typeof dilations === 'number' ? [dilations, dilations] : dilations;
  if (d[0] !== 1 || d[1] !== 1) throw new Error(`@charlearn/backend-wasm: ${kernel} on wasm supports dilations 1 only, got dilations [${d.join(', ')}]`);
}

/**
 * dx of `depthwiseConv2d(x, W, strides, pad)` (NHWC, dilation 1, W
 * [kh, kw, c, m]) as one wasm (XNNPACK) depthwise convolution of `dy`
 * spread to the input grid (dilated by the strides, padded; see
 * {@link spreadForBackpropInput}) with the flipped filter viewed as
 * [kh, kw, c*m, 1], then, for a channel multiplier m > 1, a sum over m:
 * `dx = sum_m reshape(depthwiseConv2d(spread(dy), reverse(W)), [b, h, w, c, m])`.
 */
export const depthwiseConv2dNativeBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs;
  const { strides, pad, dimRoundingMode, dilations, inputShape } = (attrs ?? {}) as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const name = DepthwiseConv2dNativeBackpropInput;
  requireRank4(name, 'dy', dy);
  requireRank4(name, 'filter', filter);
  requireFloat32(name, dy.dtype, filter.dtype);
  requireUnitDilations(name, dilations);
  const info = backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode, true, 'channelsLast');
  const [kh, kw, c, m] = filter.shape;
  const want = [info.batchSize, info.outHeight, info.outWidth, c * m];
  if (dy.shape.some((d, i) => d !== want[i])) {
    throw new Error(`@charlearn/backend-wasm: ${name}: dy has shape [${dy.shape.join(', ')}], expected [${want.join(', ')}] for inputShape [${inputShape.join(', ')}] and these strides/pad`);
  }
  const scratch = new Scratch(backend as KernelBackendLike);
  try {
    const dyp = spreadForBackpropInput(scratch, dy, info);
    const flipped = scratch.run('Reverse', { x: filter }, { dims: [0, 1] });
    const w = m === 1 ? flipped : scratch.run('Reshape', { x: flipped }, { shape: [kh, kw, c * m, 1] });
    const r = scratch.run('DepthwiseConv2dNative', { x: dyp, filter: w }, { strides: [1, 1], pad: 'valid', dilations: [1, 1] }); // [b, h, w, c*m]
    if (m === 1) return scratch.keep(r);
    const [b, h, wd] = inputShape;
    const r5 = scratch.run('Reshape', { x: r }, { shape: [b, h, wd, c, m] });
    return scratch.keep(scratch.run('Sum', { x: r5 }, { axis: [4], keepDims: false }));
  } finally {
    scratch.dispose();
  }
};

/**
 * dW of `depthwiseConv2d(x, W, strides, pad)` (NHWC, dilation 1) as one
 * wasm (XNNPACK) depthwise convolution: batch and channels become the
 * channels, `dy` the filter, the strides its dilation,
 * `dW = sum_b reshape(depthwiseConv2d(x', dy', 1, 'valid', dilations = strides), [kh, kw, c, b, m])`
 * with `x' = reshape(transpose(pad(x), [1,2,3,0]), [1, Hp, Wp, c*b])` and
 * `dy' = reshape(transpose(reshape(dy, [b, oh, ow, c, m]), [1,2,3,0,4]), [oh, ow, c*b, m])`.
 */
export const depthwiseConv2dNativeBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs;
  const { strides, pad, dimRoundingMode, dilations, filterShape } = (attrs ?? {}) as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const name = DepthwiseConv2dNativeBackpropFilter;
  requireRank4(name, 'x', x);
  requireRank4(name, 'dy', dy);
  requireFloat32(name, x.dtype, dy.dtype);
  requireUnitDilations(name, dilations);
  const info = backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, true, 'channelsLast');
  const { batchSize: b, inHeight, inWidth, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const [kh, kw, c, m] = filterShape;
  const want = [b, oh, ow, c * m];
  if (dy.shape.some((d, i) => d !== want[i])) {
    throw new Error(`@charlearn/backend-wasm: ${name}: dy has shape [${dy.shape.join(', ')}], expected [${want.join(', ')}] for these strides/pad`);
  }
  const { top, left } = info.padInfo;
  const bottom = Math.max(info.padInfo.bottom, (oh - 1) * sh + kh - inHeight - top);
  const right = Math.max(info.padInfo.right, (ow - 1) * sw + kw - inWidth - left);
  const scratch = new Scratch(backend as KernelBackendLike);
  try {
    const xp = top || bottom || left || right ? scratch.run('PadV2', { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 }) : x;
    const hp = xp.shape[1]!;
    const wp = xp.shape[2]!;
    const xT = scratch.run('Transpose', { x: xp }, { perm: [1, 2, 3, 0] }); // [Hp, Wp, c, b]
    const x1 = scratch.run('Reshape', { x: xT }, { shape: [1, hp, wp, c * b] });
    const dy5 = scratch.run('Reshape', { x: dy }, { shape: [b, oh, ow, c, m] });
    const dyT = scratch.run('Transpose', { x: dy5 }, { perm: [1, 2, 3, 0, 4] }); // [oh, ow, c, b, m]
    const f = scratch.run('Reshape', { x: dyT }, { shape: [oh, ow, c * b, m] });
    let r = scratch.run('DepthwiseConv2dNative', { x: x1, filter: f }, { strides: [1, 1], pad: 'valid', dilations: [sh, sw] }); // [1, >= kh, >= kw, c*b*m]
    if (r.shape[1] !== kh || r.shape[2] !== kw) r = scratch.run('Slice', { x: r }, { begin: [0, 0, 0, 0], size: [1, kh, kw, c * b * m] });
    const r5 = scratch.run('Reshape', { x: r }, { shape: [kh, kw, c, b, m] });
    const s = b === 1 ? r5 : scratch.run('Sum', { x: r5 }, { axis: [3], keepDims: false });
    return scratch.keep(scratch.run('Reshape', { x: s }, { shape: [kh, kw, c, m] }));
  } finally {
    scratch.dispose();
  }
};

/** Kernels this module adds to wasm (missing in tfjs-backend-wasm 4.22): the training path of depthwiseConv2d. */
export const DEPTHWISE_KERNELS = [DepthwiseConv2dNativeBackpropInput, DepthwiseConv2dNativeBackpropFilter] as const;

/** Registers the depthwise backprop kernels for wasm unless already registered (idempotent, across ESM/CJS copies). */
export function registerDepthwiseKernels(): void {
  if (!getKernel(DepthwiseConv2dNativeBackpropInput, WASM)) {
    registerKernel({ kernelName: DepthwiseConv2dNativeBackpropInput, backendName: WASM, kernelFunc: depthwiseConv2dNativeBackpropInput });
  }
  if (!getKernel(DepthwiseConv2dNativeBackpropFilter, WASM)) {
    registerKernel({ kernelName: DepthwiseConv2dNativeBackpropFilter, backendName: WASM, kernelFunc: depthwiseConv2dNativeBackpropFilter });
  }
}
