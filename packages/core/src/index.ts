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
export * from './interpolants';
export * from './broadcast';
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
export * from './config-schema';
