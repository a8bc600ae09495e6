import { describe, expect, it } from 'vitest';
import { onceByContent } from './evaluate';

describe('onceByContent: one W2 per distinct point set', () => {
  it('computes once for byte-identical sets (another array, another offset), again for any changed value', () => {
    const calls: Float32Array[] = [];
    const w2 = onceByContent((pts) => (calls.push(pts), pts.reduce((a, b) => a + b, 0)));
    const a = Float32Array.from([1, 2, 3, 4]);
    expect(w2(a)).toBe(10);
    expect(w2(Float32Array.from(a))).toBe(10);
    const shared = new Float32Array([9, 1, 2, 3, 4]);
    expect(w2(shared.subarray(1))).toBe(10);
    expect(calls).toHaveLength(1);
    // one changed value, or the same values but one fewer: computed
    expect(w2(Float32Array.from([1, 2, 3, 5]))).toBe(11);
    expect(w2(Float32Array.from([1, 2, 3]))).toBe(6);
    expect(calls).toHaveLength(3);
    // -0 and 0 differ in their bytes: computed (never a wrong reuse, at worst one W2 more)
    w2(Float32Array.from([-0, 2, 3, 4]));
    w2(Float32Array.from([0, 2, 3, 4]));
    expect(calls).toHaveLength(5);
  });

  it('keeps its own copy: a caller writing into an array after the call does not change a later answer', () => {
    const w2 = onceByContent((pts) => pts[0]!);
    const a = Float32Array.from([1, 2]);
    expect(w2(a)).toBe(1);
    a[0] = 7;
    expect(w2(a)).toBe(7);
    expect(w2(Float32Array.from([1, 2]))).toBe(1);
  });
});
