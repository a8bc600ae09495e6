import { _FusedMatMul, getKernel, Multiply, registerKernel, Sigmoid, unregisterKernel, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { DENSE_SILU_KERNEL, SILU_BIAS_GRAD_KERNEL } from '@charlearn/core';
import { heapView, Scratch, WASM, type KernelBackendLike } from './util';

function fail(kernel: string, message: string): never {
  throw new Error(`@charlearn/backend-wasm: ${kernel}: ${message}`);
}

function requireFloat32(kernel: string, inputs: Record<string, TensorInfo | undefined>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (!t) fail(kernel, `needs input ${name}`);
    if (t.dtype !== 'float32') fail(kernel, `input ${name} is ${t.dtype}, expected float32`);
  }
}

/** The same data under another shape of the same size (what the wasm `Reshape` kernel returns). */
function relabel(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/**
 * {@link DENSE_SILU_KERNEL} on wasm: the wasm kernels `_FusedMatMul` (XNNPACK, bias fused; its operator is cached
 * on `w` and `b`, so repeated forwards with the same weights pack them once), `Sigmoid` and `Multiply`, called
 * directly on the backend: one engine dispatch (and one tape entry) where the op chain makes four.
 */
const denseSilu: KernelFunc = ({ inputs, backend }) => {
  const { x, w, b } = inputs as Record<string, TensorInfo | undefined>;
  requireFloat32(DENSE_SILU_KERNEL, { x, w, b });
  const [m, k] = x!.shape;
  const n = w!.shape[1];
  if (x!.shape.length !== 2 || w!.shape.length !== 2 || k !== w!.shape[0] || b!.shape.length !== 1 || b!.shape[0] !== n) {
    fail(DENSE_SILU_KERNEL, `expected x [batch, in], w [in, out], b [out]; got x [${x!.shape.join(', ')}], w [${w!.shape.join(', ')}], b [${b!.shape.join(', ')}]`);
  }
  const be = backend as KernelBackendLike;
  const scratch = new Scratch(be);
  try {
    const attrs = { transposeA: false, transposeB: false, activation: 'linear', leakyreluAlpha: 0 };
    const z = scratch.run(_FusedMatMul, { a: relabel(x!, [1, m!, k!]), b: relabel(w!, [1, k!, n!]), bias: b! }, attrs);
    const s = scratch.run(Sigmoid, { x: z });
    const y = scratch.run(Multiply, { a: z, b: s });
    scratch.keep(y);
    scratch.keep(s);
    return [relabel(y, [m!, n!]), relabel(s, [m!, n!])];
  } finally {
    scratch.dispose();
  }
};

/** `dz = dy·(s + y·(1 − s))` and the column sums of `dz` (rows of length `n`), accumulated in float64. */
function writeSiluBiasGrad(dy: Float32Array, y: Float32Array, s: Float32Array, dz: Float32Array, db: Float32Array, n: number): void {
  const acc = new Float64Array(n);
  const size = dy.length;
  for (let o = 0; o < size; o += n) {
    for (let j = 0; j < n; j++) {
      const i = o + j;
      const si = s[i]!;
      const g = dy[i]! * (si + y[i]! * (1 - si));
      dz[i] = g;
      acc[j] = acc[j]! + g;
    }
  }
  db.set(acc);
}

/**
 * {@link SILU_BIAS_GRAD_KERNEL} on wasm: one JS pass over the heap writes `dz = dy·(s + y·(1 − s))` and accumulates
 * the bias gradient `db = Σ_batch dz` in float64 (rounded once), where the op chain runs five elementwise kernels and a
 * reduction.
 */
const siluBiasGrad: KernelFunc = ({ inputs, backend }) => {
  const { dy, y, s } = inputs as Record<string, TensorInfo | undefined>;
  requireFloat32(SILU_BIAS_GRAD_KERNEL, { dy, y, s });
  const shape = dy!.shape;
  for (const [name, t] of Object.entries({ y, s })) {
    if (t!.shape.length !== shape.length || t!.shape.some((d, i) => d !== shape[i])) {
      fail(SILU_BIAS_GRAD_KERNEL, `input ${name} has shape [${t!.shape.join(', ')}], dy has [${shape.join(', ')}]`);
    }
  }
  if (shape.length < 1) fail(SILU_BIAS_GRAD_KERNEL, 'dy must have at least one axis');
  const n = shape[shape.length - 1]!;
  const be = backend as KernelBackendLike;
  const dzInfo = be.makeOutput([...shape], 'float32');
  const dbInfo = be.makeOutput([n], 'float32');
  // Views after every allocation (growing the heap detaches earlier ones); float32 checked above.
  const view = (t: TensorInfo) => heapView(be, t) as Float32Array;
  writeSiluBiasGrad(view(dy!), view(y!), view(s!), view(dzInfo), view(dbInfo), n);
  return [dzInfo, dbInfo];
};

/** Registers {@link DENSE_SILU_KERNEL} and {@link SILU_BIAS_GRAD_KERNEL} for wasm (idempotent). */
export function registerDenseSiluKernels(): void {
  if (!getKernel(DENSE_SILU_KERNEL, WASM)) registerKernel({ kernelName: DENSE_SILU_KERNEL, backendName: WASM, kernelFunc: denseSilu });
  if (!getKernel(SILU_BIAS_GRAD_KERNEL, WASM)) registerKernel({ kernelName: SILU_BIAS_GRAD_KERNEL, backendName: WASM, kernelFunc: siluBiasGrad });
}

/** Removes both (the libraries then run their op chains). */
export function unregisterDenseSiluKernels(): void {
  for (const name of [DENSE_SILU_KERNEL, SILU_BIAS_GRAD_KERNEL]) if (getKernel(name, WASM)) unregisterKernel(name, WASM);
}
