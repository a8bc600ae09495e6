// node packages/cli/bench/eval-profile.mjs --teacher-bin FILE [--neighbours 24,8] [--rounds 3] (after npm run build):
// where the seconds of `charlearn demo`'s evaluation go (docs/tuning.md). FILE is a teacher's weights as
// packages/cli/bench/tune-demo.mjs keeps them (out/tune-demo/teacher-<key>-<step>.bin, the demo preset's network).
// It runs the evaluation's teacher half on the CLI's evaluation samples (seed 0, eval.samples of the demo preset):
// each solver x NFE solve of the demo preset, timed, then the exact W2 of each solve's points against the held-out
// set with every --neighbours value (the sparse solver's initial candidate edges; the matching is certified optimal
// whatever the value, so the W2 must agree to the last bit, which this checks), alternating the order of the values
// round by round so that the load hits them alike; prints the total per value and each solve's medians.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { decodeTensors, useBackend } from '@charlearn/core';
import { getTarget } from '@charlearn/data';
import { CharacteristicTeacher, sampleTeacher } from '@charlearn/distill';
import { evaluationSamples, exactW2Plan } from '@charlearn/metrics';
import { createRunNetwork, defaultRunConfig, DEMO_PRESET } from '@charlearn/cli';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const teacherBin = opt('teacher-bin');
if (!teacherBin) throw new Error('--teacher-bin FILE is required (a teacher kept by tune-demo.mjs)');
const neighbours = opt('neighbours', '24,8').split(',').map(Number);
const rounds = Number(opt('rounds', '3'));
const config = defaultRunConfig();
const evalCfg = { ...config.eval, ...DEMO_PRESET.eval };

await useBackend('wasm');
const target = getTarget(DEMO_PRESET.data.target);
const t0 = performance.now();
const { heldOut } = evaluationSamples(target, evalCfg.samples, config.seed);
const protocolMs = performance.now() - t0;
const { z: zArr } = evaluationSamples(target, evalCfg.samples, config.seed);
const z = tf.tensor2d(zArr, [evalCfg.samples, 2]);
const net = createRunNetwork(config, [2]);
net.setWeights(decodeTensors(new Uint8Array(readFileSync(teacherBin))).arrays);
const frozen = new CharacteristicTeacher({ teacher: net, dataset: target, interpolant: config.interpolant });

const sets = [];
let solveMs = 0;
for (const solver of evalCfg.teacherSolvers) {
  for (const nfe of evalCfg.teacherNfe) {
    const s0 = performance.now();
    const r = sampleTeacher(frozen.teacherField, z, solver, nfe, { eps0: 0 });
    const pts = r.x.dataSync();
    r.x.dispose();
    const ms = performance.now() - s0;
    solveMs += ms;
    sets.push({ key: `${solver}@${r.nfe}`, pts, solveMs: ms });
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const per = new Map(sets.map((s) => [s.key, new Map(neighbours.map((k) => [k, []]))]));
const w2Of = new Map();
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...neighbours].reverse() : neighbours;
  for (const s of sets) {
    for (const k of order) {
      const a0 = performance.now();
      const res = exactW2Plan(s.pts, heldOut, { neighbours: k });
      per.get(s.key).get(k).push(performance.now() - a0);
      const id = `${s.key}`;
      if (!w2Of.has(id)) w2Of.set(id, res.w2);
      else if (w2Of.get(id) !== res.w2) console.log(`MISMATCH ${id} neighbours ${k}: ${res.w2} vs ${w2Of.get(id)}`);
      if (r === 0) s[`stats${k}`] = res.stats;
    }
  }
}
console.log(`load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; evaluationSamples (held-out draw + floor W2): ${protocolMs.toFixed(0)} ms; all ${sets.length} solves: ${solveMs.toFixed(0)} ms`);
console.log(`key                  solve ms  W2        ${neighbours.map((k) => `ms@${k}`.padStart(8) + ` rounds@${k}`).join(' ')}`);
const totals = new Map(neighbours.map((k) => [k, 0]));
for (const s of sets) {
  const cells = neighbours.map((k) => {
    const m = med(per.get(s.key).get(k));
    totals.set(k, totals.get(k) + m);
    return `${m.toFixed(0).padStart(8)} ${String(s[`stats${k}`].rounds).padStart(9)}${s[`stats${k}`].dense ? 'D' : ' '}`;
  });
  console.log(`${s.key.padEnd(20)} ${s.solveMs.toFixed(0).padStart(8)}  ${w2Of.get(s.key).toFixed(5)}  ${cells.join(' ')}`);
}
console.log(`total W2 ms (medians): ${neighbours.map((k) => `${k}: ${totals.get(k).toFixed(0)}`).join(', ')}`);
z.dispose();
net.dispose();
