// node examples/web/scripts/bench-chromium-vs-node.mjs [batch] [hidden] [rounds] (after npm run build -w web): the
// page's MLP teacher step (src/bench-step.mjs: forward, backward, Adam, an async loss read) timed alternating in
// headless Chromium (window.charlearnApp.benchmark, wasm) and in Node (the same module on @charlearn/backend-wasm),
// `rounds` rounds of 20 steps each, so that the shared machine's load falls on both alike. Prints ms a step of each
// and their ratio. `threads=2` as a 4th argument runs the page with ?threads=2. A benchmark, not a test.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { chromium } from 'playwright-core';
import '@charlearn/backend-wasm';
import { useBackend } from '@charlearn/core';
import { CHROMIUM_ARGS, serveStatic } from '../../../test/browser/static-server.mjs';
import { benchTrainingStep } from '../src/bench-step.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const batch = Number(process.argv[2] ?? 1024);
const hidden = (process.argv[3] ?? '64,64,64').split(',').map(Number);
const rounds = Number(process.argv[4] ?? 3);
const query = process.argv[5] ?? '';
await useBackend('wasm');
const server = await serveStatic(resolve(here, '..', 'dist'), { crossOriginIsolated: true });
const browser = await chromium.launch({ executablePath: process.env.CHARLEARN_CHROMIUM ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS], headless: true });
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/?backend=wasm${query ? `&${query}` : ''}`);
  await page.waitForFunction(() => window.charlearnApp?.webgpu != null, undefined, { timeout: 30_000 });
  const load0 = os.loadavg()[0];
  const times = { chromium: [], node: [] };
  for (let r = 0; r < rounds; r++) {
    const c = await page.evaluate((o) => window.charlearnApp.benchmark(o), { backend: 'wasm', batch, hidden, steps: 20, warmup: 3 });
    times.chromium.push(c.msPerStep);
    const n = await benchTrainingStep({ batch, hidden, steps: 20, warmup: 3 });
    times.node.push(n.msPerStep);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [c, n] = [median(times.chromium), median(times.node)];
  console.log(JSON.stringify({ batch, hidden, query, chromiumMs: +c.toFixed(2), nodeMs: +n.toFixed(2), ratio: +(c / n).toFixed(2), times, load1: [+load0.toFixed(1), +os.loadavg()[0].toFixed(1)] }));
} finally {
  await browser.close();
  await server.close();
}
