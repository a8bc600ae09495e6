import { BatchMatMul, matMul, registerGradient, transpose, type GradConfig, type Tensor } from '@tensorflow/tfjs-core';
import { gradConfigs } from 'virtual:charlearn-tfjs-gradient-configs';
import { GRADIENT_FIXES, reducingBroadcast } from './gradient-fixes';

const stockBatchMatMul = gradConfigs.find((c) => c.kernelName === BatchMatMul);

/** tfjs-core's BatchMatMul gradient, reduced over broadcast batch dimensions (tfjs-core 4.22 returns them unreduced). */
const batchMatMulGrad: GradConfig | undefined = stockBatchMatMul && reducingBroadcast(stockBatchMatMul);

/** Replacement configs by kernel name: {@link GRADIENT_FIXES} and the reducing BatchMatMul gradient. */
const FIXED = new Map<string, GradConfig>([...GRADIENT_FIXES, ...(batchMatMulGrad ? [batchMatMulGrad] : [])].map((c) => [c.kernelName, c]));

/**
 * Registers every gradient that tfjs-core 4.22 ships (the content of
 * `@tensorflow/tfjs-core/dist/register_all_gradients`), which tfjs-core's
 * Node and browser builds do not register, with this package's fixes in
 * place of the faulty ones: `BatchMatMul` and `SquaredDifference` reduce
 * over broadcast dimensions, `Tile` works at any rank, `GatherV2` with
 * `batchDims`, `AvgPool` with `'same'` padding (see `gradient-fixes.ts`).
 * Works in Node (ESM and CJS) and bundlers; idempotent. Backend-independent:
 * it also enables training on the cpu backend.
 *
 * @returns how many gradient configs were registered (105 for tfjs-core 4.22).
 * @example
 * ```ts
 * import { registerAllGradients } from '@charlearn/backend-wasm';
 * registerAllGradients();
 * const g = tf.grad((x) => tf.square(x))(tf.scalar(3)); // 6
 * ```
 */
export function registerAllGradients(): number {
  for (const config of gradConfigs) registerGradient(FIXED.get(config.kernelName) ?? config);
  return gradConfigs.length;
}

function t2(x: Tensor): Tensor {
  const r = x.rank;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return transpose(x, perm);
}

/** `matMul(x, y, tx, ty)` written with explicit transposes. */
function mm(x: Tensor, y: Tensor, tx: boolean, ty: boolean): Tensor {
  return matMul(tx ? t2(x) : x, ty ? t2(y) : y);
}

/**
 * The stock BatchMatMul gradient (tfjs-core 4.22) with every transposed
 * product replaced by an explicit `transpose` + plain `matMul`. The
 * alternative to {@link patchMatMulKernels}; kept for measurement.
 */
export const batchMatMulGradWithTransposes: GradConfig = reducingBroadcast({
  kernelName: BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [Tensor, Tensor];
    const d = dy as Tensor;
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return { a: () => mm(d, b, false, true), b: () => mm(a, d, true, false) };
    if (!transposeA && transposeB) return { a: () => mm(d, b, false, false), b: () => mm(d, a, true, false) };
    if (transposeA && !transposeB) return { a: () => mm(b, d, false, true), b: () => mm(a, d, false, false) };
    return { a: () => mm(b, d, true, true), b: () => mm(d, a, true, true) };
  },
});

/** Registers {@link batchMatMulGradWithTransposes} (`on`) or tfjs-core's BatchMatMul gradient (reduced over broadcast batch dimensions). */
export function overrideBatchMatMulGradient(on: boolean): void {
  if (on) {
    registerGradient(batchMatMulGradWithTransposes);
    return;
  }
  if (batchMatMulGrad) registerGradient(batchMatMulGrad);
}
