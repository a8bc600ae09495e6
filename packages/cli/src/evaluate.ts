import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { Rng, timeGrid } from '@charlearn/core';
import type { GaussianMixture } from '@charlearn/core';
import { sample } from '@charlearn/solvers';
import { sampleTeacher, type CharacteristicDistiller } from '@charlearn/distill';
import { evaluationSamples, type EvaluationSamples, type ProtocolW2Options } from '@charlearn/metrics';
import { startW2Pool, type W2Pool } from '@charlearn/metrics/node';
import { availableParallelism } from 'node:os';
import type { Target2D } from '@charlearn/data';
import { PALETTE, panelsFigure, type Figure, type Panel } from '@charlearn/plots';
import type { RunConfig } from './config';

/**
 * What a 2-D run's W2 is measured against: a built-in target (fresh held-out draws, {@link evaluationSamples}) or a
 * data file's held-out rows (`heldOutEvaluationSamples`); `exact` for the Gaussian-mixture target.
 */
export interface W2Reference {
  /** The target's or the file's name, for the figure and `metrics.json`. */
  readonly name: string;
  readonly exact?: GaussianMixture;
  /**
   * The protocol's samples for `n` requested points (fewer when the held-out rows are fewer); `w2Options` set the
   * exact-W2 solver (`neighbours`: the time only, never the figures).
   */
  samples(n: number, seed: number, w2Options?: ProtocolW2Options): EvaluationSamples;
}

/**
 * The {@link W2Reference} of a built-in 2-D target.
 *
 * @example
 * ```ts
 * targetReference(target).samples(2000, 0).floor; // target: e.g. getTarget('swiss-roll') of @charlearn/data
 * ```
 */
export function targetReference(target: Target2D): W2Reference {
  const exact = (target as Target2D & { exact?: GaussianMixture }).exact;
  return { name: target.name, ...(exact ? { exact } : {}), samples: (n, seed, w2Options = {}) => evaluationSamples(target, n, seed, 2, w2Options) };
}

/** The figures `metrics.json` holds. */
export interface EvalMetrics {
  /** Always `'characteristic'` (teacher, then distillation); see {@link OneStepMetrics} for the teacher-free methods. */
  method: 'characteristic';
  run: string;
  target: string;
  backend: string;
  interpolant: string;
  seed: number;
  samples: number;
  w2: {
    /** One network evaluation of the generator. */
    oneStep: number;
    /** Generator with k network evaluations, keyed by k. */
    fewStep: Record<string, number>;
    /** Teacher ODE samples keyed `"<solver>@<nfe>"` (NFE actually used). */
    teacher: Record<string, number>;
    /** The teacher's best figure and its key. */
    teacherBest: { key: string; w2: number };
    /** Two independent data samples of the same size against the same held-out set. */
    floor: number;
  };
  ratios: {
    /** W2 of the one-step generator over the teacher's best. */
    oneStepOverTeacherBest: number;
    /** W2 of the one-step generator over the floor. */
    oneStepOverFloor: number;
  };
  sampling: {
    oneStepPerSec: number;
    teacherPerSec: number;
    /** The teacher sampler timed for `teacherPerSec`. */
    teacherSampler: string;
    /** oneStepPerSec / teacherPerSec, measured in the same run. */
    speedup: number;
  };
  /** Gaussian-mixture target only: mean end-point error against the exact characteristic from the same z. */
  characteristicError?: { oneStep: number; teacher: Record<string, number> };
  seconds: number;
}

/**
 * `w2` computed once per distinct point set: a call with the same values, byte for byte, as an earlier call's
 * (e.g. every solver's 1-NFE samples: the same single denoiser step from z) returns the earlier answer (the same
 * promise, for an asynchronous `w2`). `w2` is pure (the protocol's exact W2 against fixed held-out points), so the
 * figures are the same as calling it every time.
 *
 * @example
 * ```ts
 * const w2 = onceByContent((pts) => pts.reduce((s, v) => s + v * v, 0)); // stands for the exact W2 to held-out points
 * const pts = Float32Array.from([1, 2, 3, 4]);
 * w2(pts); w2(Float32Array.from(pts)); // computed once, the same figure twice
 * ```
 */
export function onceByContent<T>(w2: (points: Float32Array) => T): (points: Float32Array) => T {
  const done: { bytes: Uint8Array; value: T }[] = [];
  return (points) => {
    const bytes = new Uint8Array(points.buffer, points.byteOffset, points.byteLength);
    const hit = done.find((d) => sameBytes(d.bytes, bytes));
    if (hit) return hit.value;
    const value = w2(points);
    done.push({ bytes: bytes.slice(), value });
    return value;
  };
}

/** The W2 worker threads {@link evaluateRun} starts by default: one a core, at most 2 (the calling thread samples meanwhile). */
export function defaultW2Workers(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/** The values of a record of promises, awaited together. */
async function awaitValues(record: Record<string, Promise<number>>): Promise<Record<string, number>> {
  const keys = Object.keys(record);
  const values = await Promise.all(keys.map((k) => record[k]!));
  return Object.fromEntries(keys.map((k, i) => [k, values[i]!]));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The values of `x` as an array; disposes `x`. */
function read(x: Tensor): Float32Array {
  const v = x.dataSync() as Float32Array;
  x.dispose();
  return v;
}

function timed<T>(fn: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

function meanDistance(a: Float32Array, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length / 2; i++) s += Math.hypot(a[2 * i]! - b[2 * i]!, a[2 * i + 1]! - b[2 * i + 1]!);
  return s / (a.length / 2);
}

/** The exact end points `D(Φ(z), 1 − 1e-4)` of the characteristics from `z` at `t0` (float64). */
export function exactEndPoints(gmm: GaussianMixture, z: Float32Array, t0: number, interpolant: string): Float64Array {
  const end = 1 - 1e-4;
  const flowed = gmm.exactFlow(z, t0, end, { steps: 600, interpolant });
  const out = new Float64Array(flowed.length);
  for (let i = 0; i < flowed.length / 2; i++) out.set(gmm.denoisePoint([flowed[2 * i]!, flowed[2 * i + 1]!], end, interpolant), 2 * i);
  return out;
}

/**
 * The evaluation protocol of method.md in normalised coordinates: exact W2
 * (optimal assignment) between `eval.samples` generated points and as many
 * fresh held-out data points, for the one-step generator, the few-step
 * generator, the teacher at every solver × NFE budget, and the data-vs-data
 * floor; sampling throughput of the one-step generator and of the teacher
 * (Heun at the largest NFE) measured in the same run; for the Gaussian
 * mixture, the end-point error against the exact characteristic. Also
 * renders the samples figure.
 *
 * The exact W2 solves run on `w2Workers` worker threads (default {@link defaultW2Workers}; `@charlearn/metrics/node`'s
 * `startW2Pool`) while this thread goes on sampling; the figures are those of one thread, bit for bit. `w2Workers: 0`
 * solves them here, as does a pool that cannot start (with a line in the log).
 */
export async function evaluateRun(args: {
  distiller: CharacteristicDistiller;
  target: W2Reference;
  config: RunConfig;
  backend: string;
  log: (m: string) => void;
  w2Workers?: number;
}): Promise<{ metrics: EvalMetrics; figure: Figure }> {
  const t0 = performance.now();
  const { config, log, w2Workers = defaultW2Workers() } = args;
  const samples = args.target.samples(config.eval.samples, config.seed, { neighbours: config.eval.neighbours });
  const pool = await startEvaluationPool(samples.heldOut, config.eval.neighbours, w2Workers, log);
  // a solve still running when sampling fails rejects at close(): marked handled here, the sampling error is the one thrown
  const pooled = (pts: Float32Array): Promise<number> => {
    const w2 = pool!.w2(pts);
    w2.catch(() => undefined);
    return w2;
  };
  const z = tf.tensor2d(samples.z, [samples.heldOut.length / 2, 2]);
  try {
    return await evaluateSamples(args, samples, z, pool ? pooled : (pts) => Promise.resolve(samples.w2(pts)), t0);
  } finally {
    z.dispose();
    await pool?.close();
  }
}

/** {@link evaluateRun} on the protocol's samples (`z` their prior draws `[n, 2]`, disposed by the caller), with `w2Of` the exact W2 against their held-out points. */
async function evaluateSamples(
  args: { distiller: CharacteristicDistiller; target: W2Reference; config: RunConfig; backend: string; log: (m: string) => void },
  samples: EvaluationSamples,
  z: Tensor,
  w2Of: (points: Float32Array) => Promise<number>,
  t0: number,
): Promise<{ metrics: EvalMetrics; figure: Figure }> {
  const { distiller, target, config, backend, log } = args;
  const seed = config.seed;
  const { heldOut, floor, z: zArr } = samples;
  // every solver's 1-NFE samples are the same points (one denoiser step from z): one W2 for them
  const w2 = onceByContent(w2Of);
  const n = heldOut.length / 2;
  log(`  W2 floor (data vs data, n = ${n}): ${floor.toFixed(4)}`);

  // One step, timed after a warm-up call.
  const warm = tf.slice(z, 0, 16);
  try {
    read(distiller.sample(warm, 1, { start: config.eval.start }));
  } finally {
    warm.dispose();
  }
  const one = timed(() => read(distiller.sample(z, 1, { start: config.eval.start })));
  const oneStep = one.value;
  const fewStepW2: Record<string, Promise<number>> = {};
  const fewSamples: Record<string, Float32Array> = { '1': oneStep };
  for (const k of config.eval.fewSteps) {
    const pts = k === 1 ? oneStep : read(distiller.sample(z, k, { start: config.eval.start }));
    fewSamples[String(k)] = pts;
    fewStepW2[String(k)] = w2(pts);
  }
  const w2OneP = fewStepW2['1'] ?? w2(oneStep);

  const teacherW2: Record<string, Promise<number>> = {};
  const teacherSamples: Record<string, Float32Array> = {};
  const field = distiller.teacherField;
  const eps0 = 0;
  // Teacher throughput: Heun at the largest budget, same z, same run (the comparison's own solve when it has one).
  const maxNfe = Math.max(...config.eval.teacherNfe);
  let heunTimed: { points: Float32Array; nfe: number; seconds: number } | undefined;
  for (const solver of config.eval.teacherSolvers) {
    for (const nfe of config.eval.teacherNfe) {
      const solve = timed(() => sampleTeacher(field, z, solver, nfe, { eps0 }));
      const pts = read(solve.value.x);
      const key = `${solver}@${solve.value.nfe}`;
      teacherSamples[key] = pts;
      teacherW2[key] = w2(pts);
      if (solver === 'heun' && nfe === maxNfe) heunTimed = { points: pts, nfe: solve.value.nfe, seconds: solve.seconds };
    }
  }
  if (!heunTimed) {
    const solve = timed(() => sampleTeacher(field, z, 'heun', maxNfe, { eps0 }));
    heunTimed = { points: read(solve.value.x), nfe: solve.value.nfe, seconds: solve.seconds };
  }
  const fewStep = await awaitValues(fewStepW2);
  const w2One = await w2OneP;
  log(`  generator: W2 ${config.eval.fewSteps.map((k) => `${k} step${k > 1 ? 's' : ''} ${fewStep[String(k)]!.toFixed(4)}`).join(', ')}`);
  const teacher = await awaitValues(teacherW2);
  const best = Object.entries(teacher).reduce((a, b) => (b[1] < a[1] ? b : a));
  log(`  teacher: best W2 ${best[1].toFixed(4)} (${best[0]}); ${Object.entries(teacher).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}`);
  const teacherKey = `heun@${heunTimed.nfe}`;
  const heunPts = heunTimed.points;

  let characteristicError: EvalMetrics['characteristicError'];
  const gmm = target.exact;
  if (gmm) {
    const exactEnd = exactEndPoints(gmm, zArr, distiller.config.eps0, distiller.interpolant.name);
    const exactFromZero = exactEndPoints(gmm, zArr, eps0, distiller.interpolant.name);
    characteristicError = {
      oneStep: meanDistance(oneStep, exactEnd),
      teacher: Object.fromEntries(Object.entries(teacherSamples).map(([k, v]) => [k, meanDistance(v, exactFromZero)])),
    };
    log(`  exact characteristics: one-step mean end-point error ${characteristicError.oneStep.toFixed(4)}`);
  }

  // Figure: data | teacher | one-step | characteristics with the generator's end points.
  const curves = 24;
  const zc = tf.slice(z, 0, curves);
  let traj: ReturnType<typeof sample>;
  try {
    traj = sample({ solver: 'heun', model: field, xInit: zc, timeGrid: timeGrid({ steps: 40, spacing: 'karras', eps1: 1e-3 }), returnIntermediates: true, denoiseLast: true });
  } finally {
    zc.dispose();
  }
  const inter = traj.intermediates!.map((t) => t.dataSync() as Float32Array);
  const final = read(traj.x);
  traj.intermediates!.forEach((t) => t.dispose());
  const paths: Float64Array[] = [];
  for (let c = 0; c < curves; c++) {
    const p = new Float64Array((inter.length + 1) * 2);
    inter.forEach((step, k) => p.set([step[2 * c]!, step[2 * c + 1]!], 2 * k));
    p.set([final[2 * c]!, final[2 * c + 1]!], 2 * inter.length);
    paths.push(p);
  }
  const genEnds = oneStep.slice(0, curves * 2);
  const starts = inter[0]!.slice(0, curves * 2);
  const panels: Panel[] = [
    { title: `data (${target.name})`, layers: [{ kind: 'scatter', points: heldOut, color: PALETTE[0]!, size: 2.5 }] },
    { title: `teacher, Heun ${heunTimed.nfe} NFE`, layers: [{ kind: 'scatter', points: heunPts, color: PALETTE[1]!, size: 2.5 }] },
    { title: 'one-step generator, 1 NFE', layers: [{ kind: 'scatter', points: oneStep, color: PALETTE[2]!, size: 2.5 }] },
    {
      title: 'characteristics: teacher vs one step',
      layers: [
        { kind: 'scatter', points: heldOut, color: '#cccccc', size: 2, alpha: 0.4 },
        { kind: 'lines', paths, color: PALETTE[1]!, width: 1.5 },
        { kind: 'markers', points: starts, color: '#444444', size: 4, shape: 'circle', label: 'z (t = 0)' },
        { kind: 'markers', points: final, color: PALETTE[1]!, size: 8, shape: 'ring', label: 'teacher ODE path, end' },
        { kind: 'markers', points: genEnds, color: PALETTE[2]!, size: 7, shape: 'cross', label: 'g(z), one step' },
      ],
    },
  ];
  const figure = panelsFigure(panels, {
    title: `${target.name}: W2 one-step ${w2One.toFixed(3)} | teacher best ${best[1].toFixed(3)} (${best[0]}) | floor ${floor.toFixed(3)}`,
  });
  const metrics: EvalMetrics = {
    method: 'characteristic',
    run: config.name ?? '',
    target: target.name,
    backend,
    interpolant: distiller.interpolant.name,
    seed,
    samples: n,
    w2: { oneStep: w2One, fewStep, teacher, teacherBest: { key: best[0], w2: best[1] }, floor },
    ratios: { oneStepOverTeacherBest: w2One / best[1], oneStepOverFloor: w2One / floor },
    sampling: {
      oneStepPerSec: n / one.seconds,
      teacherPerSec: n / heunTimed.seconds,
      teacherSampler: teacherKey,
      speedup: heunTimed.seconds / one.seconds,
    },
    ...(characteristicError ? { characteristicError } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
  log(`  sampling: one-step ${Math.round(metrics.sampling.oneStepPerSec)} samples/s, teacher ${teacherKey} ${Math.round(metrics.sampling.teacherPerSec)} samples/s (${metrics.sampling.speedup.toFixed(1)}x)`);
  return { metrics, figure };
}

/** A W2 pool on `workers` threads holding `heldOut`, or none (`workers` 0, or a pool that cannot start: logged). */
async function startEvaluationPool(heldOut: Float32Array, neighbours: number, workers: number, log: (m: string) => void): Promise<W2Pool | undefined> {
  if (workers === 0) return undefined;
  try {
    return await startW2Pool({ reference: heldOut, neighbours, workers });
  } catch (e) {
    log(`  (the W2 worker threads did not start, so the W2 solves run on this thread: ${e instanceof Error ? e.message : String(e)})`);
    return undefined;
  }
}

/** The `metrics.json` of a run trained by a teacher-free method (`drifting`, `drifting-conservative`, `wflow`, ...). */
export interface OneStepMetrics {
  /** The objective that trained the generator. */
  method: string;
  run: string;
  target: string;
  backend: string;
  seed: number;
  samples: number;
  /** Generator updates taken and the batch of each. */
  training: { steps: number; batchSize: number; wallSeconds: number };
  w2: {
    /** One network evaluation of the generator `G(z) = z + F(z, 0)` (EMA weights). */
    oneStep: number;
    /** Two independent data samples of the same size against the same held-out set. */
    floor: number;
  };
  ratios: { oneStepOverFloor: number };
  sampling: { oneStepPerSec: number };
  /** Evaluation time. */
  seconds: number;
}

/**
 * The evaluation protocol (`evaluationSamples` of `@charlearn/metrics`) for a teacher-free one-step generator: exact W2 of `n` one-step
 * samples against the held-out data, the floor, sampling throughput; and a figure (data | samples | the map z → G(z)
 * on a few points). `generator` maps z `[n, 2]` to samples `[n, 2]` in normalised coordinates.
 *
 * @example
 * ```ts
 * const { metrics, figure } = evaluateOneStep({ generator: (z) => trainer.sample(z), method: 'drifting', target: targetReference(target), config, backend: 'wasm', training: { steps: 2000, batchSize: 1024, wallSeconds: 300 }, log: console.error });
 * ```
 */
export function evaluateOneStep(args: {
  generator: (z: Tensor) => Tensor;
  method: string;
  target: W2Reference;
  config: RunConfig;
  backend: string;
  training: OneStepMetrics['training'];
  log: (m: string) => void;
}): { metrics: OneStepMetrics; figure: Figure } {
  const { generator, method, target, config, backend, training, log } = args;
  const t0 = performance.now();
  const { heldOut, floor, z: zArr, w2: w2Of } = target.samples(config.eval.samples, config.seed, { neighbours: config.eval.neighbours });
  const n = heldOut.length / 2;
  const z = tf.tensor2d(zArr, [n, 2]);
  const warm = tf.slice(z, 0, 16);
  read(generator(warm));
  warm.dispose();
  const one = timed(() => read(generator(z)));
  z.dispose();
  const w2 = w2Of(one.value);
  log(`  ${method}: one-step W2 ${w2.toFixed(4)}, floor (data vs data, n = ${n}) ${floor.toFixed(4)}`);
  const curves = 48;
  const paths = Array.from({ length: curves }, (_, c) => new Float64Array([zArr[2 * c]!, zArr[2 * c + 1]!, one.value[2 * c]!, one.value[2 * c + 1]!]));
  const panels: Panel[] = [
    { title: `data (${target.name})`, layers: [{ kind: 'scatter', points: heldOut, color: PALETTE[0]!, size: 2.5 }] },
    { title: `${method}, 1 NFE`, layers: [{ kind: 'scatter', points: one.value, color: PALETTE[2]!, size: 2.5 }] },
    {
      title: 'the map z -> G(z)',
      layers: [
        { kind: 'scatter', points: heldOut, color: '#cccccc', size: 2, alpha: 0.4 },
        { kind: 'lines', paths, color: PALETTE[1]!, width: 1 },
        { kind: 'markers', points: zArr.slice(0, curves * 2), color: '#444444', size: 4, shape: 'circle', label: 'z' },
        { kind: 'markers', points: one.value.slice(0, curves * 2), color: PALETTE[2]!, size: 7, shape: 'cross', label: 'G(z)' },
      ],
    },
  ];
  const figure = panelsFigure(panels, { title: `${target.name}, ${method}: W2 one-step ${w2.toFixed(3)} | floor ${floor.toFixed(3)} | ${training.steps} updates x batch ${training.batchSize}` });
  const metrics: OneStepMetrics = {
    method,
    run: config.name ?? '',
    target: target.name,
    backend,
    seed: config.seed,
    samples: n,
    training,
    w2: { oneStep: w2, floor },
    ratios: { oneStepOverFloor: w2 / floor },
    sampling: { oneStepPerSec: n / one.seconds },
    seconds: (performance.now() - t0) / 1000,
  };
  return { metrics, figure };
}
