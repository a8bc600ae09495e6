// Training-step time per backend, in one run: wasm, cpu and webgpu (Dawn + SwiftShader) in Node,
// then wasm and webgpu (SwiftShader) in headless Debian chromium through the built examples/web app.
// The step: charlearn's teacher step (MLP denoiser 2 -> hidden -> 2 with a 64-d time embedding,
// EDM denoiser matching, Adam), loss read asynchronously; examples/web/src/bench-step.mjs, shared
// with the app so both runtimes time the same code.
//
//   npm run build && node test/bench/backends.mjs            (a few minutes; SwiftShader is slow)
//   STEPS=5 node test/bench/backends.mjs                     (more timed steps)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '@charlearn/core';
import { registerAllGradients } from '@charlearn/backend-wasm';
import { configureWebGpuBackend, webgpuDiagnostics } from '@charlearn/backend-webgpu';
import { chromium } from 'playwright-core';
import { benchTrainingStep } from '../../examples/web/src/bench-step.mjs';
import { CHROMIUM_ARGS, serveStatic } from '../browser/static-server.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const STEPS = Number(process.env.STEPS ?? 3);
const CONFIGS = [
  { name: 'MLP 256x3, batch 1024', hidden: [256, 256, 256], batch: 1024 },
  { name: 'MLP 256x3, batch 64', hidden: [256, 256, 256], batch: 64 },
];

/** @type {{ runtime: string, backend: string, config: string, ms: number | string }[]} */
const rows = [];

async function node(backend) {
  if (backend === 'cpu') {
    registerAllGradients();
    await tf.setBackend('cpu');
  } else {
    await useBackend(backend);
  }
  for (const c of CONFIGS) {
    const steps = backend === 'cpu' ? Math.max(1, Math.min(STEPS, 2)) : STEPS;
    const r = await benchTrainingStep({ batch: c.batch, hidden: c.hidden, steps, warmup: 1 });
    rows.push({ runtime: 'Node', backend: r.backend, config: c.name, ms: r.msPerStep });
    console.error(`Node ${r.backend} ${c.name}: ${r.msPerStep.toFixed(1)} ms/step (${r.parameters} parameters)`);
  }
}

async function browser() {
  const dist = join(repo, 'examples', 'web', 'dist');
  if (!existsSync('/usr/bin/chromium') || !existsSync(join(dist, 'index.html'))) {
    console.error('skipping chromium: needs /usr/bin/chromium and a built examples/web (npm run build -w web)');
    return;
  }
  const server = await serveStatic(dist);
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS] });
  try {
    const page = await b.newPage();
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => window.charlearnApp?.webgpu != null, undefined, { timeout: 60_000 });
    const adapter = await page.evaluate(() => window.charlearnApp.webgpu);
    console.error(`chromium ${await b.version()}: webgpu ${JSON.stringify(adapter)}`);
    for (const backend of ['wasm', 'webgpu']) {
      for (const c of CONFIGS) {
        const r = await page.evaluate((o) => window.charlearnApp.benchmark(o), { backend, batch: c.batch, hidden: c.hidden, steps: STEPS, warmup: 1 });
        rows.push({ runtime: 'Chromium', backend: r.backend, config: c.name, ms: r.msPerStep });
        console.error(`Chromium ${r.backend} ${c.name}: ${r.msPerStep.toFixed(1)} ms/step`);
      }
    }
  } finally {
    await b.close();
    await server.close();
  }
}

configureWebGpuBackend({ log: null });
const gpu = await webgpuDiagnostics();
console.error(`Node webgpu: ${gpu.available ? [gpu.adapter?.vendor, gpu.adapter?.architecture, gpu.adapter?.description].join(' / ') : gpu.reason}`);
await node('wasm');
await node('cpu');
if (gpu.available) await node('webgpu');
await browser();

const cfgs = CONFIGS.map((c) => c.name);
const keys = [...new Set(rows.map((r) => `${r.runtime}|${r.backend}`))];
console.log(`\n${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${STEPS} timed steps after 1 warm-up (cpu: ${Math.min(STEPS, 2)})\n`);
console.log(`| runtime | backend | ${cfgs.join(' | ')} |`);
console.log(`|---|---|${cfgs.map(() => '---:').join('|')}|`);
for (const k of keys) {
  const [runtime, backend] = k.split('|');
  const cells = cfgs.map((c) => {
    const r = rows.find((x) => x.runtime === runtime && x.backend === backend && x.config === c);
    return r ? `${Number(r.ms).toFixed(0)} ms` : '-';
  });
  console.log(`| ${runtime} | ${backend} | ${cells.join(' | ')} |`);
}
process.exit(0);
