// The web app's trainer settings as plain data, shared by the page (trainer.ts, main.ts) and the Node script that chose
// them (scripts/tune-defaults.mjs; docs/tuning.md).

/**
 * The page's default run: what "Train" does without URL parameters (the search and where it stands against the goal,
 * all 8 Gaussians resolved by the one-step generator within 30 s of Chromium's wasm backend: docs/tuning.md).
 */
export const WEB_DEFAULTS = Object.freeze({ teacherSteps: 1500, distillSteps: 300, batchSize: 256, hidden: Object.freeze([128, 128, 128]) });

/**
 * The teacher's and the distiller's `config` for a run of `teacherSteps` + `distillSteps` at `batchSize`.
 *
 * @param {{ teacherSteps: number; distillSteps: number; batchSize: number }} s
 * @returns {{ teacher: { steps: number; batchSize: number; lr: number; warmupSteps: number }; distill: import('@charlearn/distill').DistillConfigInput }}
 */
export function webRunConfigs(s) {
  return {
    // lr 3e-3: on 8 Gaussians the teacher's heun@19 samples put 85% of points within 3 std of a centre after 1,500
    // steps, against 63% at the library's 1e-3 (docs/tuning.md)
    teacher: { steps: s.teacherSteps, batchSize: s.batchSize, lr: 3e-3, warmupSteps: Math.min(100, Math.floor(s.teacherSteps / 5)) },
    // pairs from the rollout cache of Heun solves over the 12-point grid (docs/tuning.md)
    distill: {
      steps: s.distillSteps,
      batchSize: Math.min(s.batchSize, 256),
      warmupSteps: Math.min(50, Math.floor(s.distillSteps / 5)),
      gridSize: 12,
      teacherSolver: 'heun',
      pairSource: 'rollout-cache',
    },
  };
}
