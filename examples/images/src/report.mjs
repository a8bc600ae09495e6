// images/report: the teacher loss curves of the documented runs (U-Net and DiT) as one PNG, read from the
// runs' logs (train.mjs prints the loss of every 25th step; a resumed run's repeated steps keep the last value).
//
//   node examples/images/src/report.mjs out/images-mnist.log out/images-dit.log docs/images-losses.png
import { readFileSync, writeFileSync } from 'node:fs';
import { PALETTE, lineChartFigure } from '@charlearn/plots';
import { figureToPng } from '@charlearn/plots/png';

const [unetLog = 'out/images-mnist.log', ditLog = 'out/images-dit.log', target = 'docs/images-losses.png'] = process.argv.slice(2);
/** @param {string} path */
function curve(path) {
  /** @type {Map<number, number>} */
  const byStep = new Map();
  for (const m of readFileSync(path, 'utf8').matchAll(/^teacher (\d+)\/\d+\s+loss ([\d.]+)/gm)) byStep.set(Number(m[1]), Number(m[2]));
  const steps = [...byStep.keys()].sort((a, b) => a - b);
  return { xs: steps, ys: steps.map((s) => byStep.get(s) ?? NaN) };
}
/** @type {import('@charlearn/plots').LineSeries[]} */
const series = [
  { label: 'U-Net teacher (batch 64)', ...curve(unetLog), color: PALETTE[0] ?? '#1f77b4' },
  { label: 'DiT teacher (batch 32)', ...curve(ditLog), color: PALETTE[1] ?? '#ff7f0e' },
];
writeFileSync(target, (await figureToPng(lineChartFigure(series, { title: 'MNIST teacher loss (EDM-weighted; every 25th step)', xLabel: 'step', yLabel: 'loss', logY: true }), { scale: 1.5 })).png);
console.log(`wrote ${target}`);
