// The web app's trainer settings as plain data, shared by the page (trainer.ts, main.ts) and the Node scripts that chose
// them (scripts/tune-defaults.mjs, scripts/step-costs.mjs; docs/tuning.md).

/**
 * The page's default run: what "Train" does without URL parameters (the search and where it stands against the goal,
 * all 8 Gaussians resolved by the one-step generator within 30 s of Chromium's wasm backend: docs/tuning.md).
 * A 64x64x64 MLP at batch 1,024: per unit of time the teacher learns as fast as the old 128-wide one at batch 256
 * (85% of its samples near a centre after 500 steps), and its distillation steps are cheaper.
 */
export const WEB_DEFAULTS = Object.freeze({ teacherSteps: 500, distillSteps: 400, batchSize: 1024, hidden: Object.freeze([64, 64, 64]) });

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
    // pairs from the rollout cache of Heun solves over the 12-point grid; lr 1e-2 and no semi-group term: in a
    // 300-step run each of them took the one-step samples from 42% near a centre to 60% (lr 1e-3 and the
    // semi-group term: 35%), and without the semi-group term a step evaluates the student once instead of three times
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
