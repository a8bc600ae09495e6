import { assertNumber, ValueRangeError } from '@charlearn/core';

/** Settings every trainer shares. */
export interface TrainingConfig {
  /** Optimiser steps (integer ≥ 1). */
  steps: number;
  /** Batch size (integer ≥ 1). */
  batchSize: number;
  /** Adam learning rate (> 0). */
  lr: number;
  /** Linear warm-up steps (integer ≥ 0). */
  warmupSteps: number;
  /** Clip gradients to this global norm (> 0). */
  gradClip: number;
  /** EMA rate in [0, 1). */
  ema: number;
}

/** Validates the shared fields (and `eps0`/`eps1` when present), naming `section.key` in errors. */
export function validateTrainingConfig<T extends TrainingConfig>(config: T, section: string): T {
  if (typeof config !== 'object' || config === null) throw new ValueRangeError(`${section} config must be an object`, section);
  assertNumber(`${section}.steps`, config.steps, { integer: true, min: 1 });
  assertNumber(`${section}.batchSize`, config.batchSize, { integer: true, min: 1 });
  assertNumber(`${section}.lr`, config.lr, { greaterThan: 0 });
  assertNumber(`${section}.warmupSteps`, config.warmupSteps, { integer: true, min: 0 });
  assertNumber(`${section}.gradClip`, config.gradClip, { greaterThan: 0 });
  assertNumber(`${section}.ema`, config.ema, { min: 0, lessThan: 1 });
  const c = config as unknown as Record<string, unknown>;
  for (const k of ['eps0', 'eps1']) if (k in c) assertNumber(`${section}.${k}`, c[k], { min: 0, lessThan: 0.5 });
  return config;
}
