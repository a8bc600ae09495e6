// The web app's trainer settings as plain data, shared by the page (trainer.ts, main.ts) and the Node script that chose
// them (scripts/tune-defaults.mjs; docs/tuning.md).

/**
 * The page's default run: what "Train" does without URL parameters. Chosen so that on 8 Gaussians the one-step
 * generator resolves all 8 modes in about 30 s of Chromium's wasm backend (docs/tuning.md).
 */
export const WEB_DEFAULTS = Object.freeze({ teacherSteps: 600, distillSteps: 200, batchSize: 256, hidden: Object.freeze([128, 128, 128]) });

/**
 * The teacher's and the distiller's `config` for a run of `teacherSteps` + `distillSteps` at `batchSize`.
 *
 * @param {{ teacherSteps: number; distillSteps: number; batchSize: number }} s
 * @returns {{ teacher: { steps: number; batchSize: number; warmupSteps: number }; distill: import('@charlearn/distill').DistillConfigInput }}
 */
export function webRunConfigs(s) {
  return {
    teacher: { steps: s.teacherSteps, batchSize: s.batchSize, warmupSteps: Math.min(100, Math.floor(s.teacherSteps / 5)) },
    distill: { steps: s.distillSteps, batchSize: Math.min(s.batchSize, 256), warmupSteps: Math.min(50, Math.floor(s.distillSteps / 5)), gridSize: 12 },
  };
}
