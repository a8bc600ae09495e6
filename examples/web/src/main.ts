import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@charlearn/core';
import { getTarget, TARGET_NAMES } from '@charlearn/data';
import { selectPageBackend, webgpuStatus, type PageBackend, type WebGpuStatus } from './backends';
import { benchTrainingStep, type BenchResult } from './bench-step.mjs';
import { drawScatter } from './plot';
import { BrowserRun, runTraining, type Progress, type RunSettings } from './trainer';
import { WEB_DEFAULTS } from './run-config.mjs';

/** URL parameters (all optional): `?backend=wasm&target=8gaussians&teacherSteps=20&distillSteps=5&batch=64&hidden=64,64&plotEvery=5&points=500&autorun=1`. */
const params = new URLSearchParams(location.search);
const num = (key: string, fallback: number) => {
  const v = Number(params.get(key));
  return params.has(key) && Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  form: $<HTMLFormElement>('controls'),
  backend: $<HTMLSelectElement>('backend'),
  target: $<HTMLSelectElement>('target'),
  teacherSteps: $<HTMLInputElement>('teacher-steps'),
  distillSteps: $<HTMLInputElement>('distill-steps'),
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  sample: $<HTMLButtonElement>('sample'),
  note: $<HTMLParagraphElement>('backend-note'),
  plot: $<HTMLDivElement>('plot'),
  phase: $('phase'),
  step: $('step'),
  loss: $('loss'),
  rate: $('rate'),
  currentBackend: $('current-backend'),
};

/** What the end-to-end test (and the curious) can read: `window.charlearnApp`. */
export interface AppHook {
  progress: Progress;
  /** The latest one-step samples `[n, 2]`, flattened. */
  samples: Float32Array | null;
  /** How many times the plot was drawn. */
  draws: number;
  /** A hash of the plot's SVG after each draw (the e2e test checks that the plot changes). */
  frames: number[];
  /** The loss of every training step of the current run, per phase (same seeds on every backend). */
  losses: { teacher: number[]; distill: number[] };
  backend: string;
  webgpu: WebGpuStatus | null;
  error: string | null;
  /** Resolves when the current run ends, with its final phase. */
  finished: Promise<Progress['phase']> | null;
  sample(): Promise<Float32Array>;
  /** Times MLP training steps on `backend` with async loss reads (see bench-step.mjs, shared with test/bench/backends.mjs); shows the result on the page. */
  benchmark(options: { backend: PageBackend; batch: number; hidden: number[]; steps: number; warmup?: number; seed?: number }): Promise<BenchResult>;
}

const hook: AppHook = {
  progress: { phase: 'idle', step: 0, total: 0, loss: Number.NaN, stepsPerSecond: 0 },
  samples: null,
  draws: 0,
  frames: [],
  losses: { teacher: [], distill: [] },
  backend: '',
  webgpu: null,
  error: null,
  finished: null,
  sample: () => sampleNow(),
  benchmark: (options) => benchmark(options),
};
(window as unknown as { charlearnApp: AppHook }).charlearnApp = hook;

let run: BrowserRun | undefined;
let stopRequested = false;
let data: Float32Array = new Float32Array(0);

function settings(): RunSettings {
  return {
    teacherSteps: Math.max(1, Number(ui.teacherSteps.value) || 1),
    distillSteps: Math.max(1, Number(ui.distillSteps.value) || 1),
    batchSize: num('batch', WEB_DEFAULTS.batchSize),
    hidden: (params.get('hidden') ?? WEB_DEFAULTS.hidden.join(',')).split(',').map((s) => Math.max(1, Number(s) || 1)),
    plotPoints: num('points', 1000),
    plotEvery: num('plotEvery', 20),
  };
}

/** FNV-1a over the SVG's UTF-16 code units. */
function textHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** Draws happen one after another (each is asynchronous); `drawn` settles when the last one asked for is on the page. */
let drawn: Promise<void> = Promise.resolve();

function redraw(): Promise<void> {
  const points = data;
  const samples = hook.samples;
  drawn = drawn.then(async () => {
    const svg = await drawScatter(ui.plot, points, samples);
    hook.draws++;
    hook.frames.push(textHash(svg));
  });
  return drawn;
}

function showProgress(p: Progress): void {
  hook.progress = p;
  ui.phase.textContent = p.phase;
  ui.step.textContent = p.total ? `${p.step} / ${p.total}` : '–';
  ui.loss.textContent = Number.isFinite(p.loss) ? p.loss.toFixed(4) : '–';
  ui.rate.textContent = p.stepsPerSecond ? p.stepsPerSecond.toFixed(1) : '–';
}

function showData(): void {
  const target = getTarget(ui.target.value);
  data = target.sampleArray(settings().plotPoints, new Rng(123));
  void redraw();
}

async function sampleNow(): Promise<Float32Array> {
  if (!run?.teacher) throw new Error('train first');
  hook.samples = await run.sampleFresh();
  await redraw();
  return hook.samples;
}

async function benchmark(options: Parameters<AppHook['benchmark']>[0]): Promise<BenchResult> {
  const { backend, ...rest } = options;
  await selectPageBackend(backend);
  ui.currentBackend.textContent = tf.getBackend();
  const r = await benchTrainingStep(rest);
  const line = `benchmark on ${r.backend}: MLP ${rest.hidden.join('x')} (${r.parameters} parameters), batch ${rest.batch}: ${r.msPerStep.toFixed(1)} ms/step; losses ${r.losses.map((l) => l.toFixed(4)).join(', ')}`;
  const out = $('bench');
  out.hidden = false;
  out.textContent = line;
  return r;
}

function setBusy(busy: boolean): void {
  ui.train.disabled = busy;
  ui.stop.disabled = !busy;
  ui.backend.disabled = busy;
  ui.target.disabled = busy;
  ui.sample.disabled = busy || !run?.teacher;
}

async function train(): Promise<Progress['phase']> {
  hook.error = null;
  stopRequested = false;
  setBusy(true);
  try {
    await selectPageBackend(ui.backend.value as PageBackend);
    hook.backend = tf.getBackend();
    ui.currentBackend.textContent = hook.backend;
    run?.dispose();
    hook.samples = null;
    showData();
    run = new BrowserRun(getTarget(ui.target.value), settings());
    hook.losses = run.losses;
    const end = await runTraining(run, {
      onProgress: showProgress,
      onSamples: (xy) => {
        hook.samples = xy;
        void redraw();
      },
      shouldStop: () => stopRequested,
    });
    await drawn;
    showProgress({ ...hook.progress, phase: end });
    return end;
  } catch (e) {
    hook.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    ui.note.hidden = false;
    ui.note.textContent = hook.error;
    showProgress({ ...hook.progress, phase: 'error' });
    return 'error';
  } finally {
    setBusy(false);
  }
}

async function init(): Promise<void> {
  for (const name of TARGET_NAMES) ui.target.add(new Option(name, name));
  ui.target.value = params.get('target') ?? '8gaussians';
  ui.teacherSteps.value = String(num('teacherSteps', WEB_DEFAULTS.teacherSteps));
  ui.distillSteps.value = String(num('distillSteps', WEB_DEFAULTS.distillSteps));
  const webgpu = await webgpuStatus();
  hook.webgpu = webgpu;
  const gpuOption = ui.backend.querySelector<HTMLOptionElement>('option[value="webgpu"]')!;
  if (!webgpu.available) {
    gpuOption.disabled = true;
    gpuOption.textContent = 'webgpu (unavailable)';
    gpuOption.title = webgpu.note ?? '';
    ui.backend.value = 'wasm';
  }
  if (webgpu.note) {
    ui.note.hidden = false;
    ui.note.textContent = webgpu.note;
  }
  const wanted = params.get('backend');
  if (wanted === 'wasm' || (wanted === 'webgpu' && webgpu.available)) ui.backend.value = wanted;
  ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    hook.finished = train();
  });
  ui.stop.addEventListener('click', () => (stopRequested = true));
  ui.sample.addEventListener('click', () => void sampleNow());
  ui.target.addEventListener('change', showData);
  showData();
  if (params.get('autorun') === '1') hook.finished = train();
}

void init();
