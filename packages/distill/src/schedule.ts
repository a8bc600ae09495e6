/**
 * Learning rate with linear warm-up: `lr·min(1, (step + 1)/warmupSteps)`.
 *
 * @example
 * ```ts
 * learningRateAt(0, 1e-3, 500); // 2e-6
 * ```
 */
export function learningRateAt(step: number, lr: number, warmupSteps: number): number {
  return warmupSteps > 0 ? lr * Math.min(1, (step + 1) / warmupSteps) : lr;
}

/**
 * EMA decay used by the public code: `min(ema, (1 + step)/(10 + step))`, so
 * early averages forget their random start quickly.
 *
 * @example
 * ```ts
 * emaDecayAt(0, 0.999); // 0.1
 * ```
 */
export function emaDecayAt(step: number, ema: number): number {
  return Math.min(ema, (1 + step) / (10 + step));
}
