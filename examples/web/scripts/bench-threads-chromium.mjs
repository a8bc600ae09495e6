// node examples/web/scripts/bench-threads-chromium.mjs [batch] [hidden] [rounds] (after npm run build -w web): the
// page's MLP teacher step (src/bench-step.mjs, window.charlearnApp.benchmark) on wasm in two pages of one headless
// Chromium, one on 1 thread and one with ?threads=2 (served cross-origin isolated, as Vite's preview server does),
// timed alternating: `rounds` rounds of 20 steps each. Prints ms a step of each and the ratio. A benchmark, not a test.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, serveStatic } from '../../../test/browser/static-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const batch = Number(process.argv[2] ?? 1024);
const hidden = (process.argv[3] ?? '64,64,64').split(',').map(Number);
const rounds = Number(process.argv[4] ?? 3);
const server = await serveStatic(resolve(here, '..', 'dist'), { crossOriginIsolated: true });
const browser = await chromium.launch({ executablePath: process.env.CHARLEARN_CHROMIUM ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS], headless: true });
try {
  const pages = {};
  for (const threads of [1, 2]) {
    const page = await browser.newPage();
    await page.goto(`${server.url}/?backend=wasm&threads=${threads}`);
    await page.waitForFunction(() => window.charlearnApp?.webgpu != null, undefined, { timeout: 30_000 });
    pages[threads] = page;
  }
  const load0 = os.loadavg()[0];
  const times = { 1: [], 2: [] };
  for (let r = 0; r < rounds; r++) {
    for (const threads of [1, 2]) {
      const res = await pages[threads].evaluate((o) => window.charlearnApp.benchmark(o), { backend: 'wasm', batch, hidden, steps: 20, warmup: 3 });
      times[threads].push(res.msPerStep);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [one, two] = [median(times[1]), median(times[2])];
  const isolated = await pages[2].evaluate(() => window.crossOriginIsolated);
  console.log(JSON.stringify({ batch, hidden, isolated, oneThreadMs: +one.toFixed(2), twoThreadsMs: +two.toFixed(2), ratio: +(two / one).toFixed(2), times, load1: [+load0.toFixed(1), +os.loadavg()[0].toFixed(1)] }));
} finally {
  await browser.close();
  await server.close();
}
