// node examples/web/scripts/time-default-run.mjs [query] (after npm run build -w web): the page's run in Debian's
// chromium on wasm (playwright-core, as test/browser/web-app.test.ts drives it), timed from the Train click (autorun)
// to "done": wall seconds and the mode check of the final one-step samples on 8 Gaussians
// (the page's 1,000 plotted points: share within 3 std of their nearest centre, least share of any of the 8 modes).
// Without a query it is the page's default run (src/run-config.mjs); `query` adds URL parameters (e.g.
// 'teacherSteps=800&distillSteps=150'). CHARLEARN_CHROMIUM overrides /usr/bin/chromium. A benchmark, not a test.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, serveStatic } from '../../../test/browser/static-server.mjs';
import { modeCheck } from './mode-check.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, '..', 'dist');
const query = process.argv[2] ?? '';
// served cross-origin isolated, as by Vite's preview server (vite.config.ts), so that `threads=2` can run
const server = await serveStatic(dist, { crossOriginIsolated: true });
const browser = await chromium.launch({ executablePath: process.env.CHARLEARN_CHROMIUM ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS], headless: true });
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 720 } });
  const load0 = os.loadavg()[0];
  await page.goto(`${server.url}/?backend=wasm&target=8gaussians${query ? `&${query}` : ''}`);
  await page.waitForFunction(() => window.charlearnApp?.webgpu != null, undefined, { timeout: 30_000 });
  const t0 = performance.now();
  await page.click('#train');
  // (the page answers between its training slices; its yields go first, so this polls coarsely)
  await page.waitForFunction(() => ['done', 'error', 'stopped'].includes(window.charlearnApp.progress.phase), undefined, { timeout: 600_000, polling: 100 });
  const seconds = (performance.now() - t0) / 1000;
  const end = await page.evaluate(() => ({ isolated: window.crossOriginIsolated, phase: window.charlearnApp.progress.phase, error: window.charlearnApp.error, samples: Array.from(window.charlearnApp.samples ?? []) }));
  const check = modeCheck(end.samples);
  console.log(JSON.stringify({ query, isolated: end.isolated, phase: end.phase, error: end.error, seconds: +seconds.toFixed(1), ...check, load1: [+load0.toFixed(1), +os.loadavg()[0].toFixed(1)] }));
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
} finally {
  await browser.close();
  await server.close();
}
