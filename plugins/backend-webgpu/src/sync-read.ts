import * as tf from '@tensorflow/tfjs-core';
import { CharlearnError } from '@charlearn/core';
import type { GpuLike } from './gpu';

/**
 * Whether tfjs-backend-webgpu's synchronous reads (`dataSync`, `arraySync`)
 * can work here, and why not. They copy GPU data into a WebGPU
 * `OffscreenCanvas` and draw that into a 2-D canvas: Node has no
 * `OffscreenCanvas`, and some browsers (headless Chromium on SwiftShader)
 * draw zeros and lose the device. The trainers' `trainStep()` reads its loss
 * synchronously and needs this; `trainStepAsync()` and other async reads
 * (`await data()`) work either way.
 *
 * @example
 * ```ts
 * const s: SyncReadSupport = { supported: false, reason: 'Node has no OffscreenCanvas' };
 * ```
 */
export type SyncReadSupport = { readonly supported: true } | { readonly supported: false; readonly reason: string };

interface ProbeDevice {
  createBuffer(d: { size: number; usage: number }): object;
  createCommandEncoder(): {
    copyBufferToTexture(src: { buffer: object; bytesPerRow: number }, dst: { texture: object }, size: { width: number; height: number }): void;
    finish(): object;
  };
  queue: { writeBuffer(buffer: object, offset: number, data: Uint8Array): void; submit(buffers: object[]): void };
  destroy(): void;
}

interface ProbeAdapter {
  requestDevice(): Promise<ProbeDevice>;
}

interface OffscreenCanvasLike {
  getContext(kind: 'webgpu'): { configure(c: object): void; getCurrentTexture(): object } | null;
  getContext(kind: '2d'): { drawImage(source: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

type OffscreenCanvasCtor = new (w: number, h: number) => OffscreenCanvasLike;

const SIZE = 4;
const PIXEL = [16, 96, 176, 255];

/**
 * Tries the readback tfjs-backend-webgpu's `readSync` uses, on a throwaway
 * device (it may be lost by a failed attempt): a known pixel through a
 * WebGPU canvas into a 2-D canvas. Never throws.
 */
export async function probeSyncReadback(gpu: GpuLike): Promise<SyncReadSupport> {
  const G = globalThis as unknown as { OffscreenCanvas?: OffscreenCanvasCtor; GPUBufferUsage?: Record<string, number>; GPUTextureUsage?: Record<string, number> };
  if (typeof G.OffscreenCanvas !== 'function') return { supported: false, reason: 'this runtime has no OffscreenCanvas (Node)' };
  let device: ProbeDevice | undefined;
  try {
    const adapter = (await gpu.requestAdapter()) as unknown as ProbeAdapter | null;
    if (!adapter) return { supported: false, reason: 'no adapter for the readback probe' };
    device = await adapter.requestDevice();
    const canvas = new G.OffscreenCanvas(SIZE, SIZE);
    const ctx = canvas.getContext('webgpu');
    if (!ctx) return { supported: false, reason: "OffscreenCanvas.getContext('webgpu') returned null" };
    ctx.configure({ device, format: 'bgra8unorm', usage: G.GPUTextureUsage!.COPY_DST, alphaMode: 'premultiplied' });
    const bytes = new Uint8Array(256 * SIZE);
    for (let i = 0; i < bytes.length; i += 4) bytes.set([PIXEL[2]!, PIXEL[1]!, PIXEL[0]!, PIXEL[3]!], i); // BGRA
    const buffer = device.createBuffer({ size: bytes.length, usage: G.GPUBufferUsage!.COPY_SRC! | G.GPUBufferUsage!.COPY_DST! });
    device.queue.writeBuffer(buffer, 0, bytes);
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToTexture({ buffer, bytesPerRow: 256 }, { texture: ctx.getCurrentTexture() }, { width: SIZE, height: SIZE });
    device.queue.submit([encoder.finish()]);
    const host = new G.OffscreenCanvas(SIZE, SIZE).getContext('2d');
    if (!host) return { supported: false, reason: "OffscreenCanvas.getContext('2d') returned null" };
    host.drawImage(canvas, 0, 0);
    const got = Array.from(host.getImageData(0, 0, 1, 1).data);
    if (got.every((v, i) => Math.abs(v - PIXEL[i]!) <= 1)) return { supported: true };
    return {
      supported: false,
      reason: `drawing a WebGPU canvas into a 2-D canvas gave [${got.join(', ')}] instead of [${PIXEL.join(', ')}] (no WebGPU-canvas interop, e.g. SwiftShader in headless Chromium)`,
    };
  } catch (e) {
    return { supported: false, reason: `the WebGPU canvas readback failed: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    try {
      device?.destroy();
    } catch {
      // a lost device may refuse; nothing to release then
    }
    if (device) await untilAdapterReturns(gpu);
  }
}

/**
 * Waits until `gpu.requestAdapter()` gives an adapter again: true when it
 * did, false after `timeoutMs` (default 5000) of tries every `pollMs`
 * (default 25). A failed readback probe can lose the GPU: in headless
 * Chromium on SwiftShader `requestAdapter()` then briefly returns null ("A
 * valid external Instance reference no longer exists"), and a
 * `useBackend('webgpu')` right after the probe failed. Never throws (a
 * throwing `requestAdapter()` counts as null).
 *
 * @example
 * ```ts
 * const back = await untilAdapterReturns(navigator.gpu, { timeoutMs: 2000 });
 * ```
 */
export async function untilAdapterReturns(gpu: GpuLike, { timeoutMs = 5000, pollMs = 25 }: { timeoutMs?: number; pollMs?: number } = {}): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await gpu.requestAdapter({ powerPreference: 'high-performance' })) return true;
    } catch {
      // counts as null: try again until the deadline
    }
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

interface ReadSyncBackend {
  readSync(dataId: object): unknown;
  tensorMap?: { get(dataId: object): { values?: unknown; dtype?: string } | undefined };
}

const GUARDED = Symbol.for('@charlearn/backend-webgpu/readSyncGuard');

/**
 * Makes the webgpu backend's `readSync` of GPU-resident data throw a clear
 * `CharlearnError` where synchronous readback cannot work (instead of
 * tfjs's "OffscreenCanvas is not defined", or zeros and a lost device).
 * Reads of data already on the CPU keep working. Idempotent.
 */
export function guardSyncReads(backend: tf.KernelBackend, support: SyncReadSupport): void {
  if (support.supported) return;
  const b = backend as unknown as ReadSyncBackend & Record<symbol, boolean>;
  if (b[GUARDED]) return;
  const original = b.readSync.bind(b);
  b.readSync = (dataId: object) => {
    const data = b.tensorMap?.get(dataId);
    if (data && (data.values != null || data.dtype === 'string')) return original(dataId);
    throw new CharlearnError(
      `synchronous reads (dataSync, arraySync) of GPU data are not possible on the webgpu backend here: ${support.reason}. ` +
        "Use `await tensor.data()` (to train: `trainStepAsync()` instead of `trainStep()`), or a backend that reads synchronously ('wasm', 'cpu')",
      'backend',
    );
  };
  b[GUARDED] = true;
}
