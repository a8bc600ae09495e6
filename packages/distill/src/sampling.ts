import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import {
  assertNumber,
  assertTensor,
  Rng,
  solverCapabilities,
  solvers,
  tausLike,
  timeGrid,
  timesLike,
  TypeMismatchError,
  typeLabel,
  ValueRangeError,
  type Dataset,
  type FieldModel,
  type SolverPlugin,
} from '@charlearn/core';
import { sample } from '@charlearn/solvers';
import type { FlowMap } from './denoisers';

/**
 * How the generator's first jump starts from prior noise `z` (drawn at t = 0), at `t = eps0`:
 *
 * - `'prior'` (the default): `z` itself is taken as the point at `eps0`. charlearn's choice since its first
 *   release (checkpoints and the figures in docs/ were made with it); its error is the
 *   `O(eps0·|E[x1]|)` the path moves in `[0, eps0]`, which is 0 for normalised data (E[x1] = 0).
 * - `'reference'`: `z − eps0·E[x1]`, exactly the start of the reference code's `characteristic_sampler`
 *   (burning489/CharacteristicGenerator, `latents − (1 − t_max)·x_mean` with its `t_max = 1 − eval_eps1`),
 *   for reproducing its numbers. Note the sign: it moves away from the data mean.
 * - `'noise-step'`: `z + eps0·E[x1]`, one Euler step of the Föllmer velocity at the noise end,
 *   `v(x, 0) = E[x1]`: the point at `eps0` to `O(eps0²)` on the Föllmer path (the default path).
 *
 * The last two need the data mean `E[x1]` ({@link GeneratorTimes.dataMean}).
 */
export type GeneratorStart = 'prior' | 'reference' | 'noise-step';

/** The values of {@link GeneratorStart}. */
export const GENERATOR_STARTS: readonly GeneratorStart[] = ['prior', 'reference', 'noise-step'];

/** Where the generator's time grid starts and stops (the public code's eval ε), and how it starts. */
export interface GeneratorTimes {
  /** Start time of the one-step jump, near the noise end (default 1e-3). */
  eps0?: number;
  /** The few-step grid stops at `1 − eps1` before its last jump to t = 1 (default 1e-3). */
  eps1?: number;
  /** How the first jump starts from `z` (default `'prior'`: `z` as is); see {@link GeneratorStart}. */
  start?: GeneratorStart;
  /** The data mean `E[x1]`, one sample's shape (`z.shape.slice(1)`); needed by the `start`s that shift by it. */
  dataMean?: Tensor;
}

/**
 * Samples with `steps` network evaluations of the flow map: the uniform grid
 * of `steps` points from `eps0` to `1 − eps1`, then a last jump to t = 1
 * (for `steps = 1`: the single jump `g(eps0, 1, z)`). `z: [batch, ...dims]`, prior noise;
 * `times.start` says how it becomes the point at `eps0` ({@link GeneratorStart}).
 *
 * @example
 * ```ts
 * const g = characteristicMap(student, follmer);
 * const x = sampleFlowMap(g, z, 1);  // one step: one network evaluation
 * const x4 = sampleFlowMap(g, z, 4); // four
 * const xRef = sampleFlowMap(g, z, 1, { start: 'reference', dataMean: tf.tensor1d([0.1, -0.2]) }); // the reference code's start
 * ```
 */
export function sampleFlowMap(g: FlowMap, z: Tensor, steps: number, times: GeneratorTimes = {}): Tensor {
  const { eps0, eps1, start, dataMean } = resolveGeneratorTimes(z, steps, times);
  const shift = meanShift(start, eps0, z, dataMean);
  const grid = steps === 1 ? [eps0, 1] : [...timeGrid({ steps: steps - 1, eps0, eps1 }), 1];
  let x = shift === 0 ? z : tf.tidy(() => tf.add(z, tf.mul(dataMean!, shift)));
  for (let i = 0; i + 1 < grid.length; i++) {
    const [t, s] = [grid[i]!, grid[i + 1]!];
    const next = tf.tidy(() => g(x, timesLike(x, t), timesLike(x, s), tausLike(x, t), tausLike(x, s)));
    if (x !== z) x.dispose();
    x = next;
  }
  return x;
}

/** {@link GeneratorTimes} with the defaults filled in (`dataMean` stays optional: only the shifting starts need it). */
export interface ResolvedGeneratorTimes {
  readonly eps0: number;
  readonly eps1: number;
  readonly start: GeneratorStart;
  readonly dataMean?: Tensor;
}

/**
 * Checks the arguments of {@link sampleFlowMap} (before any tensor math) and fills in the defaults of `times`:
 * `z: [batch, ...dims]` of rank ≥ 1, `steps` an integer ≥ 1, `eps0` in [0, 0.5), `eps1` in (0, 0.5), a known `start`,
 * and a float32 `dataMean` of one sample's shape where `start` shifts by it. Throws a named error for the first
 * argument that is wrong.
 *
 * @example
 * ```ts
 * resolveGeneratorTimes(z, 1, { start: 'noise-step', dataMean: tf.tensor1d([0.1, -0.2]) }); // { eps0: 1e-3, eps1: 1e-3, start: 'noise-step', dataMean }
 * ```
 */
export function resolveGeneratorTimes(z: Tensor, steps: number, times: GeneratorTimes = {}): ResolvedGeneratorTimes {
  assertTensor('z', z, undefined, { minRank: 1 });
  assertNumber('steps', steps, { integer: true, min: 1 });
  if (typeof times !== 'object' || times === null) throw new TypeMismatchError(`times must be an object { eps0?, eps1?, start?, dataMean? }, got ${typeLabel(times)}`, 'times');
  const { eps0 = 1e-3, eps1 = 1e-3, start = 'prior', dataMean } = times;
  assertNumber('eps0', eps0, { min: 0, lessThan: 0.5 });
  assertNumber('eps1', eps1, { greaterThan: 0, lessThan: 0.5 });
  meanShift(start, eps0, z, dataMean);
  return dataMean === undefined ? { eps0, eps1, start } : { eps0, eps1, start, dataMean };
}

/**
 * The data mean `E[x1]` of `dataset`, one sample's shape, from `n` samples drawn with their own seeded stream
 * (so that estimating it changes no training draw). The reference code averages its whole training set; with
 * the default 4096 samples the estimate is within ~std/64 per coordinate, which the `eps0 = 1e-3` shift scales to ~1e-5·std.
 *
 * @example
 * ```ts
 * const mean = estimateDataMean(dataset); // [...sampleShape]
 * const x = sampleFlowMap(characteristicMap(net, follmer), z, 1, { start: 'noise-step', dataMean: mean });
 * ```
 */
export function estimateDataMean(dataset: Dataset, n = 4096, seed = 0x6d65616e): Tensor {
  assertNumber('n', n, { integer: true, min: 1 });
  const batch = dataset.sample(n, new Rng(seed));
  try {
    return tf.mean(batch, 0);
  } finally {
    batch.dispose();
  }
}

/** The multiple of `E[x1]` that `start` adds to `z` (checked before any tensor math). */
function meanShift(start: unknown, eps0: number, z: Tensor, dataMean: Tensor | undefined): number {
  if (!GENERATOR_STARTS.includes(start as GeneratorStart)) {
    throw new ValueRangeError(`start must be one of ${GENERATOR_STARTS.map((s) => `'${s}'`).join(', ')}, got ${typeLabel(start)}${typeof start === 'string' ? ` '${start}'` : ''}`, 'start');
  }
  if (start === 'prior') return 0;
  if (dataMean === undefined) {
    throw new TypeMismatchError(`start '${String(start)}' shifts z by the data mean: pass times.dataMean (one sample's shape [${z.shape.slice(1).join(', ')}])`, 'dataMean');
  }
  assertTensor('dataMean', dataMean, z.shape.slice(1), { dtype: 'float32' });
  return start === 'reference' ? -eps0 : eps0;
}

/** What {@link sampleTeacher} returns. */
export interface TeacherSample {
  readonly x: Tensor;
  /** Network evaluations actually used (≤ the budget). */
  readonly nfe: number;
  /** Solver steps taken before the final denoise. */
  readonly steps: number;
}

/**
 * Samples the teacher's probability-flow ODE within an NFE budget, the
 * protocol of the benchmarks: a solver that declares the `'exp-integrator'`
 * family steps straight to t = 1 (its step to σ = 0 is its own data end, a
 * denoise for the frozen-D form), `⌊nfe/nfePerStep⌋` steps on a Karras grid
 * (ρ = 7) from `eps0`; other solvers take
 * `k = ⌊(nfe − 1)/nfePerStep⌋` steps to `1 − eps1` and finish with one denoise
 * (k = 0: a single denoise at `eps0`). `z: [batch, ...dims]` at t = `eps0`.
 * A stochastic solver (`'ancestral'`, `'euler-maruyama'`) needs `options.rng`, its noise source.
 *
 * @example
 * ```ts
 * const teacherField = fieldModelFromDenoiser(networkDenoiser(teacherNet, follmer), follmer);
 * const { x, nfe } = sampleTeacher(teacherField, z, 'heun', 20); // 9 Heun steps + 1 denoise = 19 NFE
 * ```
 */
export function sampleTeacher(
  model: FieldModel,
  z: Tensor,
  solver: string | SolverPlugin,
  nfe: number,
  options: { eps0?: number; eps1?: number; spacing?: 'uniform' | 'karras'; rho?: number; rng?: Rng } = {},
): TeacherSample {
  const plugin = solvers.resolve(solver, 'solver');
  assertNumber('nfe', nfe, { integer: true, min: 1 });
  const { eps0 = 0, eps1 = 1e-3, spacing = 'karras', rho = 7, rng } = options;
  if (solverCapabilities(plugin).family === 'exp-integrator') {
    const steps = Math.max(1, Math.floor(nfe / plugin.nfePerStep));
    const r = sample({ solver: plugin, model, xInit: z, timeGrid: timeGrid({ steps, eps0, eps1: 0, spacing, rho }), ...(rng ? { rng } : {}) });
    return { x: r.x, nfe: r.nfe, steps };
  }
  const steps = Math.floor((nfe - 1) / plugin.nfePerStep);
  if (steps === 0) {
    const x = tf.tidy(() => model.denoise(z, timesLike(z, eps0), tausLike(z, eps0)));
    return { x, nfe: 1, steps: 0 };
  }
  const r = sample({ solver: plugin, model, xInit: z, timeGrid: timeGrid({ steps, eps0, eps1, spacing, rho }), denoiseLast: true, ...(rng ? { rng } : {}) });
  return { x: r.x, nfe: r.nfe, steps };
}
