import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKERBOARD_CELLS, getTarget, inFilledCell, meanStd } from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const N = 20_000;

describe('8 Gaussians', () => {
  it('points cluster at the 8 angles 2πk/8 on the radius-2 ring, equally often', () => {
    const raw = getTarget('8gaussians').sampleRaw(N, new Rng(1));
    const counts = new Array<number>(8).fill(0);
    const residual: number[] = [];
    for (let i = 0; i < N; i++) {
      const x = raw[2 * i]!;
      const y = raw[2 * i + 1]!;
      const k = ((Math.round(Math.atan2(y, x) / (Math.PI / 4)) % 8) + 8) % 8;
      counts[k]!++;
      const dx = x - 2 * Math.cos((k * Math.PI) / 4);
      const dy = y - 2 * Math.sin((k * Math.PI) / 4);
      expect(Math.hypot(dx, dy)).toBeLessThan(0.6); // 6σ
      residual.push(dx, dy);
    }
    for (const c of counts) expect(Math.abs(c - N / 8)).toBeLessThan(5 * Math.sqrt((N * 7) / 64));
    const { mean, std } = meanStd(residual, 2);
    for (let j = 0; j < 2; j++) {
      expect(Math.abs(mean[j]!)).toBeLessThan(0.005);
      expect(Math.abs(std[j]! - 0.1)).toBeLessThan(0.005);
    }
  });
});

describe('checkerboard', () => {
  it('inFilledCell agrees with the (i + j) even rule on a grid of cell centres', () => {
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) expect(inFilledCell(i - 1.5, j - 1.5)).toBe((i + j) % 2 === 0);
    }
    expect(inFilledCell(2.5, -1.5)).toBe(false);
    expect(CHECKERBOARD_CELLS).toHaveLength(8);
  });

  it('every raw point lies in a filled cell, and every filled cell gets ≈ 1/8 of the points', () => {
    const raw = getTarget('checkerboard').sampleRaw(N, new Rng(2));
    const counts = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      const x = raw[2 * i]!;
      const y = raw[2 * i + 1]!;
      expect(inFilledCell(x, y)).toBe(true);
      const key = `${Math.floor(x + 2)},${Math.floor(y + 2)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(CHECKERBOARD_CELLS.map(([i, j]) => `${i},${j}`).sort());
    for (const c of counts.values()) expect(Math.abs(c - N / 8)).toBeLessThan(5 * Math.sqrt((N * 7) / 64));
  });
});

describe('two moons', () => {
  /** Distance from p to the outer arc (cos θ, sin θ) and to the inner arc (1 − cos θ, 0.5 − sin θ), θ ∈ [0, π]. */
  function arcDistances(x: number, y: number): [number, number] {
    const outer = y >= 0 ? Math.abs(Math.hypot(x, y) - 1) : Math.min(Math.hypot(x - 1, y), Math.hypot(x + 1, y));
    const inner = y <= 0.5 ? Math.abs(Math.hypot(x - 1, y - 0.5) - 1) : Math.min(Math.hypot(x, y - 0.5), Math.hypot(x - 2, y - 0.5));
    return [outer, inner];
  }

  it('arcDistances is right against brute force over the arcs', () => {
    const rng = new Rng(9);
    for (let k = 0; k < 50; k++) {
      const x = -1.5 + 4 * rng.uniform();
      const y = -1 + 2.5 * rng.uniform();
      let bo = Infinity;
      let bi = Infinity;
      for (let s = 0; s <= 20000; s++) {
        const th = (Math.PI * s) / 20000;
        bo = Math.min(bo, Math.hypot(x - Math.cos(th), y - Math.sin(th)));
        bi = Math.min(bi, Math.hypot(x - 1 + Math.cos(th), y - 0.5 + Math.sin(th)));
      }
      const [o, i] = arcDistances(x, y);
      expect(o).toBeCloseTo(bo, 3);
      expect(i).toBeCloseTo(bi, 3);
    }
  });

  it('raw points lie within noise of the two arcs, about half on each', () => {
    const raw = getTarget('two-moons').sampleRaw(N, new Rng(3));
    let outer = 0;
    let sq = 0;
    for (let i = 0; i < N; i++) {
      const [o, inn] = arcDistances(raw[2 * i]!, raw[2 * i + 1]!);
      const d = Math.min(o, inn);
      expect(d).toBeLessThan(0.3); // 6σ of a 2-D N(0, 0.05²) offset
      if (o < inn) outer++;
      sq += d * d;
    }
    expect(Math.abs(outer - N / 2)).toBeLessThan(5 * Math.sqrt(N / 4) + 0.01 * N); // the arcs cross, so a few points are ambiguous
    // the distance to the arc is mostly the radial noise component: E[d²] ≈ 0.05²
    expect(Math.sqrt(sq / N)).toBeGreaterThan(0.04);
    expect(Math.sqrt(sq / N)).toBeLessThan(0.055);
  });
});

describe('swiss roll', () => {
  it('radius ≈ angle: r equals the branch t = φ + 2πk nearest to it, t ∈ [1.5π, 4.5π]', () => {
    const raw = getTarget('swiss-roll').sampleRaw(N, new Rng(4));
    const errors: number[] = [];
    for (let i = 0; i < N; i++) {
      const x = raw[2 * i]!;
      const y = raw[2 * i + 1]!;
      const r = Math.hypot(x, y);
      const phi = Math.atan2(y, x);
      const t = phi + 2 * Math.PI * Math.round((r - phi) / (2 * Math.PI));
      expect(Math.abs(r - t)).toBeLessThan(0.75); // noise 0.1: radial ≤ 0.6 plus angular ≤ 0.6/4.7
      expect(t).toBeGreaterThan(1.5 * Math.PI - 0.75);
      expect(t).toBeLessThan(4.5 * Math.PI + 0.75);
      errors.push(r - t);
    }
    // branches are 2π apart, so a wrong branch would show as |r − t| ≈ π; the spread is the noise's
    const { std } = meanStd(errors, 1);
    expect(std[0]!).toBeGreaterThan(0.08);
    expect(std[0]!).toBeLessThan(0.2);
  });
});
