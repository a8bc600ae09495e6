import { getKernel, registerKernel, unregisterKernel, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL, type GroupNormAttrs } from '@charlearn/core';
import { heapView, WASM, type KernelBackendLike } from './util';

function fail(kernel: string, message: string): never {
  throw new Error(`@charlearn/backend-wasm: ${kernel}: ${message}`);
}

/** Checks dtypes and shapes; returns `[b, positions (h·w), c, channels a group]`. */
function layout(kernel: string, x: TensorInfo, perChannel: Record<string, TensorInfo | undefined>, groups: number): [number, number, number, number] {
  for (const [name, t] of Object.entries({ x, ...perChannel })) {
    if (!t) fail(kernel, `needs input ${name}`);
    if (t.dtype !== 'float32') fail(kernel, `input ${name} is ${t.dtype}, expected float32`);
  }
  if (x.shape.length !== 4) fail(kernel, `expected a [b, h, w, c] input, got [${x.shape.join(', ')}]`);
  const [b, h, w, c] = x.shape as [number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) fail(kernel, `groups = ${groups} must be a positive integer dividing c = ${c}`);
  for (const [name, t] of Object.entries(perChannel)) {
    if (t!.shape.length !== 1 || t!.shape[0] !== c) fail(kernel, `input ${name} has shape [${t!.shape.join(', ')}], expected [${c}]`);
  }
  return [b, h * w, c, c / groups];
}

/** Forward of one sample's `positions × c` block at offset `o`: mean and centred variance per group (float64). */
function normaliseSample(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, xhat: Float32Array, rstd: Float32Array, o: number, rOff: number, positions: number, c: number, cg: number, eps: number): void {
  const groups = c / cg;
  const count = positions * cg;
  const mean = new Float64Array(groups);
  const sq = new Float64Array(groups);
  for (let p = 0; p < positions; p++) {
    const row = o + p * c;
    for (let g = 0, ch = 0; g < groups; g++) {
      let s = 0;
      for (let e = ch + cg; ch < e; ch++) s += x[row + ch]!;
      mean[g]! += s;
    }
  }
  for (let g = 0; g < groups; g++) mean[g]! /= count;
  for (let p = 0; p < positions; p++) {
    const row = o + p * c;
    for (let g = 0, ch = 0; g < groups; g++) {
      const m = mean[g]!;
      let s = 0;
      for (let e = ch + cg; ch < e; ch++) {
        const d = x[row + ch]! - m;
        s += d * d;
      }
      sq[g]! += s;
    }
  }
  for (let g = 0; g < groups; g++) {
    sq[g] = 1 / Math.sqrt(sq[g]! / count + eps);
    rstd[rOff + g] = sq[g]!;
  }
  for (let p = 0; p < positions; p++) {
    const row = o + p * c;
    for (let g = 0, ch = 0; g < groups; g++) {
      const m = mean[g]!;
      const r = sq[g]!;
      for (let e = ch + cg; ch < e; ch++) {
        const xh = (x[row + ch]! - m) * r;
        xhat[row + ch] = xh;
        y[row + ch] = xh * gamma[ch]! + beta[ch]!;
      }
    }
  }
}

/**
 * {@link GROUP_NORM_KERNEL} on wasm: three JS passes over each sample (mean, centred variance, write), float64
 * accumulation. The op chain's broadcast binary ops and reductions over axes [1, 3] of `[b, h·w, groups, c/groups]`
 * take wasm's generic (non-SIMD, strided) paths: ~10 kernels of a few ms each on a U-Net's 28x28x16 activations.
 */
const groupNorm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, gamma, beta } = inputs as Record<string, TensorInfo | undefined>;
  const { groups, epsilon } = attrs as unknown as GroupNormAttrs;
  if (!x) fail(GROUP_NORM_KERNEL, 'needs input x');
  const [b, positions, c, cg] = layout(GROUP_NORM_KERNEL, x, { gamma, beta }, groups);
  const be = backend as KernelBackendLike;
  const y = be.makeOutput([...x.shape], 'float32');
  const xhat = be.makeOutput([...x.shape], 'float32');
  const rstd = be.makeOutput([b, groups], 'float32');
  // Views after every allocation (growing the heap detaches earlier ones); float32 checked above.
  const [X, G, B, Y, XH, R] = [x, gamma!, beta!, y, xhat, rstd].map((t) => heapView(be, t) as Float32Array);
  for (let s = 0; s < b; s++) normaliseSample(X!, G!, B!, Y!, XH!, R!, s * positions * c, s * groups, positions, c, cg, epsilon);
  return [y, xhat, rstd];
};

/** {@link GROUP_NORM_GRAD_KERNEL} on wasm: two JS passes a sample (group sums, write), float64 accumulation. */
const groupNormGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, xhat, rstd, gamma } = inputs as Record<string, TensorInfo | undefined>;
  const { groups } = attrs as unknown as Pick<GroupNormAttrs, 'groups'>;
  if (!dy || !xhat || !rstd) fail(GROUP_NORM_GRAD_KERNEL, 'needs inputs dy, xhat, rstd, gamma');
  const [b, positions, c, cg] = layout(GROUP_NORM_GRAD_KERNEL, dy, { gamma }, groups);
  if (xhat.dtype !== 'float32' || xhat.shape.length !== 4 || xhat.shape.some((d, i) => d !== dy.shape[i])) fail(GROUP_NORM_GRAD_KERNEL, `input xhat has shape [${xhat.shape.join(', ')}], dy has [${dy.shape.join(', ')}]`);
  if (rstd.dtype !== 'float32' || rstd.shape.length !== 2 || rstd.shape[0] !== b || rstd.shape[1] !== groups) fail(GROUP_NORM_GRAD_KERNEL, `input rstd has shape [${rstd.shape.join(', ')}], expected [${b}, ${groups}]`);
  const be = backend as KernelBackendLike;
  const dx = be.makeOutput([...dy.shape], 'float32');
  const dGamma = be.makeOutput([c], 'float32');
  const dBeta = be.makeOutput([c], 'float32');
  const [DY, XH, R, G, DX, DG, DB] = [dy, xhat, rstd, gamma!, dx, dGamma, dBeta].map((t) => heapView(be, t) as Float32Array);
  const accGamma = new Float64Array(c);
  const accBeta = new Float64Array(c);
  const m1 = new Float64Array(groups);
  const m2 = new Float64Array(groups);
  const count = positions * cg;
  for (let s = 0; s < b; s++) {
    const o = s * positions * c;
    m1.fill(0);
    m2.fill(0);
    for (let p = 0; p < positions; p++) {
      const row = o + p * c;
      for (let g = 0, ch = 0; g < groups; g++) {
        let s1 = 0;
        let s2 = 0;
        for (let e = ch + cg; ch < e; ch++) {
          const d = DY![row + ch]!;
          const xh = XH![row + ch]!;
          const gd = d * G![ch]!;
          s1 += gd;
          s2 += gd * xh;
          accGamma[ch]! += d * xh;
          accBeta[ch]! += d;
        }
        m1[g]! += s1;
        m2[g]! += s2;
      }
    }
    for (let g = 0; g < groups; g++) {
      m1[g]! /= count;
      m2[g]! /= count;
    }
    for (let p = 0; p < positions; p++) {
      const row = o + p * c;
      for (let g = 0, ch = 0; g < groups; g++) {
        const r = R![s * groups + g]!;
        const a = m1[g]!;
        const q = m2[g]!;
        for (let e = ch + cg; ch < e; ch++) DX![row + ch] = r * (DY![row + ch]! * G![ch]! - a - XH![row + ch]! * q);
      }
    }
  }
  DG!.set(accGamma);
  DB!.set(accBeta);
  return [dx, dGamma, dBeta];
};

/** Registers {@link GROUP_NORM_KERNEL} and {@link GROUP_NORM_GRAD_KERNEL} for wasm (idempotent). */
export function registerGroupNormKernels(): void {
  if (!getKernel(GROUP_NORM_KERNEL, WASM)) registerKernel({ kernelName: GROUP_NORM_KERNEL, backendName: WASM, kernelFunc: groupNorm });
  if (!getKernel(GROUP_NORM_GRAD_KERNEL, WASM)) registerKernel({ kernelName: GROUP_NORM_GRAD_KERNEL, backendName: WASM, kernelFunc: groupNormGrad });
}

/** Removes both (`groupNorm` then runs its op chain). */
export function unregisterGroupNormKernels(): void {
  for (const name of [GROUP_NORM_KERNEL, GROUP_NORM_GRAD_KERNEL]) if (getKernel(name, WASM)) unregisterKernel(name, WASM);
}
