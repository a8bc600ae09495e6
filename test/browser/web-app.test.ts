// End to end: the built examples/web app in Debian's chromium (playwright-core, no browser download),
// a short live training run on wasm and on webgpu (SwiftShader), plot updates, finite one-step samples.
// Screenshots: CHARLEARN_SCREENSHOTS=1 writes docs/web-wasm.png and docs/web-webgpu.png; otherwise a temp dir.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, serveStatic } from './static-server.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(repo, 'examples', 'web', 'dist');
const CHROMIUM = process.env.CHARLEARN_CHROMIUM ?? '/usr/bin/chromium';
const forDocs = process.env.CHARLEARN_SCREENSHOTS === '1';
const screenshotDir = forDocs ? join(repo, 'docs') : mkdtempSync(join(tmpdir(), 'charlearn-web-'));
// Tiny runs for the test; a longer one when the screenshot is for the docs (~15 s on wasm).
const RUN = forDocs ? 'teacherSteps=500&distillSteps=120&batch=256&hidden=128,128&plotEvery=20&points=400' : 'teacherSteps=40&distillSteps=10&batch=64&hidden=32,32&plotEvery=10&points=400';

interface AppState {
  phase: string;
  step: number;
  total: number;
  draws: number;
  frames: number[];
  backend: string;
  error: string | null;
  webgpu: { available: boolean; trainable: boolean; note: string | undefined } | null;
  samples: number[] | null;
}

const readState = (page: Page): Promise<AppState> =>
  page.evaluate(() => {
    const app = (window as unknown as { charlearnApp: Record<string, unknown> & { progress: { phase: string; step: number; total: number }; samples: Float32Array | null } }).charlearnApp;
    return {
      phase: app.progress.phase,
      step: app.progress.step,
      total: app.progress.total,
      draws: app.draws as number,
      frames: [...(app.frames as number[])],
      backend: app.backend as string,
      error: app.error as string | null,
      webgpu: app.webgpu as AppState['webgpu'],
      samples: app.samples ? Array.from(app.samples) : null,
    };
  });

const canvasPixels = (page: Page): Promise<string> => page.evaluate(() => (document.getElementById('plot') as HTMLCanvasElement).toDataURL('image/png'));

let browser: Browser;
let server: Awaited<ReturnType<typeof serveStatic>>;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium not found at ${CHROMIUM}: the browser test needs Debian's chromium (apt-get install chromium; .ci/run installs it) or CHARLEARN_CHROMIUM=/path/to/chrome`);
  }
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`${dist} is not built: npm run build -w web`);
  mkdirSync(screenshotDir, { recursive: true });
  server = await serveStatic(dist);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS], headless: true });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function trainOn(backend: 'wasm' | 'webgpu'): Promise<void> {
  const page = await browser.newPage({ viewport: { width: 900, height: 720 } });
  const consoleErrors: string[] = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  try {
    const query = `backend=${backend}&target=8gaussians&${RUN}&autorun=1`;
    await page.goto(`${server.url}/?${query}`);
    await page.waitForFunction(() => (window as unknown as { charlearnApp?: { draws: number } }).charlearnApp?.draws! >= 2, undefined, { timeout: 20_000 });
    const early = await readState(page);
    if (backend === 'webgpu') expect(early.webgpu?.available, early.webgpu?.note).toBe(true);
    await page.waitForFunction(() => ['done', 'error', 'stopped'].includes((window as unknown as { charlearnApp: { progress: { phase: string } } }).charlearnApp.progress.phase), undefined, {
      timeout: forDocs ? 100_000 : 40_000,
    });
    const end = await readState(page);
    expect(end.error).toBeNull();
    expect(end.phase).toBe('done');
    expect(end.backend).toBe(backend);
    expect(end.draws).toBeGreaterThan(early.draws);
    // the plot was redrawn during training (every plotEvery steps), and its pixels changed: frames[0]
    // is the data alone (drawn on load), the training frames show the samples over it. (Successive
    // training frames may be pixel-identical: a 32x32 net barely moves its samples in 10 steps.)
    const dataOnly = end.frames[0];
    const withSamples = end.frames.filter((f) => f !== dataOnly);
    expect(withSamples.length).toBeGreaterThanOrEqual(5);
    expect(end.frames.at(-1)).not.toBe(dataOnly);
    expect(end.samples).not.toBeNull();
    expect(end.samples!.length).toBe(400 * 2);
    expect(end.samples!.every(Number.isFinite)).toBe(true);
    // the "sample" button draws fresh one-step samples
    const fresh = await page.evaluate(async () => Array.from(await (window as unknown as { charlearnApp: { sample(): Promise<Float32Array> } }).charlearnApp.sample()));
    expect(fresh.length).toBe(800);
    expect(fresh.every(Number.isFinite)).toBe(true);
    expect(fresh).not.toEqual(end.samples);
    const after = await readState(page);
    expect(after.frames.length).toBe(end.frames.length + 1);
    expect(after.frames.at(-1)).not.toBe(end.frames.at(-1));
    expect(await canvasPixels(page)).toMatch(/^data:image\/png;base64,/);
    await page.screenshot({ path: join(screenshotDir, `web-${backend}.png`), fullPage: true });
    expect(consoleErrors).toEqual([]);
  } finally {
    await page.close();
  }
}

interface Bench {
  msPerStep: number;
  losses: number[];
  backend: string;
}

const bench = (page: Page, backend: 'wasm' | 'webgpu'): Promise<Bench> =>
  page.evaluate(
    (b) =>
      (window as unknown as { charlearnApp: { benchmark(o: object): Promise<Bench> } }).charlearnApp.benchmark({ backend: b, batch: 32, hidden: [32, 32], steps: 3, warmup: 0, seed: 5 }),
    backend,
  );

describe('examples/web in chromium', () => {
  it('trains on wasm: progress, live plot, finite one-step samples', async () => {
    await trainOn('wasm');
  }, 120_000);

  it('webgpu: trains like wasm where WebGPU reads back synchronously; else says why, and its async-read training steps match wasm', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 720 } });
    try {
      await page.goto(`${server.url}/?target=8gaussians&points=400`);
      await page.waitForFunction(() => (window as unknown as { charlearnApp?: { webgpu: unknown } }).charlearnApp?.webgpu != null, undefined, { timeout: 20_000 });
      const { webgpu } = await readState(page);
      expect(webgpu?.available, webgpu?.note).toBe(true);
      const option = page.locator('#backend option[value="webgpu"]');
      if (webgpu!.trainable) {
        await page.close();
        await trainOn('webgpu');
        return;
      }
      // SwiftShader in headless Chromium: the option is disabled and the page says why.
      expect(await option.isDisabled()).toBe(true);
      expect(webgpu!.note).toMatch(/cannot read GPU data back synchronously/);
      expect(await page.locator('#backend-note').innerText()).toContain('cannot read GPU data back synchronously');
      // Training steps on WebGPU with async reads: same seed as on wasm, same losses (float32, different summation order).
      const onWasm = await bench(page, 'wasm');
      const onGpu = await bench(page, 'webgpu');
      expect(onGpu.backend).toBe('webgpu');
      expect(onWasm.backend).toBe('wasm');
      expect(onGpu.losses.length).toBe(3);
      onGpu.losses.forEach((l, i) => {
        expect(Number.isFinite(l)).toBe(true);
        expect(Math.abs(l - onWasm.losses[i]!) / Math.abs(onWasm.losses[i]!)).toBeLessThan(1e-4);
      });
      expect(onGpu.losses[2]).not.toBe(onGpu.losses[0]);
      await page.screenshot({ path: join(screenshotDir, 'web-webgpu.png'), fullPage: true });
    } finally {
      if (!page.isClosed()) await page.close();
    }
  }, 60_000);
});
