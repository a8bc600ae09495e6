import {
  AvgPool,
  backend_util,
  GatherV2,
  SquaredDifference,
  Tile,
  AvgPoolGrad,
  engine,
  mul,
  reshape,
  sub,
  sum,
  tensor,
  tensor1d,
  transpose,
  unsortedSegmentSum,
  add,
  zerosLike,
  util,
  type AvgPoolAttrs,
  type GatherV2Attrs,
  type GradConfig,
  type Tensor,
  type Tensor4D,
  type TileAttrs,
} from '@tensorflow/tfjs-core';

/**
 * `g` summed over the axes along which `shape` was broadcast to `g.shape`
 * (leading extra axes and size-1 axes), reshaped to `shape`.
 *
 * @example
 * ```ts
 * sumToShape(tf.ones([2, 3, 4]), [3, 1]); // [3, 1], every entry 8
 * ```
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (util.arraysEqual(g.shape, shape as number[])) return g;
  const axes = backend_util.getReductionAxes(shape as number[], g.shape);
  const s = axes.length > 0 ? sum(g, axes) : g;
  return reshape(s, shape as number[]);
}

/**
 * Wraps a binary-op gradient so that each input's gradient is reduced to
 * that input's shape (tfjs-core 4.22 omits this for `BatchMatMul` with
 * broadcast batch dimensions and for `SquaredDifference`).
 */
export function reducingBroadcast(config: GradConfig): GradConfig {
  return {
    ...config,
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [Tensor, Tensor];
      const grads = config.gradFunc(dy, saved, attrs);
      const ga = grads.a;
      const gb = grads.b;
      return {
        ...grads,
        ...(ga ? { a: () => sumToShape(ga(), a.shape) } : {}),
        ...(gb ? { b: () => sumToShape(gb(), b.shape) } : {}),
      };
    },
  };
}

/** `SquaredDifference` gradient reduced over broadcast axes: `da = sum(2 dy (a - b))`, `db = -da` before reduction. */
export const squaredDifferenceGrad: GradConfig = reducingBroadcast({
  kernelName: SquaredDifference,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved as [Tensor, Tensor];
    const d = () => mul(mul(dy as Tensor, 2), sub(a, b));
    return { a: d, b: () => mul(d(), -1) };
  },
});

/**
 * `Tile` gradient for any rank (tfjs-core 4.22 stops at rank 4, so nearest
 * upsampling by `broadcastTo` / `tile` of a rank-6 view fails): for every
 * tiled axis, `dy` viewed as `[outer, reps, x_i * inner]` and summed over
 * `reps`. Rank-3 reductions only; one per tiled axis.
 */
export const tileGrad: GradConfig = {
  kernelName: Tile,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [Tensor];
    const { reps } = attrs as unknown as TileAttrs;
    return {
      x: () => {
        let g = dy as Tensor;
        const shape = [...x.shape];
        for (let i = 0; i < shape.length; i++) {
          const r = reps[i] ?? 1;
          if (r === 1) continue;
          const outer = util.sizeFromShape(shape.slice(0, i));
          const innerShape = [shape[i]!, ...g.shape.slice(i + 1)];
          g = sum(reshape(g, [outer, r, util.sizeFromShape(innerShape)]), 1);
          g = reshape(g, [...shape.slice(0, i), ...innerShape]);
        }
        return reshape(g, x.shape);
      },
    };
  },
};

/**
 * `GatherV2` gradient for any `axis` and `batchDims`, with one
 * `unsortedSegmentSum`: `dy` viewed as `[B, O, N, I]` (batch, outer,
 * indices, inner) is transposed to `[B*N, O*I]` and summed into the
 * segments `b * x.shape[axis] + indices[b, n]`. tfjs-core 4.22's version
 * calls chained ops for `batchDims = 1` (`x.split`), which the Node build
 * does not register.
 */
export const gatherGrad: GradConfig = {
  kernelName: GatherV2,
  inputsToSave: ['x', 'indices'],
  gradFunc: (dy, saved, attrs) => {
    const [x, indices] = saved as [Tensor, Tensor];
    const { axis, batchDims } = attrs as unknown as GatherV2Attrs;
    const ax = util.parseAxisParam(axis, x.shape)[0]!;
    const bd = batchDims < 0 ? batchDims + indices.rank : batchDims;
    return {
      x: () => {
        const B = util.sizeFromShape(x.shape.slice(0, bd));
        const O = util.sizeFromShape(x.shape.slice(bd, ax));
        const A = x.shape[ax]!;
        const I = util.sizeFromShape(x.shape.slice(ax + 1));
        const N = util.sizeFromShape(indices.shape.slice(bd));
        let v = reshape(dy as Tensor, [B, O, N, I]);
        if (O > 1) v = transpose(v, [0, 2, 1, 3]);
        v = reshape(v, [B * N, O * I]);
        let ids = reshape(indices, [B, N]);
        if (B > 1) ids = add(ids, reshape(tensor1d(Array.from({ length: B }, (_, i) => i * A), 'int32'), [B, 1]));
        let g = reshape(unsortedSegmentSum(v, reshape(ids, [B * N]), B * A), [B, A, O, I]);
        if (O > 1) g = transpose(g, [0, 2, 1, 3]);
        return reshape(g, x.shape);
      },
      indices: () => zerosLike(indices),
    };
  },
};

/** Per output position of a 2-D pool, how many input pixels its window covers (padding excluded), [1, oh, ow, 1]; undefined when every window is full. */
function windowCounts(info: backend_util.Conv2DInfo): Float32Array | undefined {
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const counts = new Float32Array(outHeight * outWidth);
  let partial = false;
  for (let oy = 0; oy < outHeight; oy++) {
    const y0 = oy * strideHeight - top;
    const rows = Math.min(inHeight, y0 + fh) - Math.max(0, y0);
    for (let ox = 0; ox < outWidth; ox++) {
      const x0 = ox * strideWidth - left;
      const cols = Math.min(inWidth, x0 + fw) - Math.max(0, x0);
      counts[oy * outWidth + ox] = rows * cols;
      if (rows * cols !== fh * fw) partial = true;
    }
  }
  return partial ? counts : undefined;
}

/**
 * `AvgPool` gradient that matches the forward at padded borders: the
 * forward (cpu and wasm) divides each window by the number of input pixels
 * it covers, tfjs-core 4.22's `AvgPoolGrad` by the full window size, so
 * with `'same'` padding border gradients were too small. `dy` is rescaled by
 * `filterSize / count` before the stock `AvgPoolGrad` kernel.
 */
export const avgPoolGradFixed: GradConfig = {
  kernelName: AvgPool,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [Tensor4D];
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as AvgPoolAttrs;
    return {
      x: () => {
        const info = backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, dimRoundingMode);
        const counts = windowCounts(info);
        let g = dy as Tensor4D;
        if (counts) {
          const full = info.effectiveFilterHeight * info.effectiveFilterWidth;
          const scale = tensor(counts.map((c) => full / c), [1, info.outHeight, info.outWidth, 1]);
          g = mul(g, scale);
        }
        return engine().runKernel(AvgPoolGrad, { dy: g, input: x }, { filterSize, strides, pad }) as Tensor;
      },
    };
  },
};

/**
 * The gradient configs this package registers over tfjs-core 4.22's
 * (backend-independent fixes; the BatchMatMul one is applied by
 * `overrideBatchMatMulGradient`).
 */
export const GRADIENT_FIXES: readonly GradConfig[] = [squaredDifferenceGrad, tileGrad, gatherGrad, avgPoolGradFixed];
