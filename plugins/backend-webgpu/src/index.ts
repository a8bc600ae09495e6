/**
 * @packageDocumentation
 * `@charlearn/backend-webgpu`: TensorFlow.js's WebGPU backend as a charlearn
 * backend plugin, in the browser (`navigator.gpu`) and in Node (the optional
 * `webgpu` package, Dawn). Importing it registers the `'webgpu'`
 * {@link BackendPlugin} in `@charlearn/core`'s `backends` registry;
 * `await useBackend('webgpu')` then prepares the environment, loads
 * `@tensorflow/tfjs-backend-webgpu`, registers every tfjs-core gradient and
 * makes webgpu the current tfjs backend. The gradients come from
 * `@charlearn/backend-wasm` (one bundled copy), which importing this
 * package also registers (`'wasm'`, the fallback backend).
 *
 * @example
 * ```ts
 * import '@charlearn/backend-webgpu';
 * import { useBackend } from '@charlearn/core';
 * await useBackend('webgpu');
 * ```
 *
 * @module @charlearn/backend-webgpu
 */
import { backends, type BackendPlugin } from '@charlearn/core';
import { webgpuBackend } from './plugin';

export { webgpuBackend, webgpuDiagnostics, setupWebGpuBackend, configureWebGpuBackend } from './plugin';
export type { WebGpuBackendOptions } from './plugin';
export type { WebGpuDiagnostics, GpuAdapterInfoLike } from './gpu';
export type { SyncReadSupport } from './sync-read';
export { planNodeWebGpuEnvironment, explainNoAdapter, SWIFTSHADER_ICD, SYSTEM_ICD_DIRS, SYSTEM_LIBRARY_DIRS } from './node-env';
export type { EnvironmentProbe, NodeWebGpuEnvironmentPlan, IcdSource, LoaderSource } from './node-env';

if (!backends.has(webgpuBackend.name)) backends.register(webgpuBackend);

/** Re-exported for convenience: the contract {@link webgpuBackend} implements. */
export type { BackendPlugin };
