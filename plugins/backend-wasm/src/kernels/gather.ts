import { GatherV2, getKernel, registerKernel, unregisterKernel, util, type GatherV2Attrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { heapView, originalOf, Scratch, tagWrapper, WASM, type KernelBackendLike } from './util';

/**
 * `GatherV2` with `batchDims > 0` on wasm, through the stock kernel with
 * `batchDims = 0` (tfjs-backend-wasm 4.22 reads the wrong indices for every
 * batch after the first): x viewed as `[B, O, A, I]` (batch, outer, axis,
 * inner) becomes `[B*A, O*I]` rows, indices `[B, N]` become the row ids
 * `b * A + indices[b, n]`, and the gathered `[B*N, O*I]` is put back in
 * `[B, O, N, I]` order.
 */
function gatherWith(original: KernelConfig): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x, indices } = inputs;
    const { axis, batchDims } = (attrs ?? {}) as unknown as GatherV2Attrs;
    if (!x || !indices) return original.kernelFunc(args);
    const bd = (batchDims ?? 0) < 0 ? batchDims + indices.shape.length : (batchDims ?? 0);
    const B = util.sizeFromShape(x.shape.slice(0, bd));
    if (bd === 0 || B <= 1 || indices.dtype !== 'int32') return original.kernelFunc(args);
    const ax = util.parseAxisParam(axis, x.shape)[0]!;
    const O = util.sizeFromShape(x.shape.slice(bd, ax));
    const A = x.shape[ax]!;
    const I = util.sizeFromShape(x.shape.slice(ax + 1));
    const N = util.sizeFromShape(indices.shape.slice(bd));
    const b = backend as KernelBackendLike;
    const scratch = new Scratch(b);
    try {
      const ids = scratch.track(b.makeOutput([B * N], 'int32'));
      const src = heapView(b, indices);
      const dst = heapView(b, ids);
      for (let i = 0; i < B * N; i++) {
        const v = src[i]!;
        if (!(v >= 0 && v < A)) throw new Error(`@charlearn/backend-wasm: GatherV2: index ${v} is not in [0, ${A - 1}] (attribute 'indices')`);
        dst[i] = v + Math.floor(i / N) * A;
      }
      let rows: TensorInfo = scratch.run('Reshape', { x }, { shape: [B, O, A, I] });
      if (O > 1) rows = scratch.run('Transpose', { x: rows }, { perm: [0, 2, 1, 3] });
      rows = scratch.run('Reshape', { x: rows }, { shape: [B * A, O * I] });
      let g = original.kernelFunc({ inputs: { x: rows, indices: ids }, backend, attrs: { axis: 0, batchDims: 0 } });
      if (Array.isArray(g)) throw new Error('@charlearn/backend-wasm: GatherV2 returned several outputs');
      scratch.track(g);
      if (O > 1) {
        g = scratch.run('Reshape', { x: g }, { shape: [B, N, O, I] });
        g = scratch.run('Transpose', { x: g }, { perm: [0, 2, 1, 3] });
      }
      const outShape = [...x.shape.slice(0, ax), ...indices.shape.slice(bd), ...x.shape.slice(ax + 1)];
      return scratch.keep(scratch.run('Reshape', { x: g }, { shape: outShape }));
    } finally {
      scratch.dispose();
    }
  };
}

/** Replaces wasm's `GatherV2` with a wrapper that computes `batchDims > 0` correctly (see `gatherWith`). Idempotent, also across ESM/CJS copies. */
export function registerGatherKernel(): void {
  const current = getKernel(GatherV2, WASM);
  if (!current || originalOf(current)) return;
  unregisterKernel(GatherV2, WASM);
  registerKernel({ ...current, kernelFunc: tagWrapper(gatherWith(current), current) });
}
