import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@charlearn/solver-rk4';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ESM helper shared with the bench, no types
import { measureAccuracy } from './lib/solver-accuracy.mjs';

interface Row {
  solver: string;
  order: number;
  fittedOrder: number;
  points: { steps: number; error: number }[];
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('solver convergence orders on the exact 8-Gaussians velocity (follmer, t: 0 → 0.999, Karras grid)', () => {
  let rows: Row[];
  beforeAll(() => {
    const common = { batch: 48, refSteps: 2000 };
    rows = [
      ...(measureAccuracy({ ...common, solverNames: ['euler', 'heun', 'exp-integrator', 'exp-integrator-edm'], stepCounts: [25, 50, 100, 200] }) as Row[]),
      // RK4 reaches float32 round-off (~1e-7) by N = 50 here: measure it on coarser grids.
      ...(measureAccuracy({ ...common, solverNames: ['rk4/classic'], stepCounts: [6, 8, 12, 16, 24], floor: 2e-6 }) as Row[]),
    ];
  }, 120_000);

  it.each([
    ['euler', 0.9, 1.15],
    ['heun', 1.85, 2.2],
    ['exp-integrator', 0.9, 1.15],
    ['exp-integrator-edm', 0.9, 1.15],
    ['rk4/classic', 3.5, 4.6],
  ])('%s has order in [%d, %d]', (name, lo, hi) => {
    const row = rows.find((r) => r.solver === name)!;
    expect(row.fittedOrder, JSON.stringify(row.points)).toBeGreaterThan(lo);
    expect(row.fittedOrder, JSON.stringify(row.points)).toBeLessThan(hi);
  });

  it('every solver converges to the exact characteristic', () => {
    for (const r of rows) expect(r.points[r.points.length - 1]!.error, r.solver).toBeLessThan(1e-2);
  });
});
