import { describe, expect, it } from 'vitest';
import { learningRateAt } from './schedule';

describe('learningRateAt', () => {
  const cosine = { kind: 'cosine' as const, steps: 1100 };

  it('warms up linearly whatever the decay', () => {
    expect(learningRateAt(0, 1e-3, 100, cosine)).toBeCloseTo(1e-5, 15);
    expect(learningRateAt(49, 1e-3, 100, cosine)).toBeCloseTo(5e-4, 15);
  });

  it('cosine: the peak right after the warm-up, half of it half-way, 0 at the last step, the half cosine between', () => {
    expect(learningRateAt(100, 1e-3, 100, cosine)).toBeCloseTo(1e-3, 15);
    expect(learningRateAt(600, 1e-3, 100, cosine)).toBeCloseTo(5e-4, 15);
    expect(learningRateAt(1100, 1e-3, 100, cosine)).toBeCloseTo(0, 15);
    expect(learningRateAt(2000, 1e-3, 100, cosine)).toBeCloseTo(0, 15);
    // a quarter of the way: (1 + cos(π/4))/2
    expect(learningRateAt(350, 1e-3, 100, cosine)).toBeCloseTo((1e-3 * (1 + Math.SQRT1_2)) / 2, 15);
    // strictly decreasing after the warm-up
    const after = Array.from({ length: 1000 }, (_, k) => learningRateAt(100 + k, 1e-3, 100, cosine));
    expect(after.every((lr, k) => k === 0 || lr < after[k - 1]!)).toBe(true);
  });

  it("'constant' and no decay keep the peak", () => {
    expect(learningRateAt(1000, 1e-3, 100, { kind: 'constant', steps: 1100 })).toBe(1e-3);
    expect(learningRateAt(1000, 1e-3, 100)).toBe(1e-3);
    expect(learningRateAt(0, 1e-3, 0, cosine)).toBe(1e-3);
  });
});
