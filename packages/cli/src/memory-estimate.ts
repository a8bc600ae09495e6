/**
 * A lower bound on the memory one training step needs, checked against what the backend can allocate before the
 * first step: a batch that cannot fit is a `ConfigError` naming `<phase>.batchSize` and the estimate, instead of a
 * wasm `RuntimeError: memory access out of bounds` after seconds and gigabytes.
 *
 * @example
 * ```ts
 * assertStepFits(config, 'teacher', [2], 'wasm'); // throws for teacher.batchSize = 5,000,000
 * ```
 * @packageDocumentation
 */
import { totalmem } from 'node:os';
import { ConfigError } from '@charlearn/core';
import type { RunConfig } from './config';

/** The training phases whose batch is estimated. */
export type EstimatedPhase = 'teacher' | 'distill' | 'onestep';

/** float32 */
const BYTES = 4;
/** Forward activation, its gradient and one temporary per stored value: a factor the step needs at least. */
const BACKWARD_FACTOR = 3;

/** A numeric setting of the run's `model` section (flat: `kind` and that kind's settings), or `fallback`. */
function num(model: Readonly<Record<string, unknown>>, key: string, fallback: number): number {
  const value = model[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/**
 * Floats of activations one sample keeps through a forward pass of the run's network (a lower bound; a kind this
 * module does not know, a plugin's, counts its input and output only).
 */
export function activationFloatsPerSample(config: Pick<RunConfig, 'model'>, sampleShape: readonly number[]): number {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const { model } = config;
  const pixels = (sampleShape[0] ?? 1) * (sampleShape[1] ?? 1);
  switch (model.kind) {
    case 'mlp': {
      const hidden = Array.isArray(model.hidden) ? (model.hidden as unknown[]).reduce<number>((a, b) => a + (typeof b === 'number' ? b : 0), 0) : 0;
      return 2 * size + num(model, 'timeEmbeddingDim', 0) + hidden;
    }
    case 'unet':
      return 2 * size + pixels * num(model, 'channels', 1) * (2 * num(model, 'numResBlocks', 1) + 2);
    case 'songunet':
      return 2 * size + pixels * num(model, 'modelChannels', 1) * (2 * num(model, 'numBlocks', 1) + 2);
    case 'dit': {
      const p = num(model, 'patchSize', 1);
      const tokens = Math.ceil((sampleShape[0] ?? 1) / p) * Math.ceil((sampleShape[1] ?? 1) / p);
      return 2 * size + tokens * num(model, 'hidden', 1) * num(model, 'depth', 1) * (2 + num(model, 'mlpRatio', 0));
    }
    default:
      return 2 * size;
  }
}

/**
 * A lower bound, in bytes, on the memory of one training step of `phase`: the batch's activations kept for the
 * backward pass (twice for distillation's student and teacher passes and for the one-step methods' generated and
 * data batches), plus the one-step methods' batch × batch kernel matrix.
 *
 * @example
 * ```ts
 * estimateStepBytes(loadRunConfig({ model: { hidden: [64, 64] }, teacher: { batchSize: 5e6 } }), 'teacher', [2]); // 1.18e10
 * ```
 */
export function estimateStepBytes(config: Pick<RunConfig, 'model' | EstimatedPhase>, phase: EstimatedPhase, sampleShape: readonly number[]): number {
  const batch = config[phase].batchSize;
  const passes = phase === 'teacher' ? 1 : 2;
  const activations = batch * activationFloatsPerSample(config, sampleShape) * BACKWARD_FACTOR * passes * BYTES;
  const pairwise = phase === 'onestep' ? batch * batch * BYTES : 0;
  return activations + pairwise;
}

/**
 * What the backend can allocate at most, or `null` when unknown: wasm32's 4 GiB address space, the machine's
 * memory for the plain-JS cpu backend; GPU backends are not estimated.
 *
 * @example
 * ```ts
 * backendMemoryLimit('wasm'); // { bytes: 4294967296, what: 'the wasm backend's 4 GiB memory' }
 * ```
 */
export function backendMemoryLimit(backend: string): { bytes: number; what: string } | null {
  if (backend === 'wasm') return { bytes: 4 * 2 ** 30, what: "the wasm backend's 4 GiB memory" };
  if (backend === 'cpu') return { bytes: totalmem(), what: `this machine's ${(totalmem() / 2 ** 30).toFixed(1)} GiB of memory` };
  return null;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/**
 * Refuses (`ConfigError` naming `<phase>.batchSize`) a batch whose step estimate exceeds the backend's limit.
 *
 * @example
 * ```ts
 * assertStepFits(ctx.config, 'teacher', ctx.dataset.sampleShape, ctx.backend);
 * ```
 */
export function assertStepFits(config: Pick<RunConfig, 'model' | EstimatedPhase>, phase: EstimatedPhase, sampleShape: readonly number[], backend: string): void {
  const limit = backendMemoryLimit(backend);
  if (!limit) return;
  const bytes = estimateStepBytes(config, phase, sampleShape);
  if (bytes <= limit.bytes) return;
  const batch = config[phase].batchSize;
  const fits = Math.max(1, Math.floor((batch * limit.bytes) / bytes));
  throw new ConfigError(
    `${phase}.batchSize: a training step of batch ${batch.toLocaleString('en-US')} needs at least ${gib(bytes)} (a lower-bound estimate), more than ${limit.what}: use a batch below ${fits.toLocaleString('en-US')}`,
    `${phase}.batchSize`,
  );
}
