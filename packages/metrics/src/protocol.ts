import { assertNumber, Rng, TypeMismatchError, typeLabel } from '@charlearn/core';
import { exactW2, type ExactW2Options } from './exact-w2';
import type { PointSet } from './points';

/** {@link w2WithFloor}'s answer. */
export interface W2WithFloor {
  /** Exact W2 between the generated points and the held-out data. */
  readonly w2: number;
  /** Exact W2 between an independent data sample and the same held-out data: the data-vs-data floor. */
  readonly floor: number;
}

/**
 * The W2 protocol of method.md: exact W2 between `generated` and `heldOut`
 * (n = 2,000 each, normalised coordinates), reported with its floor, the exact
 * W2 between `reference` (a fresh data sample of the same size, independent of
 * `heldOut`) and `heldOut`. No model can be told apart from the data below the floor.
 *
 * @example
 * ```ts
 * import { getTarget } from '@charlearn/data';
 * const target = getTarget('checkerboard');
 * const { w2, floor } = w2WithFloor(generated, target.sampleArray(2000, new Rng(1)), target.sampleArray(2000, new Rng(2)));
 * ```
 */
export function w2WithFloor(generated: PointSet, heldOut: PointSet, reference: PointSet, options: ExactW2Options = {}): W2WithFloor {
  return { w2: exactW2(generated, heldOut, options), floor: exactW2(reference, heldOut, options) };
}

/** What the protocol draws data from: `sampleArray(n, rng)` gives `n` points, flat `[n·dim]` (a data target). */
export interface PointSampler {
  sampleArray(n: number, rng: Rng): Float32Array;
}

/** The fixed samples of the W2 protocol for one run: held-out data, the floor, the prior z, and W2 against them. */
export interface EvaluationSamples {
  /** `n` fresh held-out data points, flat `[n·dim]`. */
  readonly heldOut: Float32Array;
  /** Exact W2 of an independent data sample of the same size against `heldOut`: the data-vs-data floor. */
  readonly floor: number;
  /** Prior draws, flat `[n·dim]` (the same z for every sampler of the run). */
  readonly z: Float32Array;
  /** Exact W2 of `generated` (`[n·dim]`) against `heldOut`. */
  w2(generated: PointSet): number;
}

/**
 * Solver settings of the protocol's exact W2 ({@link ExactW2Options} but `dim`, which the protocol's own argument
 * sets): `neighbours`, the sparse solver's initial candidate edges per point. They change the time only: every value
 * gives the certified optimum, so the same figures.
 */
export type ProtocolW2Options = Omit<ExactW2Options, 'dim'>;

/** The exact-W2 options of a protocol call: the caller's solver settings (checked before any draw) and the protocol's `dim`. */
function protocolOptions(w2Options: ProtocolW2Options, dim: number): ExactW2Options {
  if (typeof w2Options !== 'object' || w2Options === null) throw new TypeMismatchError(`w2Options must be an object { neighbours? }, got ${typeLabel(w2Options)}`, 'w2Options');
  if (w2Options.neighbours === undefined) return { dim };
  assertNumber('w2Options.neighbours', w2Options.neighbours, { integer: true, min: 1 });
  return { dim, neighbours: w2Options.neighbours };
}

/**
 * The seeded samples of the evaluation protocol (method.md), the one place they are drawn: held-out data from
 * `Rng(seed + 1001)`, the floor's independent data sample from `Rng(seed + 2002)`, z from `Rng(seed + 3003)`; every
 * method of a run, the CLI, the examples and the benchmarks use these, so their W2 figures compare.
 *
 * @example
 * ```ts
 * import { getTarget } from '@charlearn/data';
 * const { heldOut, floor, z, w2 } = evaluationSamples(getTarget('swiss-roll'), 2000, 0);
 * w2(generated); // compare with floor
 * evaluationSamples(getTarget('swiss-roll'), 2000, 0, 2, { neighbours: 8 }).floor; // the same figure (the optimum is certified), sooner
 * ```
 */
export function evaluationSamples(target: PointSampler, n: number, seed: number, dim = 2, w2Options: ProtocolW2Options = {}): EvaluationSamples {
  const options = protocolOptions(w2Options, dim);
  const heldOut = target.sampleArray(n, new Rng(seed + 1001));
  const floor = exactW2(target.sampleArray(n, new Rng(seed + 2002)), heldOut, options);
  return { heldOut, floor, z: new Rng(seed + 3003).normalArray(n * dim), w2: (generated) => exactW2(generated, heldOut, options) };
}

/**
 * The same protocol against fixed held-out points (a data file's held-out rows, `data.holdout`) instead of fresh
 * draws: the reference is at most `n` of the held-out points (all of them when there are fewer; otherwise `n`
 * drawn without replacement from `Rng(seed + 1001)`), the floor's data sample is as many points of `train` from
 * `Rng(seed + 2002)`, z from `Rng(seed + 3003)`; `n` becomes the reference's size.
 *
 * @example
 * ```ts
 * const rows = new Rng(1).normalArray(2 * 200); // 200 held-out 2-D points
 * const { heldOut, floor, w2 } = heldOutEvaluationSamples(rows, { sampleArray: (n, r) => r.normalArray(2 * n) }, 2000, 0);
 * heldOut.length / 2; // 200 = min(2000, held-out rows)
 * ```
 */
export function heldOutEvaluationSamples(heldOutPoints: Float32Array, train: PointSampler, n: number, seed: number, dim = 2, w2Options: ProtocolW2Options = {}): EvaluationSamples {
  const options = protocolOptions(w2Options, dim);
  const rows = heldOutPoints.length / dim;
  let heldOut = heldOutPoints;
  if (rows > n) {
    const rng = new Rng(seed + 1001);
    const order = Array.from({ length: rows }, (_, i) => i);
    for (let i = 0; i < n; i++) {
      const j = i + rng.int(rows - i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    heldOut = new Float32Array(n * dim);
    for (let k = 0; k < n; k++) heldOut.set(heldOutPoints.subarray(order[k]! * dim, (order[k]! + 1) * dim), k * dim);
  }
  const m = heldOut.length / dim;
  const floor = exactW2(train.sampleArray(m, new Rng(seed + 2002)), heldOut, options);
  return { heldOut, floor, z: new Rng(seed + 3003).normalArray(m * dim), w2: (generated) => exactW2(generated, heldOut, options) };
}
