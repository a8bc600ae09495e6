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
