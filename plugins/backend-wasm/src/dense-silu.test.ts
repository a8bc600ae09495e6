// The fused dense-SiLU kernels on charlearn's SIMD module (kernels/dense-silu.ts, scripts/simd-wat.mjs: biasSilu,
// siluGrad): the polynomial-exp sigmoid against float64, every product path (the GEMM on either microkernel, the
// stock product for narrow layers and with `gemm: false`) and BIAS_SILU_KERNEL against the op chain on the cpu
// backend, forward and gradients, on sizes that are not multiples of 4 or 8; the inference outputs ({ sigmoid:
// false }: y alone, the same bytes); finite differences; leaks; errors.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { BIAS_SILU_KERNEL, DENSE_SILU_KERNEL, SILU_BIAS_GRAD_KERNEL } from '@charlearn/core';
import { setupWasmBackend, type WasmBackendOptions } from './index';
import { gemmHeapProductCount } from './kernels/gemm';
import { heapSimdModule } from './kernels/simd-module';
import { finiteDiff, fusedDenseSilu, liveCounts, on, rand, relErr } from './test-helpers';


/** `SiLU(z + b)` by the kernels, differentiable as nets' biasActivated wraps them. */
const fusedBiasSilu = tf.customGrad(((z: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  const [y, s] = tf.engine().runKernel(BIAS_SILU_KERNEL, { z, b }) as [tf.Tensor, tf.Tensor];
  save([y, s]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(SILU_BIAS_GRAD_KERNEL, { dy, y: saved[0]!, s: saved[1]! }) as tf.Tensor[],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (z: tf.Tensor, b: tf.Tensor) => tf.Tensor;

const silu = (z: tf.Tensor) => tf.mul(z, tf.sigmoid(z));

/** The layer's output and the gradients of `Σ cotangent·y` w.r.t. each input, on the current backend. */
function valueAndGrads(layer: (...xs: tf.Tensor[]) => tf.Tensor, inputs: { values: Float32Array; shape: number[] }[], cotangent: Float32Array): Float32Array[] {
  return tf.tidy(() => {
    const ts = inputs.map(({ values, shape }) => tf.tensor(values, shape));
    const y = layer(...ts);
    const ct = tf.tensor(cotangent, y.shape);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(layer(...xs), ct)))(ts);
    return [y, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

describe('the SIMD sigmoid of biasSilu', () => {
  it('is within 5e-7 relative of float64 sigmoid for z in [-87, 90] (and below 2e-38 beyond -87.3), SiLU likewise', async () => {
    const [rows, cols] = [515, 13]; // 6,695 values, the row length not a multiple of 4
    const z = Float32Array.from({ length: rows * cols }, (_, i) => -100 + (190 * i) / (rows * cols - 1));
    z[17] = 0;
    z[18] = -0;
    const [y, s] = await on('wasm', () =>
      tf.tidy(() => (tf.engine().runKernel(BIAS_SILU_KERNEL, { z: tf.tensor2d(z, [rows, cols]), b: tf.zeros([cols]) }) as tf.Tensor[]).map((t) => t.dataSync())),
      { fusedDense: true },
    );
    let worstS = 0;
    let worstY = 0;
    for (let i = 0; i < z.length; i++) {
      const exact = 1 / (1 + Math.exp(-z[i]!));
      if (z[i]! < -87.3) {
        expect(s![i]!).toBeLessThan(2e-38);
        continue;
      }
      worstS = Math.max(worstS, Math.abs(s![i]! - exact) / exact);
      if (z[i] !== 0) worstY = Math.max(worstY, Math.abs(y![i]! - z[i]! * exact) / Math.abs(z[i]! * exact));
    }
    expect(worstS).toBeLessThan(5e-7);
    expect(worstY).toBeLessThan(5e-7);
    expect(s![17]).toBe(0.5);
    expect(y![17]).toBe(0);
  });
});

describe('DENSE_SILU_KERNEL on every product path', () => {
  // [M, K, N]: the GEMM (K, N >= 8, ragged), a narrow layer (N < 8) and the 2-D input layer (K = 2) on the stock product
  const SIZES: [number, number, number][] = [
    [37, 19, 23],
    [29, 11, 5],
    [33, 2, 13],
    [37, 19, 24], // N a multiple of 8: in place on the tfjs heap
    [33, 2, 16], // the 2-D input layer in place (the stock product, then the epilogue on it)
    [21, 7, 20], // 5 vectors a row: the epilogue's pairs of sigmoid chains, then one vector alone
  ];
  const PATHS: [string, WasmBackendOptions][] = [
    // every option spelled out: setupWasmBackend merges options into the earlier calls'
    ['GEMM, relaxed SIMD', { fusedDense: true, gemm: true, relaxedSimd: true, gemmOnHeap: true }],
    ['GEMM, 4 x 8 mul+add', { fusedDense: true, gemm: true, relaxedSimd: false, gemmOnHeap: true }],
    ['GEMM copying through the module (gemmOnHeap: false)', { fusedDense: true, gemm: true, relaxedSimd: true, gemmOnHeap: false }],
    ['gemm: false (stock product)', { fusedDense: true, gemm: false, relaxedSimd: true, gemmOnHeap: true }],
  ];
  const cases = SIZES.flatMap((size) => PATHS.map(([label, options]) => [`[${size.join(', ')}] ${label}`, size, options] as const));

  it.each(cases)('%s matches the op chain on the cpu backend, forward and the three gradients, and leaks nothing', async (_, [m, k, n], options) => {
    const inputs = [
      { values: rand(m * k, 1, 2), shape: [m, k] },
      { values: rand(k * n, 2, 0.8), shape: [k, n] },
      { values: rand(n, 3, 0.5), shape: [n] },
    ];
    const ct = rand(m * n, 4);
    const expected = await on('cpu', () => valueAndGrads((x, w, b) => silu(tf.add(tf.matMul(x!, w!), b!)), inputs, ct));
    const actual = await on(
      'wasm',
      () => {
        valueAndGrads(fusedDenseSilu as (...xs: tf.Tensor[]) => tf.Tensor, inputs, ct);
        const before = liveCounts();
        const out = valueAndGrads(fusedDenseSilu as (...xs: tf.Tensor[]) => tf.Tensor, inputs, ct);
        expect(liveCounts()).toEqual(before);
        return out;
      },
      options,
    );
    expect(relErr(actual[0]!, expected[0]!)).toBeLessThan(1e-5);
    for (let i = 1; i < 4; i++) expect(relErr(actual[i]!, expected[i]!)).toBeLessThan(1e-4);
  });
});

/**
 * Both kernels on `x [m, k]`, `w [k, n]`, `b [n]` (and `z = x·w`), each with and without s: the outputs of
 * `[dense, dense { sigmoid: false }, bias, bias { sigmoid: false }]`, as bytes. Call inside `tf.tidy`.
 */
function kernelRuns(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): Buffer[][] {
  const z = tf.matMul(x, w);
  const runs = [
    tf.engine().runKernel(DENSE_SILU_KERNEL, { x, w, b }) as tf.Tensor[],
    tf.engine().runKernel(DENSE_SILU_KERNEL, { x, w, b }, { sigmoid: false }) as tf.Tensor[],
    tf.engine().runKernel(BIAS_SILU_KERNEL, { z, b }) as tf.Tensor[],
    tf.engine().runKernel(BIAS_SILU_KERNEL, { z, b }, { sigmoid: false }) as tf.Tensor[],
  ];
  return runs.map((r) => r.map((t) => Buffer.from((t.dataSync() as Float32Array).buffer.slice(0))));
}

describe('the inference outputs ({ sigmoid: false })', () => {
  const [m, k, n] = [37, 19, 23];
  const [xv, wv, bv] = [rand(m * k, 11, 2), rand(k * n, 12, 0.8), rand(n, 13, 0.5)];
  const PATHS: [string, WasmBackendOptions][] = [
    ['GEMM, relaxed SIMD', { fusedDense: true, gemm: true, relaxedSimd: true, gemmOnHeap: true }],
    ['GEMM, 4 x 8 mul+add', { fusedDense: true, gemm: true, relaxedSimd: false, gemmOnHeap: true }],
    ['GEMM copying through the module (gemmOnHeap: false)', { fusedDense: true, gemm: true, relaxedSimd: true, gemmOnHeap: false }],
    ['gemm: false (stock product)', { fusedDense: true, gemm: false, relaxedSimd: true, gemmOnHeap: true }],
  ];
  /** y of both kernels with and without s: `[dense y, dense y alone, bias y, bias y alone]` and the output counts. */
  const outputs = () =>
    tf.tidy(() => {
      const runs = kernelRuns(tf.tensor2d(xv, [m, k]), tf.tensor2d(wv, [k, n]), tf.tensor1d(bv));
      return { counts: runs.map((r) => r.length), ys: runs.map((r) => r[0]!) };
    });

  it.each(PATHS)('%s: [y] alone, the bytes of the two-output call, and nothing leaks', async (_, options) => {
    const { counts, ys } = await on(
      'wasm',
      () => {
        outputs();
        const before = liveCounts();
        const out = outputs();
        expect(liveCounts()).toEqual(before);
        return out;
      },
      options,
    );
    expect(counts).toEqual([2, 1, 2, 1]);
    expect(ys[1]!.equals(ys[0]!)).toBe(true);
    expect(ys[3]!.equals(ys[2]!)).toBe(true);
  });

  it('rejects a sigmoid attribute that is not a boolean, naming it', async () => {
    await setupWasmBackend({ fusedDense: true });
    const [x, w, b] = [tf.zeros([4, 3]), tf.zeros([3, 5]), tf.zeros([5])];
    expect(() => tf.engine().runKernel(DENSE_SILU_KERNEL, { x, w, b }, { sigmoid: 'no' as unknown as boolean })).toThrow(/attribute sigmoid must be a boolean, got "no"/);
    expect(() => tf.engine().runKernel(BIAS_SILU_KERNEL, { z: tf.zeros([4, 5]), b }, { sigmoid: 0 as unknown as boolean })).toThrow(/attribute sigmoid must be a boolean, got 0/);
    tf.dispose([x, w, b]);
  });
});

describe('the fused dense layer in place on the tfjs heap (gemmOnHeap)', () => {
  // [M, K, N] with N a multiple of 8 (the GEMM written into y, the epilogue on y: no copy), the stock product for K < 8,
  // and N = 20 (not a multiple of 8: the dense layer copies through the module, BIAS_SILU_KERNEL still runs in place)
  const SIZES: [number, number, number][] = [
    [1000, 256, 256],
    [37, 19, 24],
    [33, 2, 16],
    [29, 11, 20],
  ];
  /** y and s of DENSE_SILU_KERNEL and BIAS_SILU_KERNEL, with and without s, as bytes. */
  const outputs = (m: number, k: number, n: number) =>
    tf.tidy(() => kernelRuns(tf.tensor2d(rand(m * k, 21, 2), [m, k]), tf.tensor2d(rand(k * n, 22, 0.2), [k, n]), tf.tensor1d(rand(n, 23, 0.5))).flat());

  it.each(SIZES.flatMap((size) => [true, false].map((relaxed) => [size.join(' x '), relaxed, size] as const)))('[%s] (relaxed SIMD %s): y and s bit for bit those of the copying path, nothing leaks', async (_, relaxed, [m, k, n]) => {
    const copied = await on('wasm', () => outputs(m, k, n), { fusedDense: true, gemm: true, relaxedSimd: relaxed, gemmOnHeap: false });
    const inPlace = await on(
      'wasm',
      () => {
        outputs(m, k, n);
        const before = liveCounts();
        const heapBefore = gemmHeapProductCount();
        const out = outputs(m, k, n);
        expect(liveCounts()).toEqual(before);
        // the two dense calls' products (and the matMul for z) ran on the heap where the GEMM takes them
        expect(gemmHeapProductCount() - heapBefore).toBe(k >= 8 ? (n % 8 === 0 ? 3 : 1) : 0);
        return out;
      },
      { fusedDense: true, gemm: true, relaxedSimd: relaxed, gemmOnHeap: true },
    );
    expect(inPlace.length).toBe(6);
    inPlace.forEach((bytes, i) => expect(bytes.equals(copied[i]!), `output ${i}`).toBe(true));
    await setupWasmBackend({ fusedDense: true, gemm: true, relaxedSimd: true, gemmOnHeap: true });
  });
});

describe('BIAS_SILU_KERNEL', () => {
  const [M, N] = [41, 13];
  const zv = rand(M * N, 5, 4);
  const bv = rand(N, 6, 1);
  const ct = rand(M * N, 7);
  const inputs = [
    { values: zv, shape: [M, N] },
    { values: bv, shape: [N] },
  ];

  it('matches SiLU(z + b) on the cpu backend, forward and both gradients, and leaks nothing', async () => {
    const expected = await on('cpu', () => valueAndGrads((z, b) => silu(tf.add(z!, b!)), inputs, ct));
    const actual = await on(
      'wasm',
      () => {
        const before = liveCounts();
        const out = valueAndGrads(fusedBiasSilu as (...xs: tf.Tensor[]) => tf.Tensor, inputs, ct);
        expect(liveCounts()).toEqual(before);
        return out;
      },
      { fusedDense: true },
    );
    expect(relErr(actual[0]!, expected[0]!)).toBeLessThan(1e-5);
    expect(relErr(actual[1]!, expected[1]!)).toBeLessThan(1e-5);
    expect(relErr(actual[2]!, expected[2]!)).toBeLessThan(1e-5);
  });

  it('has the gradient of central finite differences of its forward', async () => {
    await setupWasmBackend({ fusedDense: true });
    const [, dz, db] = valueAndGrads(fusedBiasSilu as (...xs: tf.Tensor[]) => tf.Tensor, inputs, ct);
    const loss = (z: Float32Array, b: Float32Array) =>
      tf.tidy(() => {
        const y = fusedBiasSilu(tf.tensor2d(z, [M, N]), tf.tensor1d(b)).dataSync();
        let s = 0;
        for (let i = 0; i < y.length; i++) s += y[i]! * ct[i]!;
        return s;
      });
    const zi = [0, 3, 200, M * N - 1];
    const bi = [0, 4, N - 1];
    const fdz = finiteDiff((v) => loss(v, bv), zv, 1e-2, zi);
    const fdb = finiteDiff((v) => loss(zv, v), bv, 1e-2, bi);
    zi.forEach((i, j) => expect(Math.abs(fdz[j]! - dz![i]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fdz[j]!))));
    bi.forEach((i, j) => expect(Math.abs(fdb[j]! - db![i]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fdb[j]!))));
  });

  it('rejects wrong shapes and dtypes with a message naming them; fusedDense: false unregisters it', async () => {
    await setupWasmBackend({ fusedDense: true });
    const [z, b, zi] = [tf.zeros([4, 3]), tf.zeros([5]), tf.zeros([4, 3], 'int32')];
    expect(() => tf.engine().runKernel(BIAS_SILU_KERNEL, { z, b })).toThrow(/z \[4, 3\], b \[5\]/);
    expect(() => tf.engine().runKernel(BIAS_SILU_KERNEL, { z: zi, b: tf.zeros([3]) })).toThrow(/input z is int32/);
    tf.dispose([z, b, zi]);
    await setupWasmBackend({ fusedDense: false });
    expect(tf.getKernel(BIAS_SILU_KERNEL, 'wasm')).toBeUndefined();
  });
});

describe('SILU_BIAS_GRAD_KERNEL', () => {
  it('runs in place on the tfjs heap on the single-threaded binary: the float64 answer, and the bytes of a JS pass of the same float32 ops', async () => {
    const [rows, cols] = [37, 23]; // 851 values, rows not a multiple of 4
    const size = rows * cols;
    const [dy, s] = [rand(size, 14), rand(size, 15, 0.5).map((v) => v + 0.5)];
    const y = rand(size, 16, 3);
    const { dz, db, calls } = await on(
      'wasm',
      () => {
        const heap = heapSimdModule(tf.backend());
        expect(heap).not.toBeNull();
        const spy = vi.spyOn(heap!, 'siluGrad');
        try {
          const [dzT, dbT] = tf.engine().runKernel(SILU_BIAS_GRAD_KERNEL, { dy: tf.tensor2d(dy, [rows, cols]), y: tf.tensor2d(y, [rows, cols]), s: tf.tensor2d(s, [rows, cols]) }) as tf.Tensor[];
          const out = { dz: dzT!.dataSync() as Float32Array, db: dbT!.dataSync() as Float32Array, calls: spy.mock.calls.length };
          tf.dispose([dzT!, dbT!]);
          return out;
        } finally {
          spy.mockRestore();
        }
      },
      { fusedDense: true },
    );
    expect(calls).toBe(1);
    // the kernel's float32 ops in its order: dz = dy * (s + y * (1 - s)), db summed over rows in order
    const f = Math.fround;
    const expDz = Float32Array.from(dy, (g, i) => f(g * f(s[i]! + f(y[i]! * f(1 - s[i]!)))));
    const expDb = new Float32Array(cols);
    for (let i = 0; i < size; i++) expDb[i % cols] = f(expDb[i % cols]! + expDz[i]!);
    expect(Buffer.from(dz.buffer).equals(Buffer.from(expDz.buffer))).toBe(true);
    expect(Buffer.from(db.buffer).equals(Buffer.from(expDb.buffer))).toBe(true);
  });


  it('on a rank-3 dy with rows of 7 gives dy·(s + y·(1 − s)) and its sums over the leading axes', async () => {
    const shape = [3, 5, 7];
    const size = 105;
    const [dy, s] = [rand(size, 8), rand(size, 9, 0.5).map((v) => v + 0.5)];
    const y = rand(size, 10, 3);
    const [dz, db] = await on(
      'wasm',
      () => tf.tidy(() => (tf.engine().runKernel(SILU_BIAS_GRAD_KERNEL, { dy: tf.tensor(dy, shape), y: tf.tensor(y, shape), s: tf.tensor(s, shape) }) as tf.Tensor[]).map((t) => t.dataSync())),
      { fusedDense: true },
    );
    const expDz = Float64Array.from(dy, (g, i) => g * (s[i]! + y[i]! * (1 - s[i]!)));
    const expDb = new Float64Array(7);
    expDz.forEach((g, i) => (expDb[i % 7]! += g));
    expect(relErr(dz!, expDz)).toBeLessThan(1e-6);
    expect(relErr(db!, expDb)).toBeLessThan(1e-6);
  });
});
