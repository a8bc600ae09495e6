import { ValueRangeError } from '@charlearn/core';
import { checkerboardRaw } from './checkerboard';
import { eightGaussiansRaw } from './eight-gaussians';
import { gmmMoments, gmmNormalisedMixture, gmmRawMixture } from './gmm';
import type { Normalisation2D } from './normalisation';
import { swissRollRaw } from './swiss-roll';
import { createTarget, type GmmTarget, type Target2D, type TargetName } from './target';
import { twoMoonsRaw } from './two-moons';

/** The names {@link getTarget} accepts. */
export const TARGET_NAMES: readonly TargetName[] = Object.freeze(['swiss-roll', '8gaussians', 'checkerboard', 'two-moons', 'gmm'] as const);

/**
 * The stored normalisation of the sampled targets: per-coordinate mean and
 * population std of `empiricalNormalisation(raw sampler)`, i.e. of
 * 10⁶ points drawn with `new Rng(NORMALISATION_SEED)`. Stored rather than
 * computed on first use (that costs 50–180 ms a target); the test suite
 * recomputes them and checks agreement to 1e-4 (they agree exactly).
 * `gmm` needs none: its moments are exact ({@link gmmMoments}).
 */
export const STORED_NORMALISATION: Readonly<Record<Exclude<TargetName, 'gmm'>, Normalisation2D>> = Object.freeze({
  'swiss-roll': { mean: [2.0066146716614277, 0.22099099833098126], std: [6.618276658703957, 6.95626110579679] },
  '8gaussians': { mean: [0.0024980723935246387, -0.0003293899562696995], std: [1.417506768457922, 1.417982034398435] },
  checkerboard: { mean: [-0.0006152143048614704, 0.0015436318758476973], std: [1.1554618646529826, 1.1542389040496133] },
  'two-moons': { mean: [0.5000424783948145, 0.2492889688581653], std: [0.8679880703068881, 0.4964946071181327] },
});

const RAW_SAMPLERS = {
  'swiss-roll': swissRollRaw,
  '8gaussians': eightGaussiansRaw,
  checkerboard: checkerboardRaw,
  'two-moons': twoMoonsRaw,
} as const;

const DESCRIPTIONS: Readonly<Record<TargetName, string>> = {
  'swiss-roll': 'swiss roll: t = 1.5π(1 + 2u), (t cos t, t sin t) + 0.1·N(0, I)',
  '8gaussians': '8 equal-weight N(2·(cos 2πk/8, sin 2πk/8), 0.1²·I)',
  checkerboard: '4×4 checkerboard on [-2, 2]², the 8 cells with i + j even filled uniformly',
  'two-moons': "scikit-learn's make_moons with noise 0.05 (θ ~ U[0, π], fair coin per moon)",
  gmm: 'Gaussian mixture: centre (w 0.36) + pinwheel of 4 at (2, 1) rotated by 90° (w 0.16 each), std 0.3; exact denoiser',
};

const cache = new Map<TargetName, Target2D>();

function build(name: TargetName): Target2D {
  if (name === 'gmm') {
    const raw = gmmRawMixture();
    const exact = gmmNormalisedMixture();
    const base = createTarget({ name, description: DESCRIPTIONS.gmm, sampleRaw: (n, rng) => raw.sample(n, rng), normalisation: gmmMoments() });
    const gmm: GmmTarget = Object.freeze({ ...base, name: 'gmm' as const, exact, raw });
    return gmm;
  }
  return createTarget({ name, description: DESCRIPTIONS[name], sampleRaw: RAW_SAMPLERS[name], normalisation: STORED_NORMALISATION[name] });
}

/**
 * A built-in 2-D target by name (one shared, frozen instance per name).
 * Throws a {@link ValueRangeError} listing {@link TARGET_NAMES} for an unknown name.
 *
 * @example
 * ```ts
 * const moons = getTarget('two-moons');
 * const x = moons.sampleArray(2000, new Rng(1)); // Float32Array(4000), normalised
 * const gmm = getTarget('gmm');                  // GmmTarget: gmm.exact.denoise(...)
 * ```
 */
export function getTarget(name: 'gmm'): GmmTarget;
export function getTarget(name: string): Target2D;
export function getTarget(name: string): Target2D {
  if (typeof name !== 'string' || !(TARGET_NAMES as readonly string[]).includes(name)) {
    const shown = typeof name === 'string' ? `'${name}'` : String(name);
    throw new ValueRangeError(`unknown target ${shown}; name must be one of ${TARGET_NAMES.map((n) => `'${n}'`).join(', ')}`, 'name');
  }
  const key = name as TargetName;
  let t = cache.get(key);
  if (!t) cache.set(key, (t = build(key)));
  return t;
}
