// Solver accuracy on the exact Gaussian-mixture velocity (2-D, follmer path):
// end-point error against the exact characteristic vs number of steps, with
// the fitted convergence order. Shared by the bench (docs table) and the test.
import * as tf from '@tensorflow/tfjs-core';
import { GaussianMixture, Rng, timeGrid } from '@charlearn/core';
import { sample, solvers } from '@charlearn/solvers';

/** The normalised "8 Gaussians" target: radius 2, std 0.1, scaled to unit std per coordinate. */
export function eightGaussians() {
  const scale = Math.sqrt(2 + 0.01);
  const means = Array.from({ length: 8 }, (_, k) => [
    (2 * Math.cos((2 * Math.PI * k) / 8)) / scale,
    (2 * Math.sin((2 * Math.PI * k) / 8)) / scale,
  ]);
  return new GaussianMixture({ means, std: 0.1 / scale });
}

/** Least-squares slope of -log(err) on log(steps). */
export function fitOrder(points) {
  const xs = points.map((p) => Math.log(p.steps));
  const ys = points.map((p) => Math.log(p.error));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * (ys[i] - my);
    den += (x - mx) * (x - mx);
  });
  return -num / den;
}

/**
 * @param {{ gmm?: GaussianMixture, solverNames: string[], stepCounts: number[], floor?: number, fitPoints?: number,
 *   batch?: number, refSteps?: number, eps1?: number, spacing?: 'uniform'|'karras', rho?: number, seed?: number }} o
 * The fitted order uses the finest `fitPoints` (3) step counts whose mean error is above `floor` (1e-5).
 * @returns rows: { solver, order, nfePerStep, points: {steps, nfe, error, ms}[], fittedOrder }
 */
export function measureAccuracy(o) {
  const { gmm = eightGaussians(), solverNames, stepCounts, floor = 1e-5, fitPoints = 3, batch = 256, refSteps = 4000, eps1 = 1e-3, spacing = 'karras', rho = 7, seed = 0 } = o;
  const model = gmm.fieldModel('follmer');
  const z = new Rng(seed).normalArray(batch * gmm.dim);
  const exact = gmm.exactFlow(z, 0, 1 - eps1, { steps: refSteps });
  const xInit = tf.tensor2d(z, [batch, gmm.dim]);
  const rows = solverNames.map((name) => {
    const plugin = solvers.get(name);
    const points = stepCounts.map((steps) => {
      const t0 = performance.now();
      const r = sample({ solver: name, model, xInit, timeGrid: timeGrid({ steps, eps1, spacing, rho }) });
      const got = r.x.dataSync();
      const ms = performance.now() - t0;
      r.x.dispose();
      let err = 0;
      for (let i = 0; i < batch; i++) {
        let e = 0;
        for (let j = 0; j < gmm.dim; j++) e += (got[i * gmm.dim + j] - exact[i * gmm.dim + j]) ** 2;
        err += Math.sqrt(e);
      }
      return { steps, nfe: r.nfe, error: err / batch, ms };
    });
    // The asymptotic regime: the finest `fitPoints` step counts whose error is above the float32 round-off floor.
    const fitted = points.filter((p) => p.error > floor).slice(-fitPoints);
    return { solver: name, order: plugin.order, nfePerStep: plugin.nfePerStep, points, fittedOrder: fitted.length >= 2 ? fitOrder(fitted) : NaN };
  });
  xInit.dispose();
  return rows;
}
