/**
 * @packageDocumentation
 * `@charlearn/backend-wasm`: the default embedded backend (Node and browser).
 * Importing it registers the `'wasm'` {@link BackendPlugin} in
 * `@charlearn/core`'s `backends` registry; `await useBackend('wasm')` then
 * loads `@tensorflow/tfjs-backend-wasm`, registers every tfjs-core gradient,
 * makes transposed MatMul (every MatMul gradient) fast, adds the conv2d
 * training kernels wasm lacks, and makes wasm the current tfjs backend.
 *
 * @example
 * ```ts
 * import '@charlearn/backend-wasm';
 * import { useBackend } from '@charlearn/core';
 * await useBackend('wasm');
 * ```
 *
 * @module @charlearn/backend-wasm
 */
import { backends, type BackendPlugin } from '@charlearn/core';
import { wasmBackend } from './plugin';

export { wasmBackend, setupWasmBackend, configureWasmBackend, runningWasmThreads } from './plugin';
export { checkWasmThreads, withWasmThreads, WasmThreadsError, MAX_WASM_THREADS, DEFAULT_WASM_THREADS } from './threads';
export type { WasmThreads } from './threads';
export type { WasmBackendOptions, WasmMatMulFix, WasmPathMap, WasmBinaryName } from './plugin';
export { registerAllGradients } from './gradients';

backends.register(wasmBackend);

/** Re-exported for convenience: the contract {@link wasmBackend} implements. */
export type { BackendPlugin };
