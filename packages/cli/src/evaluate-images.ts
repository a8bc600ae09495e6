/**
 * `charlearn eval` on image data: the feature-net Fréchet distance `FD(charlearn-<data>-cnn)` (never "FID": the
 * features are those of a small classifier trained in the project, shipped in `@charlearn/metrics`) of the
 * one-step generator, the few-step generator and the teacher at every solver × NFE budget of `eval`, against the
 * test split; the data-vs-data floor; sampling times; and one figure of sample grids (`samples.png`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { Rng } from '@charlearn/core';
import { sampleTeacher, type CharacteristicDistiller, type OneStepTrainer } from '@charlearn/distill';
import { computeFD, featureNetStats, imageGrid, loadFeatureNet, type FeatureNet } from '@charlearn/metrics';
import type { ImageSet } from '@charlearn/data/images';
import { writeFileAtomic } from './atomic';
import { imagePanelsFigure, type ImagePanel } from '@charlearn/plots';
import { saveFigurePng } from './figures';
import { runFiles, runPath, type RunContext } from './runtime';
import type { ImagesData } from './run-data';

/** The figures `metrics.json` holds for a run on image data. */
export interface ImageEvalMetrics {
  /** `'characteristic'` (teacher, then distillation) or the teacher-free objective's name. */
  method: string;
  run: string;
  /** The data set, e.g. `'mnist'`. */
  data: string;
  backend: string;
  seed: number;
  /** Generated images per sampler, and test images in the reference. */
  samples: number;
  /** The distance's name, e.g. `'FD(charlearn-mnist-cnn)'`. */
  metric: string;
  fd: {
    /** One network evaluation of the generator. */
    oneStep: number;
    /** Characteristic generator chained over k grid intervals, keyed by k (`{}` for teacher-free methods). */
    fewStep: Record<string, number>;
    /** Teacher ODE samples keyed `"<solver>@<nfe>"` (NFE actually used); `{}` for teacher-free methods. */
    teacher: Record<string, number>;
    /** The teacher's best figure and its key (`null` without a teacher). */
    teacherBest: { key: string; fd: number } | null;
    /** `samples` training images against the same test images. */
    floor: number;
  };
  ratios: {
    /** FD of the one-step generator over the floor. */
    oneStepOverFloor: number;
    /** FD of the one-step generator over the teacher's best (`null` without a teacher). */
    oneStepOverTeacherBest: number | null;
    /** FD of the one-step generator over the best teacher sampler at 1 NFE (`null` when none was evaluated). */
    oneStepOverTeacherOneNfe: number | null;
  };
  sampling: {
    /** Seconds to generate `samples` images, per sampler key (`generator@k`, `<solver>@<nfe>`). */
    seconds: Record<string, number>;
    oneStepPerSec: number;
    /** The teacher at its largest evaluated budget (`null` without a teacher). */
    teacherPerSec: number | null;
    teacherSampler: string | null;
    /** teacher seconds / one-step seconds, measured in the same run (`null` without a teacher). */
    speedup: number | null;
  };
  /** Teacher-free methods: the generator's training. */
  training?: { steps: number; batchSize: number; wallSeconds: number };
  /** Evaluation time. */
  seconds: number;
}

/** What {@link evaluateImageRun} evaluates: a distilled characteristic generator (with its teacher) or a teacher-free generator. */
export type ImageEvalSubject =
  | { kind: 'characteristic'; distiller: CharacteristicDistiller }
  | { kind: 'onestep'; trainer: OneStepTrainer; wallSeconds: number };

/** Images generated per call of a sampler (bounds the activations' memory). */
export const IMAGE_EVAL_CHUNK = 250;
/** Images per panel of `samples.png` (an 8 x 8 grid). */
const PANEL_IMAGES = 64;

/** The first `n` images of `set` as pixels in [0, 1], `[n, H, W, C]`. */
function firstImages(set: ImageSet, n: number): Tensor4D {
  const size = set.shape[0] * set.shape[1] * set.shape[2];
  return tf.tensor4d(set.images.subarray(0, n * size), [n, ...set.shape]);
}

/**
 * `n` images from `generate` as pixels in [0, 1] (`[n, H, W, C]`), made in chunks of {@link IMAGE_EVAL_CHUNK} from
 * the seeded noise `Rng(seed)` (the same noise for every sampler of a run), and the seconds it took.
 *
 * @example
 * ```ts
 * const { images, seconds } = generateImages((z) => distiller.sample(z, 1), imagesData, 1000, 3003);
 * ```
 */
export function generateImages(generate: (z: Tensor) => Tensor, data: Pick<ImagesData, 'dataset'>, n: number, seed: number): { images: Tensor4D; seconds: number } {
  const rng = new Rng(seed);
  const parts: Tensor[] = [];
  try {
    const t0 = performance.now();
    for (let done = 0; done < n; done += IMAGE_EVAL_CHUNK) {
      const z = rng.normalTensor([Math.min(IMAGE_EVAL_CHUNK, n - done), ...data.dataset.sampleShape]);
      try {
        const x = generate(z);
        parts.push(data.dataset.toPixels(x));
        x.dispose();
      } finally {
        z.dispose();
      }
    }
    // Reading the last chunk waits for the backend, so the time covers the work.
    parts[parts.length - 1]!.dataSync();
    const seconds = (performance.now() - t0) / 1000;
    return { images: tf.concat(parts, 0) as Tensor4D, seconds };
  } finally {
    tf.dispose(parts);
  }
}

/** One evaluated sampler. */
interface SamplerRow {
  key: string;
  title: string;
  fd: number;
  seconds: number;
  /** The first {@link PANEL_IMAGES} images, pixels, flat NHWC. */
  preview: Float32Array;
}

/**
 * The image evaluation of a run ({@link ImageEvalMetrics}): FD against the first `eval.samples` test images for the
 * generator (one step, and `eval.fewSteps` chained steps for the characteristic generator) and the teacher at every
 * `eval.teacherSolvers` × `eval.teacherNfe`, all from the same noise; the floor (as many training images against the
 * same test images); writes `metrics.json` and `samples.png` (8 x 8 grids, one panel per sampler).
 *
 * @example
 * ```ts
 * const m = await evaluateImageRun(ctx, { kind: 'characteristic', distiller });
 * console.log(`${m.metric}: one step ${m.fd.oneStep.toFixed(1)}, floor ${m.fd.floor.toFixed(1)}`);
 * ```
 */
export async function evaluateImageRun(ctx: RunContext, subject: ImageEvalSubject): Promise<ImageEvalMetrics> {
  const { data } = ctx;
  if (data.kind !== 'images') throw new Error('evaluateImageRun: the run does not train on image data');
  const t0 = performance.now();
  const featureNet = await loadFeatureNet(data.name);
  try {
    return await evaluateWith(ctx, data, subject, featureNet, t0);
  } finally {
    featureNet.dispose();
  }
}

async function evaluateWith(ctx: RunContext, data: ImagesData, subject: ImageEvalSubject, featureNet: FeatureNet, t0: number): Promise<ImageEvalMetrics> {
  const { config } = ctx;
  const test = await data.loadSplit('test');
  const n = Math.min(config.eval.samples, test.count);
  if (n < config.eval.samples) ctx.log(`  the ${data.name} test split has ${test.count} images: evaluating on ${n}, not ${config.eval.samples}`);
  // The floor compares real images with real images at the samplers' n: the whole training split when
  // data.limit keeps fewer than n for training.
  const trainSet = data.dataset.set.count >= n ? data.dataset.set : await data.loadSplit('train', { ignoreLimit: true });
  const testImages = firstImages(test, n);
  const floorImages = firstImages(trainSet, Math.min(n, trainSet.count));
  let reference: ReturnType<typeof featureNetStats>;
  let floor: ReturnType<typeof computeFD>;
  let dataPreview: Float32Array;
  try {
    reference = featureNetStats(featureNet, testImages, 'test images');
    floor = computeFD(featureNet, floorImages, reference);
    dataPreview = tf.tidy(() => tf.slice(testImages, 0, Math.min(PANEL_IMAGES, n)).dataSync() as Float32Array);
  } finally {
    tf.dispose([testImages, floorImages]);
  }
  const metric = floor.name;
  ctx.log(`evaluating on ${n} images per sampler: ${metric} against the first ${n} test images (a feature-net distance, not Inception FID)`);
  ctx.log(`  floor (${floor.n} training vs ${n} test images): ${floor.fd.toFixed(3)}`);

  const noiseSeed = config.seed + 3003;
  const rows: SamplerRow[] = [];
  const measure = (key: string, title: string, generate: (z: Tensor) => Tensor): SamplerRow => {
    // One untimed call on a few images first, so that no sampler's time includes the backend's first-call costs.
    const warm = generateImages(generate, data, Math.min(8, n), noiseSeed);
    warm.images.dispose();
    const { images, seconds } = generateImages(generate, data, n, noiseSeed);
    try {
      const { fd } = computeFD(featureNet, images, reference);
      const preview = tf.tidy(() => tf.slice(images, 0, Math.min(PANEL_IMAGES, n)).dataSync() as Float32Array);
      const row = { key, title, fd, seconds, preview };
      rows.push(row);
      ctx.log(`  ${title.padEnd(34)} ${metric} ${fd.toFixed(3).padStart(9)}   (${seconds.toFixed(1)} s for ${n} images)`);
      return row;
    } finally {
      images.dispose();
    }
  };

  const fewStep: Record<string, number> = {};
  const teacher: Record<string, number> = {};
  let oneStep: SamplerRow;
  let teacherTimed: SamplerRow | undefined;
  if (subject.kind === 'characteristic') {
    const { distiller } = subject;
    const steps = [1, ...config.eval.fewSteps.filter((k) => k !== 1)];
    oneStep = measure('generator@1', 'generator, 1 step', (z) => distiller.sample(z, 1, { start: config.eval.start }));
    fewStep['1'] = oneStep.fd;
    for (const k of steps.slice(1)) fewStep[String(k)] = measure(`generator@${k}`, `generator, ${k} steps (chained)`, (z) => distiller.sample(z, k, { start: config.eval.start })).fd;
    const maxNfe = Math.max(...config.eval.teacherNfe);
    for (const solver of config.eval.teacherSolvers) {
      for (const nfe of config.eval.teacherNfe) {
        let used = nfe;
        const row = measure(`${solver}@${nfe}`, `teacher, ${solver}, ${nfe} NFE`, (z) => {
          const r = sampleTeacher(distiller.teacherField, z, solver, nfe, { eps0: 0 });
          used = r.nfe;
          return r.x;
        });
        if (used !== nfe) {
          row.key = `${solver}@${used}`;
          row.title = `teacher, ${solver}, ${used} NFE`;
        }
        teacher[row.key] = row.fd;
        if (nfe === maxNfe && !teacherTimed) teacherTimed = row;
      }
    }
  } else {
    const { trainer } = subject;
    oneStep = measure('generator@1', `${trainer.objective.name}, 1 step`, (z) => trainer.sample(z));
  }

  const teacherEntries = Object.entries(teacher);
  const best = teacherEntries.length ? teacherEntries.reduce((a, b) => (b[1] < a[1] ? b : a)) : undefined;
  const oneNfe = teacherEntries.filter(([k]) => k.endsWith('@1')).map(([, v]) => v);
  const method = subject.kind === 'characteristic' ? 'characteristic' : subject.trainer.objective.name;
  const metrics: ImageEvalMetrics = {
    method,
    run: config.name ?? '',
    data: data.name,
    backend: ctx.backend,
    seed: config.seed,
    samples: n,
    metric,
    fd: { oneStep: oneStep.fd, fewStep, teacher, teacherBest: best ? { key: best[0], fd: best[1] } : null, floor: floor.fd },
    ratios: {
      oneStepOverFloor: oneStep.fd / floor.fd,
      oneStepOverTeacherBest: best ? oneStep.fd / best[1] : null,
      oneStepOverTeacherOneNfe: oneNfe.length ? oneStep.fd / Math.min(...oneNfe) : null,
    },
    sampling: {
      seconds: Object.fromEntries(rows.map((r) => [r.key, r.seconds])),
      oneStepPerSec: n / oneStep.seconds,
      teacherPerSec: teacherTimed ? n / teacherTimed.seconds : null,
      teacherSampler: teacherTimed?.key ?? null,
      speedup: teacherTimed ? teacherTimed.seconds / oneStep.seconds : null,
    },
    ...(subject.kind === 'onestep'
      ? { training: { steps: subject.trainer.step, batchSize: subject.trainer.config.batchSize, wallSeconds: subject.wallSeconds } }
      : {}),
    seconds: (performance.now() - t0) / 1000,
  };

  const shape = data.dataset.sampleShape;
  const grid = (pixels: Float32Array): ImagePanel['image'] => {
    const k = pixels.length / (shape[0] * shape[1] * shape[2]);
    return imageGrid(pixels, { shape: [k, ...shape], cols: 8, pad: 2 });
  };
  const panels: ImagePanel[] = [
    { title: `data (${data.name} test)`, image: grid(dataPreview) },
    ...rows.map((r) => ({ title: `${r.title}: ${r.fd.toFixed(1)}`, image: grid(r.preview) })),
  ];
  const headline = best
    ? `${data.name}, ${metric}: one step ${oneStep.fd.toFixed(1)} | teacher best ${best[1].toFixed(1)} (${best[0]}) | floor ${floor.fd.toFixed(1)}`
    : `${data.name}, ${metric}: ${method} one step ${oneStep.fd.toFixed(1)} | floor ${floor.fd.toFixed(1)}`;
  await writeFileAtomic(runPath(ctx, runFiles.metrics), JSON.stringify(metrics, null, 2) + '\n');
  await saveFigurePng(runPath(ctx, runFiles.samples), imagePanelsFigure(panels, { columns: Math.min(4, panels.length), title: headline }), 2);
  ctx.log(`wrote ${runPath(ctx, runFiles.metrics)} and ${runPath(ctx, runFiles.samples)}`);
  return metrics;
}
