import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupWasmBackend } from './index';
import { gemmAvailable, gemmFusedMultiplyAdd, gemmHeapProductCount, gemmLongInnerCount, gemmProductCount, LONG_K } from './kernels/gemm';
import { finiteDiff, liveCounts, on, rand, relErr } from './test-helpers';

// charlearn's SIMD GEMM (kernels/gemm.ts) behind wasm's BatchMatMul: every transpose combination, ragged sizes
// (M not a multiple of 4, N not of 8, odd K), batched and broadcast operands, against the cpu backend.
type Case = { a: number[]; b: number[]; tA: boolean; tB: boolean };
const CASES: Case[] = [];
for (const tA of [false, true]) {
  for (const tB of [false, true]) {
    const mk = (m: number, k: number) => (tA ? [k, m] : [m, k]);
    const kn = (k: number, n: number) => (tB ? [n, k] : [k, n]);
    CASES.push({ a: mk(13, 7), b: kn(7, 21), tA, tB });
    CASES.push({ a: mk(64, 33), b: kn(33, 8), tA, tB });
    CASES.push({ a: mk(1, 9), b: kn(9, 16), tA, tB });
    CASES.push({ a: mk(12, 3), b: kn(3, 16), tA, tB }); // K < 8: the stock kernel
    CASES.push({ a: [3, ...mk(9, 6)], b: [3, ...kn(6, 11)], tA, tB });
    CASES.push({ a: [2, ...mk(10, 12)], b: kn(12, 9), tA, tB });
    CASES.push({ a: mk(6, 12), b: [4, ...kn(12, 10)], tA, tB });
    CASES.push({ a: mk(40, 17), b: kn(17, 3), tA, tB }); // narrow result: transposed product when tA
    CASES.push({ a: [2, ...mk(9, 10)], b: [2, ...kn(10, 2)], tA, tB });
  }
}
const label = (c: Case) => `[${c.a}]${c.tA ? 'ᵀ' : ''} x [${c.b}]${c.tB ? 'ᵀ' : ''}`;
const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

function product(c: Case, seed: number): Float32Array {
  return tf.tidy(() => tf.matMul(tf.tensor(rand(size(c.a), seed), c.a), tf.tensor(rand(size(c.b), seed + 1), c.b), c.tA, c.tB).dataSync() as Float32Array);
}

describe('the GEMM behind wasm BatchMatMul', () => {
  beforeAll(() => setupWasmBackend());
  afterAll(() => setupWasmBackend({ gemm: true, relaxedSimd: true }));

  it('is available here (WebAssembly SIMD), with relaxed SIMD\'s fused multiply-add by default (Node 20: behind the flag it sets)', async () => {
    expect(gemmAvailable()).toBe(true);
    await setupWasmBackend({ gemm: true, relaxedSimd: true });
    expect(gemmFusedMultiplyAdd()).toBe(true);
    await setupWasmBackend({ gemm: true, relaxedSimd: false });
    expect(gemmFusedMultiplyAdd()).toBe(false);
    await setupWasmBackend({ gemm: true, relaxedSimd: true });
    expect(gemmFusedMultiplyAdd()).toBe(true);
  });

  // aᵀ @ b with a long inner dimension (the weight gradient of a 1x1 convolution over whole images) runs in k-chunks
  it.each([
    [[20011, 37], [20011, 19], true],
    [[50176, 48], [50176, 16], true],
    [[LONG_K, 9], [LONG_K, 8], true],
    [[LONG_K - 1, 9], [LONG_K - 1, 8], false],
  ] as [number[], number[], boolean][])('[%j]ᵀ x %j: k-chunked (%s), the cpu backend\'s values on both microkernels and with gemmLongInner false, no leak', async (aShape, bShape, chunked) => {
    const c: Case = { a: aShape, b: bShape, tA: true, tB: false };
    const cpu = await on('cpu', () => product(c, 77));
    for (const relaxed of [true, false]) {
      await setupWasmBackend({ gemm: true, relaxedSimd: relaxed });
      const count = gemmLongInnerCount();
      const before = liveCounts();
      const wasm = product(c, 77);
      expect(liveCounts()).toEqual(before);
      expect(gemmLongInnerCount()).toBe(count + (chunked ? 1 : 0));
      expect(relErr(wasm, cpu)).toBeLessThan(1e-5);
    }
    await setupWasmBackend({ gemm: true, relaxedSimd: true, gemmLongInner: false });
    const count = gemmLongInnerCount();
    expect(relErr(product(c, 77), cpu)).toBeLessThan(1e-5);
    expect(gemmLongInnerCount()).toBe(count);
    await setupWasmBackend({ gemm: true, relaxedSimd: true, gemmLongInner: true });
  });

  // each case on both microkernels: the 6 x 8 fused one (ragged M against 6 rows) and the 4 x 8 multiply-then-add one
  it.each(CASES.flatMap((c, i) => [true, false].map((relaxed) => [label(c), relaxed, c, i] as const)))('%s (relaxed SIMD %s) matches the cpu backend', async (_, relaxed, c, i) => {
    const cpu = await on('cpu', () => product(c, 300 + i));
    await setupWasmBackend({ gemm: true, relaxedSimd: relaxed });
    try {
      const wasm = await on('wasm', () => product(c, 300 + i));
      expect(wasm.length).toBe(cpu.length);
      expect(relErr(wasm, cpu)).toBeLessThan(1e-5);
    } finally {
      await setupWasmBackend({ gemm: true, relaxedSimd: true });
    }
  });

  it.each([false, true])('without relaxed SIMD gives XNNPACK\'s numbers bit for bit on teacher-sized products (transposeA %s); with it, within float32 rounding; and is what runs', async (tA) => {
    const c: Case = { a: tA ? [1024, 256] : [1024, 256], b: [tA ? 1024 : 256, 256], tA, tB: false };
    await setupWasmBackend({ gemm: true, relaxedSimd: false });
    const before = gemmProductCount();
    const mine = product(c, 7);
    expect(gemmProductCount()).toBe(before + 1);
    await setupWasmBackend({ gemm: true, relaxedSimd: true });
    const fused = product(c, 7);
    expect(gemmProductCount()).toBe(before + 2);
    await setupWasmBackend({ gemm: false });
    const stock = product(c, 7);
    expect(gemmProductCount()).toBe(before + 2);
    await setupWasmBackend({ gemm: true, relaxedSimd: true });
    // the same k-ascending sum for every output: equal bits, so a run's numbers do not depend on the setting
    expect(Buffer.from(mine.buffer).equals(Buffer.from(stock.buffer))).toBe(true);
    // the fused sum rounds once a step: different bits (on FMA hardware), the same numbers to float32 rounding
    expect(relErr(fused, stock)).toBeLessThan(1e-6);
    expect(relErr(fused, stock)).toBeGreaterThan(0);
  });

  // in place on the tfjs heap (gemmOnHeap, the default on the single-threaded binary) against the copying path: the
  // same microkernel reading the same rows, so the same bytes; ragged last row blocks (M % 6, M % 4), N not a
  // multiple of 8 (through the padded scratch product), transposes, batched and broadcast operands
  const HEAP_CASES: Case[] = [...CASES, { a: [1000, 256], b: [256, 256], tA: false, tB: false }, { a: [1000, 256], b: [1000, 64], tA: true, tB: false }, { a: [1024, 64], b: [256, 64], tA: false, tB: true }];
  it.each([true, false])('on the tfjs heap (relaxed SIMD %s): every case bit for bit the copying path, counted there, nothing leaks', async (relaxed) => {
    let onHeap = 0;
    for (const [i, c] of HEAP_CASES.entries()) {
      await setupWasmBackend({ gemm: true, relaxedSimd: relaxed, gemmOnHeap: false });
      const heapBefore = gemmHeapProductCount();
      const copied = product(c, 500 + i);
      expect(gemmHeapProductCount(), label(c)).toBe(heapBefore);
      await setupWasmBackend({ gemm: true, relaxedSimd: relaxed, gemmOnHeap: true });
      const before = liveCounts();
      const countBefore = gemmProductCount();
      const inPlace = product(c, 500 + i);
      expect(liveCounts(), label(c)).toEqual(before);
      // a product the GEMM ran (the stock kernel's, K < 8 or a narrow result, counts on neither) ran on the heap
      expect(gemmHeapProductCount() - heapBefore, label(c)).toBe(gemmProductCount() - countBefore);
      if (i >= CASES.length) expect(gemmHeapProductCount() - heapBefore, label(c)).toBe(1);
      onHeap += gemmHeapProductCount() - heapBefore;
      expect(Buffer.from(inPlace.buffer).equals(Buffer.from(copied.buffer)), label(c)).toBe(true);
    }
    expect(onHeap).toBeGreaterThan(HEAP_CASES.length);
    await setupWasmBackend({ gemm: true, relaxedSimd: true });
  });

  it('gradients through it match finite differences, and nothing leaks', async () => {
    await on('wasm', () => undefined);
    const a = tf.tensor2d(rand(12 * 10, 1), [12, 10]);
    const w0 = rand(10 * 9, 2);
    const w = tf.variable(tf.tensor2d(w0, [10, 9]));
    const loss = () => tf.sum(tf.square(tf.matMul(a, w))) as tf.Scalar;
    const { grads } = tf.variableGrads(loss, [w]);
    const numeric = finiteDiff((v) => tf.tidy(() => tf.sum(tf.square(tf.matMul(a, tf.tensor2d(v, [10, 9])))).dataSync()[0]!), w0, 1e-2);
    expect(relErr(grads[w.name]!.dataSync() as Float32Array, numeric)).toBeLessThan(2e-3);
    tf.dispose(Object.values(grads));
    const run = () => {
      tf.dispose(tf.matMul(a, w, false, false));
      tf.tidy(() => {
        tf.matMul(tf.transpose(a), w, true, false);
      });
      tf.tidy(() => {
        tf.matMul(w, tf.transpose(w), true, true);
      });
    };
    run(); // first calls may create cached constants
    const before = liveCounts();
    run();
    expect(liveCounts()).toEqual(before);
    a.dispose();
    w.dispose();
  });

  it('the committed module is what scripts/simd-wat.mjs assembles to', () => {
    const out = execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'build-simd.mjs'), '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  });
});

