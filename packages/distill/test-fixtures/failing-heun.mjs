// A solver plugin for src/rollout-solver.test.ts, imported by the rollout worker only (through startRolloutWorker's
// `modules`): 'fixture/heun' is Heun on the warm-up's two rows and throws on a chunk, so the test sees a worker whose
// solve fails while the training thread's 'fixture/heun' (plain Heun) keeps going.
import '@charlearn/solvers';
import { solvers } from '@charlearn/core';

const heun = solvers.get('heun');
solvers.register({
  ...heun,
  name: 'fixture/heun',
  step(x, ...rest) {
    if (x.shape[0] > 2) throw new Error('fixture/heun fails on the worker');
    return heun.step(x, ...rest);
  },
});
