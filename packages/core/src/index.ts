/**
 * @packageDocumentation
 * `@charlearn/core`: contracts and plugin registries, affine interpolants,
 * parameterisations, EDM preconditioning, denoiser matching, time grids,
 * seeded randomness, the exact Gaussian-mixture denoiser, typed errors and
 * backend selection. Convention: t = 0 is noise, t = 1 is data; tensors are
 * `[batch, ...dims]`, times `[batch]`.
 *
 * @module @charlearn/core
 */
export * from './errors';
export * from './validate';
export * from './registry';
export * from './data-distance';
export * from './interpolants';
export * from './broadcast';
export { uniformBatch, isUniformBatch } from './uniform-batch';
export * from './parameterisation';
export * from './field';
export * from './edm';
export * from './loss';
export * from './time-grid';
export * from './random';
export * from './gaussian-mixture';
export * from './backend';
export * from './solver';
export * from './dataset';
export * from './crc32';
export * from './json';
export * from './named-arrays';
export * from './half-floats';
export * from './safetensors';
export { encodeTensors, decodeTensors, canonicalHeaderBytes, TENSOR_FILE_VERSION, TENSOR_FILE_VERSION_KEY, TENSOR_FILE_CRC_KEY, TENSOR_FILE_MAGIC, type DecodeTensorsOptions, type DecodedTensors } from './tensor-file';
export * from './fused-kernels';
export * from './config-schema';
