import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { backends, currentBackend, useBackend } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { configureWebGpuBackend, webgpuBackend, webgpuDiagnostics } from './index';
import { chunkedSum } from './kernels/add-n';
import { maxRelDiff, requireWebGpu } from './test-helpers';

const logged: string[] = [];

beforeAll(async () => {
  configureWebGpuBackend({ log: (m) => logged.push(m) });
  await requireWebGpu();
});

/** A [rows, cols] matrix of deterministic values in (-1, 1). */
function values(rows: number, cols: number, seed: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => Math.sin(seed * 12.9898 + i * 78.233 + j * 37.719)));
}

async function on<T>(backend: 'cpu' | 'webgpu', f: () => tf.Tensor): Promise<Float32Array> {
  if (backend === 'webgpu') await useBackend('webgpu');
  else await tf.setBackend('cpu');
  const out = f();
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

describe('the webgpu plugin in Node (Dawn)', () => {
  it('is registered on import, available, and reports its adapter and environment', async () => {
    expect(backends.get('webgpu')).toBe(webgpuBackend);
    expect(await webgpuBackend.isAvailable()).toEqual({ available: true });
    const d = await webgpuDiagnostics();
    expect(d.runtime).toBe('node');
    expect(d.adapter).toBeDefined();
    if (d.software) expect(`${d.adapter?.architecture} ${d.adapter?.description}`.toLowerCase()).toMatch(/swiftshader|llvmpipe|lavapipe|software/);
    expect(process.env.XDG_RUNTIME_DIR).toBeTruthy();
  });

  it('setup makes webgpu the tfjs backend, is idempotent, and logs a software adapter once', async () => {
    await useBackend('webgpu');
    await useBackend('webgpu');
    expect(currentBackend()).toBe('webgpu');
    const d = await webgpuDiagnostics();
    expect(logged.filter((m) => m.includes('software rasteriser')).length).toBe(d.software ? 1 : 0);
  });

  it('a forward op (matMul + bias + tanh) matches the cpu backend to 1e-5', async () => {
    const a = values(5, 7, 1);
    const b = values(7, 3, 2);
    const bias = [0.1, -0.2, 0.3];
    const f = () => tf.tidy(() => tf.tanh(tf.add(tf.matMul(tf.tensor2d(a), tf.tensor2d(b)), tf.tensor1d(bias))));
    const ref = await on('cpu', f);
    const got = await on('webgpu', f);
    expect(maxRelDiff(got, ref)).toBeLessThan(1e-5);
  });

  it('gradients are registered: d/dx sum(x² · w) = 2·x·w matches the analytic answer', async () => {
    await useBackend('webgpu');
    const x = tf.tensor1d([0.5, -1.5, 2]);
    const w = tf.tensor1d([3, 1, -2]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.square(v), w)))(x);
    expect(Array.from(await g.data())).toEqual([3, -3, -8]);
    tf.dispose([x, w, g]);
  });
});

describe('synchronous reads in Node (tfjs-backend-webgpu reads synchronously through OffscreenCanvas)', () => {
  it('dataSync of GPU data fails with a clear CharlearnError; CPU-side data and async reads work', async () => {
    await useBackend('webgpu');
    const x = tf.tensor1d([1, 2, 3]);
    expect(Array.from(x.dataSync())).toEqual([1, 2, 3]);
    const y = tf.matMul(tf.reshape(x, [3, 1]), tf.reshape(x, [1, 3])); // a GPU kernel (tiny elementwise ops may run on the CPU)
    expect(() => y.dataSync()).toThrow(/not possible on the webgpu backend here: this runtime has no OffscreenCanvas \(Node\)\. Use `await tensor\.data\(\)`/);
    expect((await webgpuDiagnostics()).syncReads).toEqual({ supported: false, reason: 'this runtime has no OffscreenCanvas (Node)' });
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 2, 4, 6, 3, 6, 9]);
    tf.dispose([x, y]);
  });
});

describe('AddN of many tensors (stock tfjs-backend-webgpu exceeds 8 storage buffers)', () => {
  it('chunkedSum sums any count in groups and disposes only the partial sums', () => {
    const disposed: number[] = [];
    let made = 1000;
    const partials = new Map<number, number>();
    const sumFew = (xs: number[]) => {
      expect(xs.length).toBeLessThanOrEqual(3);
      const id = made++;
      partials.set(id, xs.reduce((a, x) => a + (partials.get(x) ?? x), 0));
      return id;
    };
    for (const n of [1, 3, 4, 7, 10]) {
      const inputs = Array.from({ length: n }, (_, i) => i + 1);
      const out = chunkedSum(inputs, 3, sumFew, (x) => disposed.push(x));
      expect(partials.get(out)).toBe((n * (n + 1)) / 2);
      expect(disposed.some((d) => inputs.includes(d) || d === out)).toBe(false);
    }
    expect(disposed.length).toBe(made - 1000 - 5);
  });

  it('addN of 11 tensors on webgpu equals the sum, without leaking tensors', async () => {
    await useBackend('webgpu');
    const xs = Array.from({ length: 11 }, (_, i) => tf.fill([4, 4], i + 1));
    const before = tf.memory().numTensors;
    const y = tf.addN(xs);
    expect(Array.from(await y.data())).toEqual(new Array(16).fill(66));
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(xs);
  });
});
