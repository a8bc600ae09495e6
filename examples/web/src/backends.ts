import { useBackend } from '@charlearn/core';
import { checkWasmThreads, configureWasmBackend, type WasmThreads } from '@charlearn/backend-wasm';
import { configureWebGpuBackend, webgpuDiagnostics } from '@charlearn/backend-webgpu';
// The tfjs wasm binaries as Vite assets (hashed files in dist/assets); the wasm plugin loads them from these URLs.
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** The backends the page offers. */
export type PageBackend = 'webgpu' | 'wasm';

/**
 * Threads for the wasm backend: `?threads=N` (1..8, or `auto`) when the page is cross-origin isolated (the
 * COOP/COEP headers of vite.config.ts; the threaded binary needs SharedArrayBuffer), else 1. Default 1: on the
 * shared 2-core machine where it was tried, the threaded binary trained the default run ~4x slower (docs/threads.md).
 */
export function pageWasmThreads(search: string, isolated: boolean): WasmThreads {
  const asked = new URLSearchParams(search).get('threads');
  if (asked === null || !isolated) return 1;
  try {
    return checkWasmThreads(asked === 'auto' ? asked : Number(asked), 'threads (URL parameter)');
  } catch (e) {
    console.warn(`${e instanceof Error ? e.message : String(e)}; using 1 thread`);
    return 1;
  }
}

configureWasmBackend({
  threads: pageWasmThreads(globalThis.location?.search ?? '', (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true),
  wasmPaths: {
    'tfjs-backend-wasm.wasm': wasmUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
  },
});
configureWebGpuBackend({ log: (m) => console.info(m) });

/** What the page knows about WebGPU here. */
export interface WebGpuStatus {
  /** A WebGPU adapter exists (the app trains with asynchronous reads, so that is all it needs). */
  readonly available: boolean;
  /** A line to show: why WebGPU is unavailable, or that the adapter is a software rasteriser (slow); else undefined. */
  readonly note: string | undefined;
}

/**
 * Whether the page can train on WebGPU: whenever an adapter exists. The
 * trainers' async steps (`trainStepAsync`) and the sample reads (`await
 * data()`) need no synchronous GPU readback, so where it is missing
 * (`webgpuDiagnostics().syncReads`, e.g. SwiftShader in headless Chromium) the
 * app still trains.
 *
 * @example
 * ```ts
 * const { available, note } = await webgpuStatus();
 * ```
 */
export async function webgpuStatus(): Promise<WebGpuStatus> {
  const d = await webgpuDiagnostics();
  if (!d.available) return { available: false, note: `WebGPU unavailable: ${d.reason}` };
  const who = [d.adapter?.vendor, d.adapter?.architecture, d.adapter?.description].filter(Boolean).join(' / ');
  return { available: true, note: d.software ? `WebGPU adapter ${who} is a software rasteriser (CPU): slow` : undefined };
}

/** Makes `name` the tfjs backend (via the charlearn plugin registry). */
export async function selectPageBackend(name: PageBackend): Promise<void> {
  await useBackend(name);
}
