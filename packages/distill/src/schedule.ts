/** What the learning rate does after its warm-up: stay at its peak, or fall to 0 along a half cosine by the last step. */
export type LearningRateDecay = 'constant' | 'cosine';

/**
 * Learning rate with linear warm-up, `lr·min(1, (step + 1)/warmupSteps)`, then (with `decay.kind` `'cosine'`) the
 * half cosine `lr·(1 + cos(π·p))/2` with `p = (step − warmupSteps)/(decay.steps − warmupSteps)` clipped to [0, 1], so
 * the last of `decay.steps` steps trains at nearly 0. Without `decay` (or `'constant'`) the peak stays.
 *
 * @example
 * ```ts
 * learningRateAt(0, 1e-3, 500); // 2e-6
 * learningRateAt(550, 1e-3, 100, { kind: 'cosine', steps: 1000 }); // 5e-4 (half-way through the decay)
 * ```
 */
export function learningRateAt(step: number, lr: number, warmupSteps: number, decay?: { kind: LearningRateDecay; steps: number }): number {
  if (warmupSteps > 0 && step < warmupSteps) return lr * Math.min(1, (step + 1) / warmupSteps);
  if (!decay || decay.kind === 'constant') return lr;
  const p = Math.min(1, Math.max(0, (step - warmupSteps) / Math.max(1, decay.steps - warmupSteps)));
  return lr * 0.5 * (1 + Math.cos(Math.PI * p));
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
