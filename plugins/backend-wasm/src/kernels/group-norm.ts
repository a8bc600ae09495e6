import { getKernel, registerKernel, unregisterKernel, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL, type GroupNormAttrs } from '@charlearn/core';
import { reserveFloats, simdModule, type SimdModule } from './simd-module';
import { heapView, WASM, type KernelBackendLike } from './util';

let useSimd = true;
const computed = { forward: 0, backward: 0 };

/**
 * Runs both kernels' passes in the SIMD kernels module (f32x4 over channels, one sample's block at a time copied in
 * and out) where the channel count is a multiple of 4 and WebAssembly SIMD is available (default on); off, or
 * otherwise, the JS passes (float64 accumulation). Set by the plugin from the `simdGroupNorm` option.
 */
export function setSimdGroupNorm(on: boolean): void {
  useSimd = on;
}

/** How many forward and backward calls the SIMD passes have computed in this thread (a diagnostic: which path ran). */
export function simdGroupNormCount(): { readonly forward: number; readonly backward: number } {
  return { ...computed };
}

/** The SIMD module when the SIMD passes apply to `c` channels, else null. */
function simdFor(c: number): SimdModule | null {
  return useSimd && c % 4 === 0 ? simdModule() : null;
}

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

/**
 * Forward of one sample's `positions × c` block at offset `o`: per-channel sums and sums of squares in one pass
 * (float64), folded into each group's mean and variance, then one writing pass with per-channel constants.
 */
function normaliseSample(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, xhat: Float32Array, rstd: Float32Array, o: number, rOff: number, positions: number, c: number, cg: number, eps: number): void {
  const groups = c / cg;
  const count = positions * cg;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const end = o + positions * c;
  // channel by channel (stride c) with scalar accumulators: the sample's block stays in cache, and the loop carries no
  // store-to-load dependency through an accumulator array
  for (let ch = 0; ch < c; ch++) {
    let s1 = 0;
    let s2 = 0;
    for (let i = o + ch; i < end; i += c) {
      const v = x[i]!;
      s1 += v;
      s2 += v * v;
    }
    sum[ch] = s1;
    sq[ch] = s2;
  }
  const meanC = new Float64Array(c);
  const rC = new Float64Array(c);
  for (let g = 0; g < groups; g++) {
    let s1 = 0;
    let s2 = 0;
    for (let ch = g * cg; ch < (g + 1) * cg; ch++) {
      s1 += sum[ch]!;
      s2 += sq[ch]!;
    }
    const mean = s1 / count;
    const r = 1 / Math.sqrt(Math.max(s2 / count - mean * mean, 0) + eps);
    rstd[rOff + g] = r;
    meanC.fill(mean, g * cg, (g + 1) * cg);
    rC.fill(r, g * cg, (g + 1) * cg);
  }
  for (let ch = 0; ch < c; ch++) {
    const m = meanC[ch]!;
    const r = rC[ch]!;
    const ga = gamma[ch]!;
    const be = beta[ch]!;
    for (let i = o + ch; i < end; i += c) {
      const xh = (x[i]! - m) * r;
      xhat[i] = xh;
      y[i] = xh * ga + be;
    }
  }
}

/**
 * Forward of all `b` samples in the SIMD module: per sample, its `positions × c` block is copied in, `colsum` gives the
 * per-channel sums (float32, positions in order), folded per group in float64 into the mean; `colsqdev` the per-channel
 * sums of squared deviations from it (so no E[x²] − mean² cancellation), folded into `rstd`; `gnforward` writes
 * `xhat` and `y`, which are copied out. Module memory (floats): the block, `xhat`, `y` (`n` each), then per-channel
 * vectors of `c` floats: sums, mean, rstd, gamma, beta.
 */
function normaliseSimd(m: SimdModule, X: Float32Array, G: Float32Array, B: Float32Array, Y: Float32Array, XH: Float32Array, R: Float32Array, b: number, positions: number, c: number, cg: number, eps: number): void {
  const groups = c / cg;
  const count = positions * cg;
  const n = positions * c;
  const [sums, mean, rstd, gamma, beta] = [0, 1, 2, 3, 4].map((k) => 3 * n + k * c) as [number, number, number, number, number];
  const mem = reserveFloats(m, 3 * n + 5 * c);
  mem.set(G, gamma);
  mem.set(B, beta);
  for (let s = 0; s < b; s++) {
    const o = s * n;
    mem.set(X.subarray(o, o + n), 0);
    m.colsum(0, 4 * sums, positions, c);
    for (let g = 0; g < groups; g++) {
      let s1 = 0;
      for (let ch = g * cg; ch < (g + 1) * cg; ch++) s1 += mem[sums + ch]!;
      mem.fill(s1 / count, mean + g * cg, mean + (g + 1) * cg);
    }
    m.colsqdev(0, 4 * mean, 4 * sums, positions, c);
    for (let g = 0; g < groups; g++) {
      let s2 = 0;
      for (let ch = g * cg; ch < (g + 1) * cg; ch++) s2 += mem[sums + ch]!;
      const r = 1 / Math.sqrt(s2 / count + eps);
      R[s * groups + g] = r;
      mem.fill(r, rstd + g * cg, rstd + (g + 1) * cg);
    }
    m.gnforward(0, 4 * n, 8 * n, 4 * mean, 4 * rstd, 4 * gamma, 4 * beta, positions, c);
    XH.set(mem.subarray(n, 2 * n), o);
    Y.set(mem.subarray(2 * n, 3 * n), o);
  }
  computed.forward++;
}

/**
 * Backward of all `b` samples in the SIMD module: per sample, its `dy` and `xhat` blocks are copied in, `colsum` and
 * `coldot` give the per-channel Σ dy and Σ dy·xhat (float32, positions in order; accumulated over samples in float64
 * for `dBeta` and `dGamma`), folded per group in float64 into mean(gamma·dy) and mean(gamma·dy·xhat); `gnbackward`
 * writes `dx`, which is copied out. Module memory (floats): `dy`, `xhat`, `dx` (`n` each), then per-channel vectors of
 * `c` floats: Σ dy, Σ dy·xhat, rstd, gamma, the two group means.
 */
function normGradSimd(m: SimdModule, DY: Float32Array, XH: Float32Array, R: Float32Array, G: Float32Array, DX: Float32Array, DG: Float32Array, DB: Float32Array, b: number, positions: number, c: number, cg: number): void {
  const groups = c / cg;
  const count = positions * cg;
  const n = positions * c;
  const [sdy, sdyx, rstd, gamma, m1, m2] = [0, 1, 2, 3, 4, 5].map((k) => 3 * n + k * c) as [number, number, number, number, number, number];
  const mem = reserveFloats(m, 3 * n + 6 * c);
  mem.set(G, gamma);
  const accGamma = new Float64Array(c);
  const accBeta = new Float64Array(c);
  for (let s = 0; s < b; s++) {
    const o = s * n;
    mem.set(DY.subarray(o, o + n), 0);
    mem.set(XH.subarray(o, o + n), n);
    m.colsum(0, 4 * sdy, positions, c);
    m.coldot(0, 4 * n, 4 * sdyx, positions, c);
    for (let g = 0; g < groups; g++) {
      let a = 0;
      let q = 0;
      for (let ch = g * cg; ch < (g + 1) * cg; ch++) {
        a += G[ch]! * mem[sdy + ch]!;
        q += G[ch]! * mem[sdyx + ch]!;
      }
      mem.fill(R[s * groups + g]!, rstd + g * cg, rstd + (g + 1) * cg);
      mem.fill(a / count, m1 + g * cg, m1 + (g + 1) * cg);
      mem.fill(q / count, m2 + g * cg, m2 + (g + 1) * cg);
    }
    for (let ch = 0; ch < c; ch++) {
      accGamma[ch] = accGamma[ch]! + mem[sdyx + ch]!;
      accBeta[ch] = accBeta[ch]! + mem[sdy + ch]!;
    }
    m.gnbackward(0, 4 * n, 8 * n, 4 * rstd, 4 * gamma, 4 * m1, 4 * m2, positions, c);
    DX.set(mem.subarray(2 * n, 3 * n), o);
  }
  DG.set(accGamma);
  DB.set(accBeta);
  computed.backward++;
}

/**
 * {@link GROUP_NORM_KERNEL} on wasm: the SIMD module's passes ({@link normaliseSimd}) where {@link setSimdGroupNorm}
 * allows and `c` is a multiple of 4; otherwise two JS passes over each sample (sums, write), float64 accumulation (the
 * variance as E[x²] − mean², exact enough in float64 unless |mean|/std exceeds ~1e6). The op chain's broadcast binary ops and reductions over axes [1, 3] of `[b, h·w, groups, c/groups]`
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
  const simd = simdFor(c);
  if (simd) {
    normaliseSimd(simd, X!, G!, B!, Y!, XH!, R!, b, positions, c, cg, epsilon);
    return [y, xhat, rstd];
  }
  for (let s = 0; s < b; s++) normaliseSample(X!, G!, B!, Y!, XH!, R!, s * positions * c, s * groups, positions, c, cg, epsilon);
  return [y, xhat, rstd];
};

/**
 * {@link GROUP_NORM_GRAD_KERNEL} on wasm: the SIMD module's passes ({@link normGradSimd}) where the forward's apply;
 * otherwise two JS passes a sample (per-channel sums, write), float64 accumulation.
 */
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
  const simd = simdFor(c);
  if (simd) {
    normGradSimd(simd, DY!, XH!, R!, G!, DX!, DG!, DB!, b, positions, c, cg);
    return [dx, dGamma, dBeta];
  }
  const accGamma = new Float64Array(c);
  const accBeta = new Float64Array(c);
  const sdy = new Float64Array(c);
  const sdyx = new Float64Array(c);
  const rC = new Float64Array(c);
  const m1C = new Float64Array(c);
  const m2C = new Float64Array(c);
  const count = positions * cg;
  for (let s = 0; s < b; s++) {
    const o = s * positions * c;
    const end = o + positions * c;
    // pass 1: per-channel Σ dy and Σ dy·xhat of this sample
    for (let ch = 0; ch < c; ch++) {
      let s1 = 0;
      let s2 = 0;
      for (let i = o + ch; i < end; i += c) {
        const d = DY![i]!;
        s1 += d;
        s2 += d * XH![i]!;
      }
      sdy[ch] = s1;
      sdyx[ch] = s2;
    }
    for (let g = 0; g < groups; g++) {
      let a = 0;
      let q = 0;
      for (let ch = g * cg; ch < (g + 1) * cg; ch++) {
        a += G![ch]! * sdy[ch]!;
        q += G![ch]! * sdyx[ch]!;
      }
      rC.fill(R![s * groups + g]!, g * cg, (g + 1) * cg);
      m1C.fill(a / count, g * cg, (g + 1) * cg);
      m2C.fill(q / count, g * cg, (g + 1) * cg);
    }
    for (let ch = 0; ch < c; ch++) {
      accGamma[ch] = accGamma[ch]! + sdyx[ch]!;
      accBeta[ch] = accBeta[ch]! + sdy[ch]!;
    }
    // pass 2: dx = rstd·(dy·gamma − mean(g) − xhat·mean(g·xhat))
    for (let ch = 0; ch < c; ch++) {
      const r = rC[ch]!;
      const ga = G![ch]!;
      const a = m1C[ch]!;
      const q = m2C[ch]!;
      for (let i = o + ch; i < end; i += c) DX![i] = r * (DY![i]! * ga - a - XH![i]! * q);
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
