import { useBackend } from '@charlearn/core';
import { configureWasmBackend } from '@charlearn/backend-wasm';
import { configureWebGpuBackend, webgpuDiagnostics } from '@charlearn/backend-webgpu';
// The tfjs wasm binaries as Vite assets (hashed files in dist/assets); the wasm plugin loads them from these URLs.
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** The backends the page offers. */
export type PageBackend = 'webgpu' | 'wasm';

configureWasmBackend({
  wasmPaths: {
    'tfjs-backend-wasm.wasm': wasmUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
  },
});
configureWebGpuBackend({ log: (m) => console.info(m) });

/**
 * Whether the app can train on WebGPU here, and a line to show: unavailable
 * (the plugin's reason), or available but without synchronous GPU reads
 * (charlearn's trainers read their losses synchronously; SwiftShader in
 * headless Chromium cannot), or a software adapter (slow).
 */
export async function webgpuStatus(): Promise<{ available: boolean; trainable: boolean; note: string | undefined }> {
  const d = await webgpuDiagnostics();
  if (!d.available) return { available: false, trainable: false, note: `WebGPU unavailable: ${d.reason}` };
  if (d.syncReads && !d.syncReads.supported) {
    return {
      available: true,
      trainable: false,
      note: `WebGPU runs here but cannot read GPU data back synchronously (${d.syncReads.reason}); the trainers need that, so training uses wasm (the benchmark hook still runs WebGPU with async reads)`,
    };
  }
  const who = [d.adapter?.vendor, d.adapter?.architecture, d.adapter?.description].filter(Boolean).join(' / ');
  return { available: true, trainable: true, note: d.software ? `WebGPU adapter ${who} is a software rasteriser (CPU): slow` : undefined };
}

/** Makes `name` the tfjs backend (via the charlearn plugin registry). */
export async function selectPageBackend(name: PageBackend): Promise<void> {
  await useBackend(name);
}
