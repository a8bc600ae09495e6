// node packages/cli/bench/few-step-times.mjs <run folder> (after npm run build and a 2-D characteristic run, e.g.
// `npm run demo`): the one-step W2 of the run's generator chained over other time sequences than the sampler's
// (`sampleFlowMap`'s uniform times with a last jump 1 - eps1 -> 1): uniform times without that jump, and points of
// the distillation grid itself (the only (t, s) pairs the generator was trained on). Exact W2 against the evaluation's
// held-out draws (seed 0, 2,000 points), as `charlearn eval`. docs/tuning.md ("Seventh session") has a run.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { useBackend, timesLike, tausLike } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { CharacteristicDistiller } from '@charlearn/distill';
import { loadCheckpoint } from '@charlearn/distill/node';
import { evaluationSamples } from '@charlearn/metrics';
await useBackend('wasm');
const dir = process.argv[2];
if (!dir) throw new Error('usage: node packages/cli/bench/few-step-times.mjs <run folder with generator.ckpt>');
const target = getTarget(JSON.parse(readFileSync(`${dir}/config.json`, 'utf8')).data?.target ?? 'swiss-roll');
const ckpt = await loadCheckpoint(`${dir}/generator.ckpt`, 'distill');
const d = CharacteristicDistiller.fromCheckpoint(ckpt, target);
const grid = d.grid;
console.log('grid', grid.map((t) => t.toFixed(3)).join(' '));
const ev = evaluationSamples(target, 2000, 0, 2);
const z = tf.tensor2d(ev.z, [2000, 2]);
const g = d.flowMap();
function run(times) {
  let x = z;
  for (let k = 0; k + 1 < times.length; k++) {
    const [t, s] = [times[k], times[k + 1]];
    const nx = tf.tidy(() => g(x, timesLike(x, t), timesLike(x, s), tausLike(x, t), tausLike(x, s)));
    if (x !== z) x.dispose();
    x = nx;
  }
  const pts = x.dataSync(); x.dispose();
  return ev.w2(pts);
}
const eps0 = 1e-3, eps1 = 1e-3;
/** Times at grid indices (this assumes the demo's 12-point grid plus t = 1: indices 0 to 12). */
const G = (...ix) => ix.map((i) => grid[Math.min(i, grid.length - 1)]);
const variants = {
  '1 (eps0->1)': [eps0, 1],
  'sampler 2 (uniform: eps0, 1-eps1, 1)': [eps0, 1 - eps1, 1],
  'sampler 4 (uniform: eps0, 1/3, 2/3, 1-eps1, 1)': [eps0, eps0 + (1 - eps1 - eps0) / 3, eps0 + 2 * (1 - eps1 - eps0) / 3, 1 - eps1, 1],
  '2 uniform (eps0, .5, 1)': [eps0, 0.5, 1],
  '3 uniform (eps0, 1/3, 2/3, 1)': [eps0, 1 / 3, 2 / 3, 1],
  '4 uniform (eps0, .25, .5, .75, 1)': [eps0, 0.25, 0.5, 0.75, 1],
  '2 grid (0, 6, 12)': G(0, 6, 12),
  '2 grid (0, 4, 12)': G(0, 4, 12),
  '3 grid (0, 4, 8, 12)': G(0, 4, 8, 12),
  '4 grid (0, 3, 6, 9, 12)': G(0, 3, 6, 9, 12),
  '4 grid (0, 2, 4, 7, 12)': G(0, 2, 4, 7, 12),
  '4 grid (0, 1, 3, 5, 12)': G(0, 1, 3, 5, 12),
};
for (const [k, v] of Object.entries(variants)) console.log(k.padEnd(50), run(v).toFixed(4), v.map((t) => t.toFixed(3)).join(' '));
console.log('floor', ev.floor.toFixed(4));
