/**
 * Budgets of `charlearn demo`: the full demo fits in about 3 minutes on one
 * wasm thread of the 2-core CI machine; `--quick` is a smoke run of seconds.
 */
export const DEMO_PRESET: Readonly<Record<string, unknown>> = {
  data: { target: 'swiss-roll' },
  teacher: { steps: 2000, batchSize: 512, warmupSteps: 300 },
  distill: { steps: 800, batchSize: 256, warmupSteps: 100 },
  eval: { samples: 2000, teacherNfe: [1, 2, 5, 10, 20, 100] },
  checkpointEvery: 500,
};

/** `--quick`: the same pipeline with tiny budgets (CI smoke test). */
export const QUICK_OVERRIDES: Readonly<Record<string, unknown>> = {
  'model.hidden': [64, 64],
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
