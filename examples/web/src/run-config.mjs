// The web app's trainer settings as plain data, shared by the page (trainer.ts, main.ts) and the Node scripts that chose
// them (scripts/tune-defaults.mjs, scripts/step-costs.mjs; docs/tuning.md).

/**
 * The page's default run: what "Train" does without URL parameters (the search and where it stands against the goal,
 * all 8 Gaussians resolved by the one-step generator within 30 s of Chromium's wasm backend: docs/tuning.md).
 * A 64x64x64 MLP at batch 1,024: its teacher step costs 1.05-1.6x the old 128x128x128 one at batch 256 (kernel
 * dispatch, not arithmetic, is most of a step) and reaches in 500 steps (84% of its samples within 3 std of a centre)
 * what the old one did in 1,500; the 64-wide student's distillation steps are cheaper too.
 */
export const WEB_DEFAULTS = Object.freeze({ teacherSteps: 500, distillSteps: 300, batchSize: 1024, hidden: Object.freeze([64, 64, 64]) });

/**
 * The teacher's and the distiller's `config` for a run of `teacherSteps` + `distillSteps` at `batchSize` (the
 * teacher's batch; the distiller's is at most 512).
 *
 * @param {{ teacherSteps: number; distillSteps: number; batchSize: number }} s
 * @returns {{ teacher: { steps: number; batchSize: number; lr: number; warmupSteps: number }; distill: import('@charlearn/distill').DistillConfigInput }}
 */
export function webRunConfigs(s) {
  return {
    // lr 1e-2 at batch 1,024: the teacher's heun@19 samples put 84% of points within 3 std of a centre after 500
    // steps (88% after 600), where lr 3e-3 at batch 256 needed 1,500 steps for 85% (docs/tuning.md)
    teacher: { steps: s.teacherSteps, batchSize: s.batchSize, lr: 1e-2, warmupSteps: Math.min(100, Math.floor(s.teacherSteps / 5)) },
    // pairs from the rollout cache of Heun solves over the 12-point grid; lr 1e-2, batch 512, no semi-group term:
    // 68% of the one-step samples within 3 std of a centre after 300 steps from the same teacher, against 35% with
    // the library's lr 1e-3, batch 256 and semi-group 0.1; and without the semi-group term a step evaluates the
    // student once instead of three times (0.40x the old distillation step's cost)
    distill: {
      steps: s.distillSteps,
      batchSize: Math.min(s.batchSize, 512),
      lr: 1e-2,
      warmupSteps: Math.min(50, Math.floor(s.distillSteps / 5)),
      gridSize: 12,
      teacherSolver: 'heun',
      pairSource: 'rollout-cache',
      losses: { semigroup: 0 },
    },
  };
}
