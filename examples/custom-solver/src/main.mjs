#!/usr/bin/env node
// @ts-check
/**
 * custom-solver: write a solver plugin, check it with the conformance suite,
 * register it, and compare it with the built-in solvers and the
 * @charlearn/solver-rk4 plugin on a 2-D Gaussian mixture whose exact
 * characteristics are known.
 *
 *   npm start -w custom-solver            # report (failed checks are printed)
 *   npm test -w custom-solver             # same, exits 1 if a check fails
 *   node src/main.mjs [--check]           # from this folder
 *
 * Only published entry points are imported: @charlearn/core,
 * @charlearn/solvers, @charlearn/solvers/testing, @charlearn/solver-rk4,
 * @charlearn/backend-wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm'; // registers the 'wasm' backend plugin (the default CPU backend)
import '@tensorflow/tfjs-backend-cpu'; // fallback only, when wasm cannot start
import { GaussianMixture, priorSample, registerSolver, solvers, timeGrid, useBackend } from '@charlearn/core';
import { sample } from '@charlearn/solvers';
import { formatConformanceReport, runSolverConformance } from '@charlearn/solvers/testing';
import '@charlearn/solver-rk4'; // registers 'rk4/classic' and 'rk4/dpmpp-2m'
import { midpoint } from './midpoint.mjs';

const CHECK = process.argv.includes('--check');
const N = 2000;
const T_END = 1 - 1e-3;
const STEPS = [4, 8, 16];
const SOLVERS = ['euler', 'heun', 'exp-integrator', 'rk4/classic', 'rk4/dpmpp-2m', midpoint.name];

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
/** @param {string} msg */
const progress = (msg) => console.log(`[${elapsed()}] ${msg}`);
/** @type {string[]} */
const failures = [];

try {
  await useBackend('wasm');
} catch (e) {
  console.warn(`wasm backend unavailable (${/** @type {Error} */ (e).message}); falling back to tfjs-backend-cpu`);
  await tf.setBackend('cpu');
}
await tf.ready();
progress(`tfjs backend: ${tf.getBackend()}`);

// 1. The conformance suite on the hand-written solver, then registration.
progress(`conformance suite on '${midpoint.name}' ...`);
const report = await runSolverConformance(midpoint);
console.log(formatConformanceReport(report));
if (!report.passed) failures.push(`'${midpoint.name}' does not pass the conformance suite`);
registerSolver(midpoint);
progress(`registered; solvers: ${solvers.list().join(', ')}`);

// 2. Data: 8 Gaussians on a circle of radius 2, std 0.1; exact denoiser on the Föllmer path.
const gmm = new GaussianMixture({
  means: Array.from({ length: 8 }, (_, k) => [2 * Math.cos((2 * Math.PI * k) / 8), 2 * Math.sin((2 * Math.PI * k) / 8)]),
  std: 0.1,
});
const model = gmm.fieldModel('follmer');
const z = priorSample([N, 2], 0); // [2000, 2] at t = 0

// 3. Reference: the exact characteristic from t = 0 to 1 − 1e-3 (float64 RK4 on
// a fine grid), then the same final denoising step the solvers take
// (denoiseLast), so that the table measures only the ODE error.
progress(`exact characteristics for ${N} points (float64) ...`);
const exactEnd = gmm.exactFlow(z.dataSync(), 0, T_END);
const target = new Float64Array(exactEnd.length);
for (let i = 0; i < N; i++) target.set(gmm.denoisePoint(exactEnd.subarray(2 * i, 2 * i + 2), T_END, 'follmer'), 2 * i);
progress('exact characteristics done');

/**
 * Mean Euclidean distance between rows of `got` and `want` (flat `[n·2]`).
 * @param {ArrayLike<number>} got
 * @param {Float64Array} want
 */
function meanError(got, want) {
  let sum = 0;
  for (let i = 0; i < want.length; i += 2) sum += Math.hypot(Number(got[i]) - Number(want[i]), Number(got[i + 1]) - Number(want[i + 1]));
  return sum / (want.length / 2);
}

// 4. Every solver, by name, at 4, 8, 16 steps on a Karras grid (ρ = 7, dense
// near the data end) from t = 0 to 1 − 1e-3, plus the final denoising step.
const gridFor = (/** @type {number} */ steps) => timeGrid({ steps, spacing: 'karras', rho: 7, eps0: 0, eps1: 1 - T_END });
for (const name of SOLVERS) sample({ solver: name, model, xInit: z, timeGrid: gridFor(2) }).x.dispose(); // warm-up, untimed
/** @type {{ solver: string; steps: number; nfe: number; error: number; ms: number }[]} */
const rows = [];
for (const name of SOLVERS) {
  for (const steps of STEPS) {
    const t0 = performance.now();
    const r = sample({
      solver: name,
      model,
      xInit: z,
      timeGrid: gridFor(steps),
      denoiseLast: true,
    });
    const got = await r.x.data();
    const ms = performance.now() - t0;
    r.x.dispose();
    rows.push({ solver: name, steps, nfe: r.nfe, error: meanError(got, target), ms });
    const expectedNfe = solvers.get(name).nfePerStep * steps + 1;
    if (r.nfe !== expectedNfe) failures.push(`${name} at ${steps} steps used ${r.nfe} NFE, expected ${expectedNfe}`);
  }
  progress(`${name} done`);
}
z.dispose();

// 5. The table.
const header = ['solver', 'steps', 'NFE', 'mean error', 'wall ms'];
const body = rows.map((r) => [r.solver, String(r.steps), String(r.nfe), r.error.toExponential(2), r.ms.toFixed(0)]);
const widths = header.map((h, j) => Math.max(h.length, ...body.map((b) => b[j]?.length ?? 0)));
/** @param {string[]} cells */
const line = (cells) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j] ?? 0) : c.padStart(widths[j] ?? 0))).join('  ');
console.log(`\n${N} points, 8 Gaussians (r = 2, std 0.1), follmer path, t: 0 → ${T_END} (Karras ρ = 7) + final denoise;`);
console.log('error: mean |x − D(Φ(z), 1 − 1e-3)| against the exact characteristic Φ (float64)\n');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const b of body) console.log(line(b));

// 6. Checks: every solver's error falls as the step count grows.
for (const name of SOLVERS) {
  const mine = rows.filter((r) => r.solver === name);
  mine.slice(1).forEach((r, i) => {
    const prev = mine[i];
    if (prev && !(r.error < prev.error)) {
      failures.push(`${name}: error did not decrease from ${prev.steps} to ${r.steps} steps (${prev.error} → ${r.error})`);
    }
  });
}
console.log('');
if (failures.length === 0) {
  progress(`all checks passed (midpoint conforms; every error decreases with steps; NFE = nfePerStep × steps + 1)`);
} else {
  for (const f of failures) console.log(`FAIL ${f}`);
  if (CHECK) process.exitCode = 1;
}
