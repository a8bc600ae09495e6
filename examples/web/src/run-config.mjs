// The web app's trainer settings as plain data, shared by the page (trainer.ts, main.ts) and the Node scripts that chose
// them (scripts/tune-defaults.mjs, scripts/step-costs.mjs; docs/tuning.md).

/**
 * The page's default run: what "Train" does without URL parameters (the search and where it stands against the goal,
 * all 8 Gaussians resolved by the one-step generator within 30 s of Chromium's wasm backend: docs/tuning.md).
 * A 64x64x64 MLP at batch 1,024 (kernel dispatch, not arithmetic, is most of a step, so the big batch costs little);
 * 500 teacher steps put 92% of the teacher's samples within 3 std of a centre, and 600 distillation steps put 86.5%
 * of the one-step samples there (every mode >= 8.9%), in about the time the old 300 took.
 */
export const WEB_DEFAULTS = Object.freeze({ teacherSteps: 500, distillSteps: 600, batchSize: 1024, hidden: Object.freeze([64, 64, 64]) });

/**
 * The teacher's and the distiller's `config` for a run of `teacherSteps` + `distillSteps` at `batchSize` (the
 * teacher's batch; the distiller's is at most 512).
 *
 * @param {{ teacherSteps: number; distillSteps: number; batchSize: number }} s
 * @returns {{ teacher: { steps: number; batchSize: number; lr: number; lrDecay: 'cosine'; warmupSteps: number }; distill: import('@charlearn/distill').DistillConfigInput }}
 */
export function webRunConfigs(s) {
  return {
    // lr 2e-2 decayed to 0 by a half cosine, at batch 1,024: the teacher's heun@19 samples put 92% of points within
    // 3 std of a centre after 500 steps (every mode >= 9.5%), where a constant lr 1e-2 gave 84% (and 1,500 steps
    // 95%): the modes come out too wide without the decay (docs/tuning.md)
    teacher: { steps: s.teacherSteps, batchSize: s.batchSize, lr: 2e-2, lrDecay: 'cosine', warmupSteps: Math.min(100, Math.floor(s.teacherSteps / 5)) },
    // The one-step generator only ever evaluates the whole jump grid[0] -> 1, so every batch is that jump
    // (fullJumpShare 1: a regression of the teacher's Heun solves over the 12-point grid), at lr 0.1 with a cosine
    // decay, batch 512, no semi-group term; and the rollout cache is refreshed in one batched solve every 16 steps
    // (2,048 trajectories, a quarter of them at a time), which halves a distillation step's cost. 86.5% of the
    // one-step samples within 3 std of a centre after 600 steps, where the old config (P(n) ∝ n pairs, lr 1e-2
    // constant, the cache refreshed every step) levelled off at ~75% by 1,000 steps (docs/tuning.md)
    distill: {
      steps: s.distillSteps,
      batchSize: Math.min(s.batchSize, 512),
      lr: 0.1,
      lrDecay: 'cosine',
      warmupSteps: Math.min(50, Math.floor(s.distillSteps / 5)),
      gridSize: 12,
      teacherSolver: 'heun',
      pairSource: 'rollout-cache',
      fullJumpShare: 1,
      rolloutCache: { trajectories: 2048, lifetime: 4, refreshEvery: 16 },
      losses: { semigroup: 0 },
    },
  };
}
