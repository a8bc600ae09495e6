import * as tf from '@tensorflow/tfjs-core';
import { CharlearnError, solvers } from '@charlearn/core';
import { imageGrid } from '@charlearn/metrics';
import { writeFileAtomic } from './atomic';
import { parseCliArgs, formatFlagsHelp, UsageError, type CliArgs } from './args';
import { closestMatch, describeConfigSchema, isImageData, loadRunConfig, type RunConfig } from './config';
import './cpu-backend';
import { assertKnownName, distillGenerator, evaluateGenerator, loadGenerator, trainTeacher } from './commands/phases';
import { assertDistillable, evaluateOneStepRun, hasOneStepGenerator, isTeacherFree, knownMethods, loadOneStep, trainOneStep } from './commands/onestep';
import type { EvalMetrics } from './evaluate';
import { generateImages, type ImageEvalMetrics } from './evaluate-images';
import { PALETTE, panelsFigure } from '@charlearn/plots';
import { saveFigurePng, savePixelsPng } from './figures';
import { CONFIG_PRESETS, DEMO_PRESET, QUICK_IMAGE_OVERRIDES, QUICK_OVERRIDES } from './presets';
import { openRun, pointsTarget, runPath, type RunContext } from './runtime';

/** The `charlearn` subcommands. */
export const COMMANDS = ['demo', 'train', 'distill', 'sample', 'eval', 'help'] as const;

const EXTRA_FLAGS = {
  preset: { type: 'string', valueName: 'name', description: `a built-in base config instead of --config: ${Object.keys(CONFIG_PRESETS).join(' | ')}` },
  method: { type: 'string', valueName: 'name', description: 'train/demo: characteristic (default) | drifting | drifting-conservative | wflow (config key method)' },
  steps: { type: 'string', valueName: 'k', description: 'sample: network evaluations per sample (default 1)' },
  n: { type: 'string', valueName: 'count', description: 'sample: number of samples (default eval.samples)' },
} as const;

const USAGE = `charlearn: one-step generation: the characteristic generator (arXiv 2405.05512), drifting, W-Flow

usage: charlearn <command> [flags]

commands:
  demo      train a teacher (2-D swiss roll, or --preset), distill it, evaluate; out/<run>/samples.png, metrics.json, checkpoints
  train     --method characteristic (default): train the teacher (EDM denoiser matching); out/<run>/teacher.ckpt
            --method drifting | drifting-conservative | wflow: train the one-step generator G(z) = z + F(z, 0)
            directly, no teacher; out/<run>/generator.ckpt, metrics.json, samples.png
  distill   distill the run's teacher into g(t, s, x); out/<run>/generator.ckpt
  sample    draw samples from the run's generator (--steps k, --n count); out/<run>/samples-<k>step.{png,json}
            (images: a grid PNG, the pixels as samples-<k>step.f32 and their shape in the .json)
  eval      2-D: exact W2 vs held-out data; images: FD(charlearn-<data>-cnn) vs the test split; for the
            generator and the teacher; out/<run>/metrics.json, samples.png

image data (data.target: mnist | fashion-mnist; model.kind: unet | dit):
  charlearn train --preset mnist --set name=mnist   # U-Net teacher, ~25 min on wasm
  charlearn distill --preset mnist --set name=mnist # one-step generator g(t, s, x), ~6 min
  charlearn eval --preset mnist --set name=mnist    # FD of generator and teacher at NFE 1, 5, 20; sample grids, ~3 min
  charlearn demo --preset mnist --quick             # all three phases in seconds (smoke run)

flags:
${formatFlagsHelp(EXTRA_FLAGS)}

examples:
  charlearn demo                               # the main job, about 3 minutes on wasm
  charlearn train -c run.yaml --set name=roll  # then: charlearn distill -c run.yaml --set name=roll
  charlearn train -c run.yaml --set name=roll --resume
  charlearn train --method drifting --set name=roll-drift  # teacher-free; then: charlearn sample --method drifting --set name=roll-drift

config keys (JSON or YAML; --set key=value overrides):
`;

/** The base config: `--config` file, `--preset` name, the demo's preset for `demo`, or nothing (defaults). */
function baseConfig(args: CliArgs): string | Readonly<Record<string, unknown>> | undefined {
  const preset = args.flags.preset;
  if (typeof preset !== 'string') return args.config ?? (args.command === 'demo' ? DEMO_PRESET : undefined);
  if (args.config) throw new UsageError(`--preset and --config are alternatives: a preset is a built-in config (pass --set key=value to change it), got both --preset ${preset} and --config ${args.config}`, 'preset');
  const names = Object.keys(CONFIG_PRESETS);
  const found = CONFIG_PRESETS[preset];
  if (!Object.prototype.hasOwnProperty.call(CONFIG_PRESETS, preset) || !found) {
    const near = closestMatch(preset, names);
    throw new UsageError(`--preset: unknown preset '${preset}'${near ? `; did you mean '${near}'?` : ''} (known: ${names.join(', ')})`, 'preset');
  }
  return found;
}

function configFor(args: CliArgs): RunConfig {
  const overrides: Record<string, unknown> = { ...args.overrides };
  if (args.backend) overrides.backend = args.backend;
  if (typeof args.flags.method === 'string') overrides.method = args.flags.method;
  if (args.out) overrides.outDir = args.out;
  const base = baseConfig(args);
  let config = loadRunConfig(base, overrides);
  if (args.quick) {
    const quick = { ...QUICK_OVERRIDES, ...(isImageData(config.data.target) ? QUICK_IMAGE_OVERRIDES : {}) };
    config = loadRunConfig(base, { ...quick, ...overrides });
  }
  if (args.resume && !config.name) {
    throw new CharlearnError("--resume needs the run's name: set `name` in the config or pass --set name=<run>", 'name');
  }
  assertKnownName('method', config.method, knownMethods(), 'method');
  const known = solvers.list();
  assertKnownName('solver', config.distill.teacherSolver, known, 'distill.teacherSolver');
  config.eval.teacherSolvers.forEach((s, i) => assertKnownName('solver', s, known, `eval.teacherSolvers[${i}]`));
  return config;
}

async function sampleCommand(ctx: RunContext, args: CliArgs): Promise<void> {
  const steps = Number(args.flags.steps ?? 1);
  const n = Number(args.flags.n ?? ctx.config.eval.samples);
  if (!Number.isInteger(steps) || steps < 1) throw new CharlearnError(`--steps must be an integer >= 1, got ${String(args.flags.steps)}`, 'steps');
  if (!Number.isInteger(n) || n < 1) throw new CharlearnError(`--n must be an integer >= 1, got ${String(args.flags.n)}`, 'n');
  const generator = await loadRunGenerator(ctx, steps);
  const base = runPath(ctx, `samples-${steps}step`);
  if (ctx.data.kind === 'images') {
    let drawn: ReturnType<typeof generateImages>;
    try {
      drawn = generateImages((z) => generator.sample(z), ctx.data, n, ctx.config.seed + 7);
    } finally {
      generator.dispose();
    }
    const { images, seconds } = drawn;
    const pixels = images.dataSync() as Float32Array;
    images.dispose();
    const shape = [n, ...ctx.data.dataset.sampleShape];
    const file = `samples-${steps}step.f32`;
    await writeFileAtomic(`${base}.f32`, new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
    await writeFileAtomic(`${base}.json`, JSON.stringify({ steps, n, data: ctx.data.name, shape, pixels: file, format: 'float32 little-endian, NHWC, pixels in [0, 1]' }, null, 1) + '\n');
    const cols = Math.ceil(Math.sqrt(n));
    await savePixelsPng(`${base}.png`, imageGrid(pixels, { shape: shape as [number, number, number, number], cols, scale: n <= 100 ? 2 : 1 }));
    ctx.log(`${n} images in ${seconds.toFixed(3)} s: ${base}.png, ${base}.f32 (${shape.join('x')} float32), ${base}.json`);
    return;
  }
  const target = pointsTarget(ctx, 'sample');
  const z = tf.randomNormal([n, 2], 0, 1, 'float32', ctx.config.seed + 7);
  const t0 = performance.now();
  const x = generator.sample(z);
  const normalised = x.dataSync() as Float32Array;
  const seconds = (performance.now() - t0) / 1000;
  const points = target.denormalise(normalised);
  tf.dispose([x, z]);
  generator.dispose();
  await writeFileAtomic(`${base}.json`, JSON.stringify({ steps, n, coordinates: 'data (denormalised)', points: Array.from(points, (v) => +v.toFixed(6)) }) + '\n');
  await saveFigurePng(`${base}.png`, panelsFigure([{ title: `${n} samples, ${steps} network evaluation${steps > 1 ? 's' : ''}`, layers: [{ kind: 'scatter', points, color: PALETTE[2]!, size: 2.5 }] }]));
  ctx.log(`${n} samples in ${seconds.toFixed(3)} s: ${base}.json, ${base}.png`);
}

/** The run's generator as a `steps`-NFE sampler, whichever method trained it. */
async function loadRunGenerator(ctx: RunContext, steps: number): Promise<{ sample: (z: tf.Tensor) => tf.Tensor; dispose: () => void }> {
  if (isTeacherFree(ctx.config.method) || hasOneStepGenerator(ctx)) {
    if (steps !== 1) throw new CharlearnError(`--steps: the run's teacher-free generator is one-step only (got ${steps})`, 'steps');
    const { trainer } = await loadOneStep(ctx);
    return { sample: (z) => trainer.sample(z), dispose: () => trainer.dispose() };
  }
  const distiller = await loadGenerator(ctx);
  return { sample: (z) => distiller.sample(z, steps), dispose: () => distiller.dispose() };
}

/** `train` (and the training half of `demo`) for a teacher-free method: train, then evaluate. */
async function trainAndEvaluateOneStep(ctx: RunContext, resume: boolean): Promise<void> {
  const trained = await trainOneStep(ctx, { resume });
  try {
    const m = await evaluateOneStepRun(ctx, trained);
    const training = `${trained.trainer.step} updates x batch ${trained.trainer.config.batchSize} in ${trained.wallSeconds.toFixed(1)} s`;
    if ('metric' in m) ctx.log(`\n${m.method}: one-step ${m.metric} ${m.fd.oneStep.toFixed(2)} = ${m.ratios.oneStepOverFloor.toFixed(2)}x the floor ${m.fd.floor.toFixed(2)}; ${training}`);
    else ctx.log(`\n${m.method}: one-step W2 ${m.w2.oneStep.toFixed(4)} = ${m.ratios.oneStepOverFloor.toFixed(2)}x the floor ${m.w2.floor.toFixed(4)}; ${training}`);
  } finally {
    trained.trainer.dispose();
  }
}

/** The last line of `demo`: the one-step figure against the teacher's best and the floor. */
function summaryLine(m: EvalMetrics | ImageEvalMetrics): string {
  if ('metric' in m) {
    const best = m.fd.teacherBest;
    const teacher = best ? ` = ${(m.fd.oneStep / best.fd).toFixed(2)}x the teacher's best (${best.key}: ${best.fd.toFixed(2)})` : '';
    const speed = m.sampling.speedup !== null ? `; one-step sampling ${m.sampling.speedup.toFixed(0)}x faster than ${m.sampling.teacherSampler}` : '';
    return `one-step ${m.metric} ${m.fd.oneStep.toFixed(2)}${teacher}; floor ${m.fd.floor.toFixed(2)}${speed}`;
  }
  return `one-step W2 ${m.w2.oneStep.toFixed(4)} = ${m.ratios.oneStepOverTeacherBest.toFixed(2)}x the teacher's best (${m.w2.teacherBest.key}: ${m.w2.teacherBest.w2.toFixed(4)}); floor ${m.w2.floor.toFixed(4)}; one-step sampling ${m.sampling.speedup.toFixed(0)}x faster than ${m.sampling.teacherSampler}`;
}

/**
 * Runs the `charlearn` command line; returns the exit code. Errors from
 * charlearn print their message (and the parameter) without a stack.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv, { commands: COMMANDS, extraFlags: EXTRA_FLAGS });
  } catch (e) {
    process.stderr.write(`charlearn: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!args.command || args.help || args.command === 'help') {
    process.stdout.write(USAGE + describeConfigSchema() + '\n');
    return args.command || args.help ? 0 : 2;
  }
  try {
    const config = configFor(args);
    const ctx = await openRun(config);
    ctx.log(`charlearn ${args.command}: run '${ctx.name}' in ${ctx.dir} (backend ${ctx.backend})`);
    await writeFileAtomic(runPath(ctx, 'config.json'), JSON.stringify(ctx.config, null, 2) + '\n');
    const t0 = performance.now();
    const teacherFree = isTeacherFree(config.method);
    switch (args.command) {
      case 'train':
        if (teacherFree) await trainAndEvaluateOneStep(ctx, args.resume);
        else (await trainTeacher(ctx, { resume: args.resume })).dispose();
        break;
      case 'distill':
        assertDistillable(ctx.config);
        (await distillGenerator(ctx, { resume: args.resume })).dispose();
        break;
      case 'eval': {
        if (teacherFree || hasOneStepGenerator(ctx)) {
          const trained = await loadOneStep(ctx);
          await evaluateOneStepRun(ctx, trained).finally(() => trained.trainer.dispose());
          break;
        }
        const d = await loadGenerator(ctx);
        await evaluateGenerator(ctx, d).finally(() => d.dispose());
        break;
      }
      case 'sample':
        await sampleCommand(ctx, args);
        break;
      case 'demo': {
        if (teacherFree) {
          await trainAndEvaluateOneStep(ctx, args.resume);
          break;
        }
        const teacher = await trainTeacher(ctx, { resume: args.resume });
        teacher.dispose();
        const d = await distillGenerator(ctx, { resume: args.resume });
        const m = await evaluateGenerator(ctx, d).finally(() => d.dispose());
        ctx.log(`\n${summaryLine(m)}`);
        break;
      }
    }
    ctx.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  } catch (e) {
    if (e instanceof CharlearnError) {
      process.stderr.write(`charlearn: ${e.name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
