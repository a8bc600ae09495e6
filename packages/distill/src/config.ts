/**
 * The settings of distill's trainers as config schemas (the one place their defaults live): the teacher trainer,
 * the characteristic distiller and the one-step trainer. The constructors parse their `config` with these, so an
 * unknown key names the closest valid one and a wrong type names the key, with the same text `charlearn` prints for
 * the same key of a run config (`teacher.lr`, `distill.losses.dsm`, `onestep.steps`).
 */
import * as v from 'valibot';
import { configSection, integerSchema, numberSchema, parseConfig, setting, type SolverPlugin } from '@charlearn/core';

/** The shared settings of every trainer, with one phase's defaults. */
function trainingEntries(d: { steps: number; batchSize: number; warmupSteps: number; minBatch?: number }, emaDoc = 'EMA decay of the weights') {
  return {
    steps: setting(integerSchema({ min: 1 }), d.steps, 'training steps'),
    batchSize: setting(integerSchema({ min: d.minBatch ?? 1 }), d.batchSize, d.minBatch ? 'batch (data and generated points per update)' : 'batch size'),
    lr: setting(numberSchema({ gt: 0 }), 1e-3, 'peak learning rate (Adam)'),
    warmupSteps: setting(integerSchema({ min: 0 }), d.warmupSteps, 'linear learning-rate warm-up steps'),
    lrDecay: setting(v.picklist(['constant', 'cosine']), 'constant', "after the warm-up: 'constant' (the peak lr) or 'cosine' (a half cosine to 0 by the last of steps)"),
    gradClip: setting(numberSchema({ gt: 0 }), 1, 'global gradient-norm clip'),
    ema: setting(numberSchema({ min: 0, lt: 1 }), 0.999, emaDoc),
  };
}

const eps = (d: number, end: string) => setting(numberSchema({ min: 0, lt: 0.5 }), d, `time-interval cut at t=${end}`);

/**
 * `teacher`: {@link TeacherTrainer}'s settings (EDM denoiser matching). Defaults: the public code's MNIST teacher;
 * training times are drawn from `U[eps0, 1 − eps1]`.
 *
 * @example
 * ```ts
 * parseConfig(teacherConfigSchema, { steps: 100 }, 'teacher').batchSize; // 512
 * ```
 */
export const teacherConfigSchema = configSection({
  ...trainingEntries({ steps: 4000, batchSize: 512, warmupSteps: 500 }),
  eps0: eps(1e-5, '0'),
  eps1: eps(1e-5, '1'),
});

const isSolverPlugin = (x: unknown): x is SolverPlugin =>
  typeof x === 'object' && x !== null && typeof (x as { name?: unknown }).name === 'string' && typeof (x as { step?: unknown }).step === 'function';

/**
 * `distill.losses`: the loss weights. `fit`: the characteristic fitting loss `‖g(t, u, x_t) − sg[Φ_{t→u}(x_t)]‖²`;
 * `semigroup`: the semi-group penalty; `ctm`: the public code's composed consistency loss through the EMA target;
 * `dsm`: the diagonal denoiser loss on `D_θ(x_t, t, t)`, a weight ≥ 0 or `'adaptive'` (VQGAN-style balance).
 */
export const distillLossesSchema = configSection({
  fit: setting(numberSchema({ min: 0 }), 1, 'weight of the teacher-fit loss'),
  semigroup: setting(numberSchema({ min: 0 }), 0.1, 'weight of the semigroup loss'),
  ctm: setting(numberSchema({ min: 0 }), 0, 'weight of the CTM loss'),
  dsm: setting(v.union([v.literal('adaptive'), numberSchema({ min: 0 })]), 0, "weight of the DSM loss, or 'adaptive'"),
});

/**
 * `distill.rolloutCache`: the teacher-trajectory cache of `pairSource: 'rollout-cache'` (a ring of `lifetime` chunks:
 * every `refreshEvery` steps replaces `trajectories / lifetime` of them). Defaults set by measurement (docs/profile-steps.md).
 */
export const distillRolloutCacheSchema = configSection({
  trajectories: setting(integerSchema({ min: 1 }), 1024, 'cached teacher trajectories (each one solve over the grid)'),
  lifetime: setting(integerSchema({ min: 1 }), 16, 'refreshes a cached trajectory serves (at most trajectories)'),
  refreshEvery: setting(integerSchema({ min: 1 }), 1, 'steps between refreshes (each replaces trajectories / lifetime)'),
  seed: setting(v.nullable(integerSchema({ min: 0, max: 0xffffffff })), null, "seed of the cached trajectories' start points; null: the distiller's seed"),
});

/**
 * `distill`: {@link CharacteristicDistiller}'s settings. Defaults: the public code's MNIST distillation with the
 * paper's losses (fit + semi-group), except the grid (Karras ρ = 3 instead of uniform; pairs are only as good as the
 * teacher's solves on it, docs/bench-2d.md), the pair solver (`exp-integrator-edm`) and the DSM term (off).
 * `gridSize` points run from `eps0` to `1 − eps1`; t = 1 is appended (the teacher reaches it with its final denoise).
 *
 * @example
 * ```ts
 * parseConfig(distillConfigSchema, { losses: { dsm: 'adaptive' } }, 'distill').losses; // { fit: 1, semigroup: 0.1, ctm: 0, dsm: 'adaptive' }
 * ```
 */
export const distillConfigSchema = configSection({
  ...trainingEntries({ steps: 2000, batchSize: 256, warmupSteps: 200 }),
  gridSize: setting(integerSchema({ min: 2 }), 20, 'time-grid points for teacher targets (t = 1 is appended)'),
  gridSpacing: setting(v.picklist(['karras', 'uniform']), 'karras', "grid spacing: 'karras' (rho on 1 - t) or 'uniform' (public code)"),
  rho: setting(numberSchema({ gt: 0 }), 3, 'rho of the Karras grid'),
  eps0: eps(1e-3, '0'),
  eps1: eps(1e-3, '1'),
  teacherSolver: setting(
    v.union([v.pipe(v.string(), v.minLength(1)), v.custom<SolverPlugin>(isSolverPlugin, 'expected a solver name or a solver plugin object')]),
    'exp-integrator-edm',
    'solver producing teacher targets (registry name)',
  ),
  pairGroups: setting(integerSchema({ min: 1 }), 4, 'time-pair groups per batch'),
  fullJumpShare: setting(
    numberSchema({ min: 0, max: 1 }),
    0,
    'share of batches that are the whole-grid jump grid[0] -> 1 (what one-step sampling uses); the rest P(n) ∝ n',
  ),
  losses: distillLossesSchema,
  semigroupStopGrad: setting(v.boolean(), false, 'stop the gradient through the right-hand side g(t, u, x) of the semi-group penalty'),
  pairSource: setting(
    v.picklist(['on-the-fly', 'rollout-cache']),
    'on-the-fly',
    "where pairs come from: 'on-the-fly' (fresh teacher solves every step) or 'rollout-cache' (cached teacher trajectories)",
  ),
  rolloutCache: distillRolloutCacheSchema,
});

/**
 * `onestep`: {@link OneStepTrainer}'s settings (the teacher-free methods). The default batch is 1,024: drifting and
 * W-Flow estimate their field from the batch itself (kernel sums, transport plans), so a small batch is a noisy field.
 *
 * @example
 * ```ts
 * parseConfig(oneStepConfigSchema, {}, 'onestep').batchSize; // 1024
 * ```
 */
export const oneStepConfigSchema = configSection(
  trainingEntries({ steps: 2000, batchSize: 1024, warmupSteps: 100, minBatch: 2 }, 'EMA decay of the weights (the sampler uses the EMA)'),
);

/** Settings every trainer shares (`steps`, `batchSize`, `lr`, `warmupSteps`, `gradClip`, `ema`). */
export type TrainingConfig = v.InferOutput<typeof oneStepConfigSchema>;
/** {@link teacherConfigSchema}'s settings. */
export type TeacherConfig = v.InferOutput<typeof teacherConfigSchema>;
/** {@link distillConfigSchema}'s settings. */
export type DistillConfig = v.InferOutput<typeof distillConfigSchema>;
/** {@link distillLossesSchema}'s weights. */
export type DistillLosses = v.InferOutput<typeof distillLossesSchema>;
/** What a `config` option may hold: any subset of the settings (nested sections too). */
export type TeacherConfigInput = v.InferInput<typeof teacherConfigSchema>;
/** What `CharacteristicDistiller`'s `config` option may hold. */
export type DistillConfigInput = v.InferInput<typeof distillConfigSchema>;
/** What `OneStepTrainer`'s `config` option may hold. */
export type TrainingConfigInput = v.InferInput<typeof oneStepConfigSchema>;

/** Defaults of {@link teacherConfigSchema}. */
export const DEFAULT_TEACHER_CONFIG: Readonly<TeacherConfig> = Object.freeze(parseConfig(teacherConfigSchema, {}, 'teacher'));
/** Defaults of {@link distillConfigSchema}. */
export const DEFAULT_DISTILL_CONFIG: Readonly<DistillConfig> = Object.freeze(parseConfig(distillConfigSchema, {}, 'distill'));
/** Defaults of {@link oneStepConfigSchema}. */
export const DEFAULT_ONE_STEP_CONFIG: Readonly<TrainingConfig> = Object.freeze(parseConfig(oneStepConfigSchema, {}, 'onestep'));
