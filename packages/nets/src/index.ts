/**
 * @packageDocumentation
 * `@charlearn/nets`: the {@link Network} contract (raw EDM network `F`,
 * one-time and two-time), the MLP with sinusoidal time embedding, a
 * registry that rebuilds networks from JSON specs, and a self-contained,
 * checksummed binary format for weights and checkpoints.
 *
 * @example
 * ```ts
 * import { createNetwork, saveNetwork, loadNetwork } from '@charlearn/nets';
 * const net = createNetwork({ kind: 'mlp', dim: 2, hidden: [256, 256, 256] });
 * const student = net.toTwoTime();           // equals net at start, for any s
 * const bytes = saveNetwork(student);
 * ```
 */
export type { Network, NetworkSpec, NamedArrays } from './network';
export type { JsonObject, JsonValue, JsonPrimitive } from './json';
export { assertJsonObject } from './json';
export { createNetwork, registerNetworkKind, listNetworkKinds, networkKinds, type NetworkFactory, type NetworkKind } from './registry';
export { Mlp, createMlp, initialMlpWeights } from './mlp';
export { resolveMlpConfig, mlpWeightShapes, type MlpConfig, type MlpSpec } from './mlp-config';
export { ACTIVATIONS, activate, type Activation } from './activations';
export { sinusoidalEmbedding, sinusoidalFrequencies } from './embedding';
export { fanInUniform, activationGainSquared } from './init';
export { encodeTensors, decodeTensors, TENSOR_FILE_MAGIC, TENSOR_FILE_VERSION } from './serialize';
export { saveNetwork, loadNetwork, NETWORK_FILE_FORMAT } from './save';
export { crc32 } from './crc32';
export { assertNamedArrays, checkWeightsMatch } from './weights';
