import { isImageDataName } from '@charlearn/data';

/**
 * Budgets of `charlearn demo`: the full demo fits in well under 2 minutes on the 2-core CI machine (41-44 s on
 * 2026-12-03); `--quick` is a smoke run of seconds. The teacher trains on 2 gradient replicas (`replicas: 2`: this
 * thread and a worker thread, a shard of 256 rows each; ~1.3x a step at batch 512, and the same numbers on any machine,
 * where `'auto'` would follow its core count). The teacher: 1,500 steps at batch 512, lr 6e-3 after a 200-step warm-up,
 * decayed along a half cosine (seed 0: best W2 0.1070, heun@39; the 2,000 constant-lr-1e-3 steps before gave 0.1138).
 * Distillation (1,800 steps, batch 256): half the batches are the whole-grid jump t = 1e-3 -> 1 that one-step sampling
 * uses (`fullJumpShare: 0.5`; the rest keep the few-step jumps; no semi-group term), regressed onto the rollout cache
 * of Heun solves over a 12-point grid (2,048 trajectories, a quarter of them re-solved in one batched call every 16
 * steps), at lr 1e-2 decayed along a half cosine. One-step W2 / the teacher's best: 1.06 / 1.00 / 1.09 / 1.07 / 1.02 at
 * seeds 0-4 (2026-12-03, with the replicas; on one thread 1.08 / 1.08 / 1.10 / 1.08 / 1.08, and 1.09 / 1.06 / 1.10 /
 * 1.05 / 1.09 before the sigmoid's rounding changed; docs/tuning.md). The evaluation compares the teacher at 10, 20 and 40 NFE budgets of
 * each solver (heun@9/19/39: its best lies there).
 */
export const DEMO_PRESET: Readonly<Record<string, unknown>> = {
  data: { target: 'swiss-roll' },
  replicas: 2,
  teacher: { steps: 1500, batchSize: 512, lr: 6e-3, lrDecay: 'cosine', warmupSteps: 200 },
  distill: {
    steps: 1800,
    batchSize: 256,
    lr: 1e-2,
    lrDecay: 'cosine',
    warmupSteps: 100,
    pairSource: 'rollout-cache',
    teacherSolver: 'heun',
    gridSize: 12,
    fullJumpShare: 0.5,
    rolloutCache: { trajectories: 2048, lifetime: 4, refreshEvery: 16 },
    losses: { semigroup: 0 },
  },
  eval: { samples: 2000, teacherNfe: [10, 20, 40], fewSteps: [1, 2, 4] },
  checkpointEvery: 500,
};

/** `--quick`: the same pipeline with tiny budgets (CI smoke test). */
export const QUICK_OVERRIDES: Readonly<Record<string, unknown>> = {
  'teacher.steps': 60,
  'teacher.batchSize': 128,
  'teacher.warmupSteps': 10,
  'distill.steps': 20,
  'distill.batchSize': 64,
  'distill.warmupSteps': 5,
  'distill.gridSize': 8,
  'onestep.steps': 40,
  'onestep.batchSize': 128,
  'onestep.warmupSteps': 5,
  'eval.samples': 256,
  'eval.teacherNfe': [1, 5, 20],
  'eval.fewSteps': [1, 2],
  checkpointEvery: 0,
  logEvery: 10,
};

/**
 * `--preset mnist`: the documented MNIST run (docs/images.md) in one config: a U-Net teacher (16 channels,
 * multipliers [1, 2, 2], attention at 7x7; 250k parameters), 1,000 teacher steps at batch 64, 120 distillation
 * steps at batch 32 on a Karras grid of 8 times, evaluated by FD(charlearn-mnist-cnn) on 1,000 images. 31.5 min
 * on one wasm thread (train 23.2, distill 5.4, eval 2.9; docs/images.md).
 */
export const MNIST_PRESET: Readonly<Record<string, unknown>> = {
  data: { target: 'mnist' },
  model: { kind: 'unet', channels: 16, channelMult: [1, 2, 2], numResBlocks: 1, attentionResolutions: [7], heads: 1, dropout: 0 },
  teacher: { steps: 1000, batchSize: 64, lr: 1e-3, warmupSteps: 200, ema: 0.999 },
  distill: { steps: 120, batchSize: 32, lr: 3e-4, warmupSteps: 20, ema: 0.99, gridSize: 8, losses: { fit: 1, semigroup: 0.1, ctm: 0, dsm: 0 } },
  onestep: { steps: 200, batchSize: 64, lr: 1e-3, warmupSteps: 20, ema: 0.99 },
  eval: { samples: 1000, teacherSolvers: ['exp-integrator'], teacherNfe: [1, 5, 20], fewSteps: [1, 2, 4] },
  checkpointEvery: 100,
  logEvery: 25,
};

/** `--preset fashion-mnist`: {@link MNIST_PRESET} on Fashion-MNIST (IDX files in `data.dir`, default /usr/share/datasets/fashion-mnist). */
export const FASHION_MNIST_PRESET: Readonly<Record<string, unknown>> = { ...MNIST_PRESET, data: { target: 'fashion-mnist' } };

/** `--preset mnist-dit`: {@link MNIST_PRESET} with a DiT (patch 4, width 96, depth 4, 4 heads) and 300 teacher steps at batch 32. */
export const MNIST_DIT_PRESET: Readonly<Record<string, unknown>> = {
  ...MNIST_PRESET,
  model: { kind: 'dit', patchSize: 4, hidden: 96, depth: 4, heads: 4, mlpRatio: 4 },
  teacher: { steps: 300, batchSize: 32, lr: 1e-3, warmupSteps: 50, ema: 0.99 },
  distill: { ...(MNIST_PRESET.distill as Record<string, unknown>), steps: 60, batchSize: 16 },
};

/** The named base configs of `--preset <name>`. */
export const CONFIG_PRESETS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  demo: DEMO_PRESET,
  mnist: MNIST_PRESET,
  'fashion-mnist': FASHION_MNIST_PRESET,
  'mnist-dit': MNIST_DIT_PRESET,
};

/**
 * `--quick` on image data, on top of {@link QUICK_OVERRIDES}: 256 training images, a few steps of each phase, and FD on 48 images (a smoke run of
 * seconds).
 */
export const QUICK_IMAGE_OVERRIDES: Readonly<Record<string, unknown>> = {
  'data.limit': 256,
  'teacher.steps': 12,
  'teacher.batchSize': 8,
  'teacher.warmupSteps': 2,
  'distill.steps': 3,
  'distill.batchSize': 4,
  'distill.warmupSteps': 1,
  'distill.gridSize': 4,
  'onestep.steps': 4,
  'onestep.batchSize': 8,
  'onestep.warmupSteps': 1,
  'eval.samples': 48,
  'eval.teacherSolvers': ['exp-integrator'],
  'eval.teacherNfe': [1, 2],
  'eval.fewSteps': [1, 2],
  checkpointEvery: 0,
  logEvery: 2,
};

/** `--quick`'s smaller network per built-in kind: a narrower MLP, a U-Net of 8 channels (the preset's levels and attention), a small DiT. */
export const QUICK_MODEL_OVERRIDES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  mlp: { 'model.hidden': [64, 64] },
  unet: { 'model.channels': 8 },
  dit: { 'model.patchSize': 7, 'model.hidden': 16, 'model.depth': 1, 'model.heads': 2, 'model.timeEmbeddingDim': 16 },
};

/**
 * The dotted overrides of `--quick` for a run: the budgets, the image budgets for image data, and the smaller network
 * of its kind (none for a plugin kind).
 *
 * @example
 * ```ts
 * quickOverrides({ data: { target: 'mnist', file: null }, model: { kind: 'unet' } })['model.channels']; // 8
 * ```
 */
export function quickOverrides(config: { readonly data: { readonly target: string; readonly file: string | null }; readonly model: { readonly kind: string } }): Record<string, unknown> {
  const images = config.data.file === null && isImageDataName(config.data.target);
  return { ...QUICK_OVERRIDES, ...(images ? QUICK_IMAGE_OVERRIDES : {}), ...(QUICK_MODEL_OVERRIDES[config.model.kind] ?? {}) };
}
