#!/usr/bin/env node
/**
 * Timing of the W2 metrics in 2-D (run `npm run bench` in packages/metrics, after a build).
 *
 *   node bench/w2.mjs [--quick]
 *
 * exactW2 at n = 500, 1000, 2000, 4000 on two kinds of pairs:
 *   gaussian: two independent N(0, I) samples (a data-vs-data floor);
 *   8gauss:   8 Gaussians (ring radius 1.41, std 0.07, normalised scale) against
 *             the same law scaled by 1.05 (a slightly wrong model: clustered, with long moves).
 * sinkhornW2 (ε = 0.01, tol = 1e-3, the defaults) at n = 2000 to convergence, and at
 * n = 10000 for a fixed budget of iterations at ε = 0.01 (no annealing): per-iteration cost.
 */
import { Rng } from '@charlearn/core';
import { exactW2Plan, sinkhornW2 } from '../dist/index.js';

const quick = process.argv.includes('--quick');

function gaussian(n, rng) {
  const p = new Float64Array(2 * n);
  for (let i = 0; i < 2 * n; i++) p[i] = rng.normal();
  return p;
}

function eightGaussians(n, rng, scale = 1) {
  const p = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(8 * rng.uniform());
    p[2 * i] = scale * (1.41 * Math.cos((k * Math.PI) / 4) + 0.07 * rng.normal());
    p[2 * i + 1] = scale * (1.41 * Math.sin((k * Math.PI) / 4) + 0.07 * rng.normal());
  }
  return p;
}

const pairs = {
  gaussian: (n, rng) => [gaussian(n, rng), gaussian(n, rng)],
  '8gauss': (n, rng) => [eightGaussians(n, rng), eightGaussians(n, rng, 1.05)],
};

function time(f) {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

console.log(`exactW2 (2-D), Node ${process.version}`);
console.log('pair       n      ms       W2  passes  searches  edges/n  dense');
for (const [name, make] of Object.entries(pairs)) {
  for (const n of quick ? [500, 1000] : [500, 1000, 2000, 4000]) {
    const [a, b] = make(n, new Rng(n));
    const { value: r, ms } = time(() => exactW2Plan(a, b));
    const s = r.stats;
    console.log(
      `${name.padEnd(9)} ${String(n).padStart(5)} ${ms.toFixed(0).padStart(7)} ${r.w2.toFixed(5).padStart(8)} ${String(s.rounds).padStart(7)} ${String(s.searches).padStart(9)} ${(s.edges / n).toFixed(1).padStart(8)}  ${s.dense}`,
    );
  }
}

console.log('\nsinkhornW2 (2-D, two N(0, I) samples)');
console.log('    n  setting                              ms  iterations  ms/iter  converged  marginalError       W2');
const runs = quick
  ? [[1000, 'defaults (ε 0.01, tol 1e-3)', {}]]
  : [
      [2000, 'defaults (ε 0.01, tol 1e-3)', {}],
      [10000, 'ε 0.01, no annealing, 5 iterations', { epsilonScaling: 1, maxIter: 5 }],
      [10000, 'ε 1, no annealing, 3 iterations', { epsilon: 1, epsilonScaling: 1, maxIter: 3 }],
    ];
for (const [n, label, options] of runs) {
  const [a, b] = pairs.gaussian(n, new Rng(7 * n));
  const { value: r, ms } = time(() => sinkhornW2(a, b, options));
  console.log(
    `${String(n).padStart(5)}  ${label.padEnd(34)} ${ms.toFixed(0).padStart(7)} ${String(r.iterations).padStart(11)} ${(ms / (r.iterations + 1)).toFixed(0).padStart(8)}  ${String(r.converged).padStart(9)}  ${r.marginalError.toExponential(2).padStart(13)} ${r.w2.toFixed(5).padStart(8)}`,
  );
}
