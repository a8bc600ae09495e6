// The "resolved" check of the web app's 8-Gaussians run, shared by tune-defaults.mjs (Node) and
// time-default-run.mjs (Chromium): pure numbers on plain arrays, no tensors.

/** 8 Gaussians in the page's normalised coordinates: centres 2(cos, sin)(2πk/8) over the stored std, std 0.1 of it. */
const STD = [1.417506768457922, 1.417982034398435];
const MEAN = [0.0024980723935246387, -0.0003293899562696995];

/** The 8 centres `[x, y]` in normalised coordinates. */
export const CENTRES = Object.freeze(
  Array.from({ length: 8 }, (_, k) => Object.freeze([(2 * Math.cos((2 * Math.PI * k) / 8) - MEAN[0]) / STD[0], (2 * Math.sin((2 * Math.PI * k) / 8) - MEAN[1]) / STD[1]])),
);

/** 3 standard deviations of one mode (0.1 in data units) in normalised units. */
export const NEAR_RADIUS = (3 * 0.1) / STD[0];

/**
 * All 8 Gaussians count as resolved when at least `minNear` of the samples lie within {@link NEAR_RADIUS} of their
 * nearest centre (the data itself: 0.99; an octagon ring joining the modes: ~0.5) and every mode holds at least
 * `minMode` of them (0.125 when all 8 are even; a missing mode: 0).
 */
export const RESOLVED = Object.freeze({ minNear: 0.85, minMode: 0.08 });

/**
 * The mode check of points `xy` (`[n, 2]` flattened): `nearShare` (share within 3 std of the nearest centre),
 * `leastMode` (the least share any of the 8 modes gets), and `resolved` (both at least {@link RESOLVED}'s).
 *
 * @param {ArrayLike<number>} xy
 * @returns {{ nearShare: number; leastMode: number; resolved: boolean }}
 */
export function modeCheck(xy) {
  const n = xy.length / 2;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`modeCheck: expected [n, 2] points flattened, got ${xy.length} numbers`);
  const counts = new Array(8).fill(0);
  let near = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let k = 0;
    CENTRES.forEach(([cx, cy], j) => {
      const d = Math.hypot(xy[2 * i] - cx, xy[2 * i + 1] - cy);
      if (d < best) [best, k] = [d, j];
    });
    if (best < NEAR_RADIUS) {
      near++;
      counts[k]++;
    }
  }
  const nearShare = near / n;
  const leastMode = Math.min(...counts) / n;
  return { nearShare, leastMode, resolved: nearShare >= RESOLVED.minNear && leastMode >= RESOLVED.minMode };
}
