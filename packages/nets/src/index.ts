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
 *
 * @module @charlearn/nets
 */
export type { Network, NetworkSpec, NamedArrays } from './network';
/** @deprecated Import from `@charlearn/core` (moved there; re-exported for compatibility). */
export type { JsonObject, JsonValue, JsonPrimitive } from '@charlearn/core';
/** @deprecated Import from `@charlearn/core` (moved there; re-exported for compatibility). */
export { assertJsonObject } from '@charlearn/core';
export {
  createNetwork,
  registerNetworkKind,
  listNetworkKinds,
  networkKinds,
  networkSpecFromOptions,
  getNetworkKind,
  type NetworkFactory,
  type NetworkKind,
  type RegisterNetworkKindOptions,
} from './registry';
export { mlpOptionsSchema, unetOptionsSchema, songUnetOptionsSchema, ditOptionsSchema, MLP_DEFAULTS, UNET_DEFAULTS, SONGUNET_DEFAULTS, DIT_DEFAULTS } from './network-options';
export { Mlp, createMlp, initialMlpWeights } from './mlp';
export { resolveMlpConfig, mlpWeightShapes, type MlpConfig, type MlpSpec } from './mlp-config';
export { Unet, createUnet, initialUnetWeights } from './unet';
export { resolveUnetConfig, unetWeightShapes, unetPlan, type UnetConfig, type UnetSpec, type UnetStep } from './unet-config';
export { SongUnet, createSongUnet, initialSongUnetWeights, fromTorchStateDict, toTorchStateDict } from './song-unet';
export { resolveSongUnetConfig, songUnetWeightShapes, songUnetBuffers, songUnetPlan, groupCount, type SongUnetConfig, type SongUnetSpec, type SongUnetStep } from './song-unet-config';
export { Dit, createDit, initialDitWeights } from './dit';
export { resolveDitConfig, ditWeightShapes, DIT_ACTIVATIONS, type DitConfig, type DitSpec, type DitActivation } from './dit-config';
export { ImageNetwork, type ImageSpec } from './image-network';
export { VariablesNetwork, copyVariables, type TimeConditionedSpec } from './variables-network';
export type { ImageCommonSpec } from './image-config';
export { conv2dSame, groupNorm, layerNormNoAffine, downsample2x, upsample2x, selfAttention, geluTanh, dropout, sinCosPositions2d, linear } from './layers';
export { ACTIVATIONS, activate, type Activation } from './activations';
export { biasActivated, dense, denseActivated } from './dense';
export { sinusoidalEmbedding, sinusoidalFrequencies } from './embedding';
export { fanInUniform, activationGainSquared, xavierUniform } from './init';
/** @deprecated Import from `@charlearn/core`: the tensor file format moved there (re-exported for compatibility). */
export { encodeTensors, decodeTensors, TENSOR_FILE_MAGIC, TENSOR_FILE_VERSION } from '@charlearn/core';
export { saveNetwork, loadNetwork, NETWORK_FILE_FORMAT } from './save';
/** @deprecated Import from `@charlearn/core` (moved there; re-exported for compatibility). */
export { crc32, assertNamedArrays } from '@charlearn/core';
export { checkWeightsMatch } from './weights';
