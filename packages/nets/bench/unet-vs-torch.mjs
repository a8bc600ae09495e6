// The MNIST U-Net's training step, ours on wasm vs the same network in PyTorch on this CPU, in one run:
//
//   npm run build && node packages/nets/bench/unet-vs-torch.mjs
//
// Ours: `unet-step.mjs` (BENCH_ONLY=unet, channels 16, multipliers [1, 2, 2], attention at 7, batch 64; one wasm
// thread, the only kind Node has). Reference: `unet_step_torch.py`, the same network layer for layer in PyTorch
// (Debian's python3-torch; `apt-get install python3-torch`), at 1 thread (like ours) and at 2 (all this machine's
// cores; PYTHON names the interpreter, default /usr/bin/python3). Both: EDM denoiser matching on the Föllmer path, backward, Adam; median of BENCH_STEPS (default 5) steps.
// The parameter counts must agree (the script stops if they do not).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const steps = process.env.BENCH_STEPS ?? '5';
const channels = process.env.BENCH_CHANNELS ?? '16';
// Debian's python3-torch installs for the system interpreter; PYTHON overrides.
const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

function torch(threads) {
  try {
    const out = execFileSync(python, [join(here, 'unet_step_torch.py'), '--channels', channels, '--batch', '64', '--steps', steps, '--threads', String(threads)], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').at(-1));
  } catch (e) {
    console.error(`PyTorch reference failed (is python3-torch installed? apt-get install python3-torch): ${e.message}`);
    process.exit(1);
  }
}

const ours = execFileSync(process.execPath, [join(here, 'unet-step.mjs')], {
  encoding: 'utf8',
  env: { ...process.env, BENCH_ONLY: 'unet', BENCH_CHANNELS: channels, BENCH_STEPS: steps, BENCH_BACKENDS: 'wasm' },
});
const m = /([\d,]+) parameters; forward (\d+) ms .*train step (\d+) ms/.exec(ours);
if (!m) throw new Error(`could not read unet-step.mjs's output:\n${ours}`);
const mine = { parameters: Number(m[1].replaceAll(',', '')), forwardMs: Number(m[2]), stepMs: Number(m[3]) };
const t1 = torch(1);
const t2 = torch(2);
if (t1.parameters !== mine.parameters) throw new Error(`parameter counts differ: ours ${mine.parameters}, PyTorch ${t1.parameters}`);
const rows = [
  ['charlearn, wasm (1 thread)', mine],
  [`PyTorch ${t1.torch}, 1 thread`, t1],
  [`PyTorch ${t2.torch}, 2 threads`, t2],
];
console.log(`U-Net 28x28x1, channels ${channels}, [1, 2, 2], attention at 7: ${mine.parameters.toLocaleString('en-US')} parameters, batch 64, median of ${steps}`);
console.log('| runtime | forward (ms) | training step (ms) | step vs ours |');
console.log('|---|---:|---:|---:|');
for (const [name, r] of rows) console.log(`| ${name} | ${r.forwardMs.toFixed(0)} | ${r.stepMs.toFixed(0)} | ${(r.stepMs / mine.stepMs).toFixed(2)}x |`);
