// Runs in its own process (vitest's forks pool): the wasm backend's thread count is fixed at its first initialisation,
// and this file initialises it with 2 threads.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { ValueRangeError } from '@charlearn/core';
import { describe, expect, it } from 'vitest';
import { checkWasmThreads, MAX_WASM_THREADS, runningWasmThreads, setupWasmBackend, WasmThreadsError } from './index';
import { on, rand, relErr } from './test-helpers';

/** User-mode CPU ticks of every thread of this process, by thread id (Linux /proc). */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(tid, Number(fields[11])); // utime, field 14 of stat
  }
  return out;
}

/** Loss and parameter gradients of a 2-layer SiLU MLP on a fixed batch, plus a conv layer (the U-Net's kernels). */
function gradients(): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor2d(rand(256 * 32, 1), [256, 32]);
    const w1 = tf.tensor2d(rand(32 * 128, 2, 0.2), [32, 128]);
    const w2 = tf.tensor2d(rand(128 * 16, 3, 0.2), [128, 16]);
    const img = tf.tensor4d(rand(4 * 14 * 14 * 8, 4), [4, 14, 14, 8]);
    const k = tf.tensor4d(rand(3 * 3 * 8 * 16, 5, 0.2), [3, 3, 8, 16]);
    const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.add(tf.mean(tf.square(tf.matMul(tf.mul(tf.matMul(x, a), tf.sigmoid(tf.matMul(x, a))), b))), tf.mean(tf.square(tf.conv2d(img as tf.Tensor4D, c as tf.Tensor4D, 1, 'same'))));
    const { value, grads } = tf.valueAndGrads(loss)([w1, w2, k]);
    return [value, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

describe('wasm thread count', () => {
  it('refuses bad counts with a ValueRangeError naming threads, before loading anything', async () => {
    for (const bad of [0, -1, 1.5, MAX_WASM_THREADS + 1, Number.NaN, '2', null]) {
      expect(() => checkWasmThreads(bad)).toThrow(ValueRangeError);
      const e = await setupWasmBackend({ threads: bad as number }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(ValueRangeError);
      expect((e as ValueRangeError).parameter).toBe('threads');
      expect((e as Error).message).toMatch(/integer from 1 to 8/);
    }
    expect(await runningWasmThreads()).toBeUndefined(); // nothing was initialised by the refusals
    expect(checkWasmThreads(1)).toBe(1);
    expect(checkWasmThreads('auto')).toBe('auto');
  });

  it('runs the threaded SIMD binary with 2 threads in Node; gradients match the cpu backend; the second thread computes', async () => {
    const expected = await on('cpu', gradients);
    const threadsBefore = existsSync('/proc/self/task') ? new Set(readdirSync('/proc/self/task')) : undefined;
    await setupWasmBackend({ threads: 2 });
    expect(tf.getBackend()).toBe('wasm');
    expect(await runningWasmThreads()).toBe(2);

    const before = tf.memory().numTensors;
    const ticks0 = threadTicks();
    const actual = gradients();
    for (let i = 0; i < 20; i++) tf.tidy(() => tf.matMul(tf.ones([512, 512]), tf.ones([512, 512])).dataSync());
    const ticks1 = threadTicks();
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < expected.length; i++) expect(relErr(actual[i]!, expected[i]!)).toBeLessThan(2e-5);

    // CPU time, not wall time: the threads the setup started (the pthread workers) did part of the products
    // (at least 50 ms of CPU; under heavy load from elsewhere their share shrinks, so no share is asserted).
    if (threadsBefore) {
      const pthreadTicks = [...ticks1].filter(([tid]) => !threadsBefore.has(tid)).reduce((s, [tid, t]) => s + t - (ticks0.get(tid) ?? 0), 0);
      expect(pthreadTicks).toBeGreaterThanOrEqual(5);
    }
  });

  it('refuses another thread count once initialised, with a WasmThreadsError; the same count is fine', async () => {
    await expect(setupWasmBackend({ threads: 1 })).rejects.toThrow(WasmThreadsError);
    await expect(setupWasmBackend({ threads: 1 })).rejects.toThrow(/already runs 2 thread\(s\) and cannot switch to 1/);
    await setupWasmBackend({ threads: 2 });
    expect(await runningWasmThreads()).toBe(2);
  });

  it('a Node process that used 2 threads exits on its own (the built package, in a child process)', () => {
    const code = [
      "import * as tf from '@tensorflow/tfjs-core';",
      "import { setupWasmBackend, runningWasmThreads } from '@charlearn/backend-wasm';",
      'await setupWasmBackend({ threads: 2 });',
      'tf.matMul(tf.ones([256, 256]), tf.ones([256, 256])).dataSync();',
      'console.log(`threads ${await runningWasmThreads()}`);',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: __dirname, encoding: 'utf8', timeout: 60_000 });
    expect(r.signal).toBeNull(); // not killed by the timeout
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('threads 2');
  });

  it('a process that may not start workers gets a WasmThreadsError, not a hang', () => {
    const code = [
      "import { setupWasmBackend, WasmThreadsError } from '@charlearn/backend-wasm';",
      'try { await setupWasmBackend({ threads: 2 }); console.log("started"); }',
      'catch (e) { console.log(`${e instanceof WasmThreadsError} ${e.name}: ${e.message}`); process.exit(3); }',
    ].join('\n');
    // Node's permission model without --allow-worker: creating a Worker throws ERR_ACCESS_DENIED.
    const flag = Number(process.versions.node.split('.')[0]) >= 23 ? '--permission' : '--experimental-permission';
    const r = spawnSync(process.execPath, [flag, '--allow-fs-read=*', '--input-type=module', '-e', code], { cwd: __dirname, encoding: 'utf8', timeout: 60_000 });
    expect(r.signal).toBeNull();
    expect(r.stdout).toMatch(/^true WasmThreadsError: .*restart the process with threads: 1/m);
    expect(r.status).toBe(3);
  });
});
