/**
 * @packageDocumentation
 * `@charlearn/backend-node-gpu`: TensorFlow.js's CUDA backend in Node
 * (`@tensorflow/tfjs-node-gpu`, an optional peer) as a charlearn backend
 * plugin. Importing it registers `'node-gpu'`; `await useBackend('node-gpu')`
 * loads the package, checks that it shares charlearn's `@tensorflow/tfjs-core`,
 * and makes its `'tensorflow'` backend current. When the package or its
 * native addon is missing, a `BackendUnavailableError` says what to install.
 *
 * @example
 * ```ts
 * import '@charlearn/backend-node-gpu';
 * import { useBackend } from '@charlearn/core';
 * await useBackend('node-gpu');
 * ```
 *
 * @module @charlearn/backend-node-gpu
 */
import { backends, type BackendPlugin } from '@charlearn/core';
import { nodeGpuBackend } from './plugin';

export { nodeGpuBackend, createNodeGpuBackend, TENSORFLOW_BACKEND } from './plugin';
export type { NodeGpuBackendOptions, NodeGpuLoader } from './plugin';
export { TFJS_NODE_GPU_REQUIREMENTS, INSTALL_HINT, explainLoadFailure } from './requirements';

if (!backends.has(nodeGpuBackend.name)) backends.register(nodeGpuBackend);

/** Re-exported for convenience: the contract {@link nodeGpuBackend} implements. */
export type { BackendPlugin };
