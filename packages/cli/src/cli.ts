import { basename, dirname, isAbsolute, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CharlearnError, CheckpointError, closestMatch, decodeTensors, solvers } from '@charlearn/core';
import { estimateDataMean } from '@charlearn/distill';
import { imageGrid } from '@charlearn/metrics';
import { readFileSync } from 'node:fs';
import { readFileChecked, writeFileAtomic } from './atomic';
import { toDataUnits } from './run-data';
import { parseCliArgs, formatFlagsHelp, UsageError, type CliArgs } from './args';
import { configPlugins, describeRunConfig, mergeConfigSources, parseRunConfig, runConfigKeys, type RunConfig } from './config';
import { importCheckpointPlugins, importPlugins, type PluginRequest } from './plugins';
import './cpu-backend';
import { assertKnownName, distillGenerator, evaluateGenerator, loadGenerator, loadGeneratorForSampling, trainTeacher } from './commands/phases';
import { exportGenerator, importNetwork } from './commands/interop';
import { adoptDataUnits, type DataUnitsGiven } from './commands/data-units';
import { assertDistillable, evaluateOneStepRun, hasOneStepGenerator, isTeacherFree, knownMethods, loadOneStep, trainOneStep } from './commands/onestep';
import type { EvalMetrics } from './evaluate';
import { generateImages, type ImageEvalMetrics } from './evaluate-images';
import { PALETTE, panelsFigure } from '@charlearn/plots';
import { saveFigurePng, savePixelsPng } from './figures';
import { CONFIG_PRESETS, DEMO_PRESET, quickOverrides } from './presets';
import { openRun, pointsTarget, runPath, type RunContext } from './runtime';
import { startGeneratorReplicas } from './run-replicas';
import { recordedRun, type RunRecord } from './run-record';
import { pixelsToUnits } from '@charlearn/data';
import { asRunFolderError } from './fs-errors';
import type { FsLayer } from './fs-layer';
import { RESUMABLE_KEYS_HELP } from './resume-check';
import { installStopHandlers, InterruptedError, resumeCommand } from './signals';

/** The `charlearn` subcommands. */
export const COMMANDS = ['demo', 'train', 'distill', 'sample', 'eval', 'import', 'export', 'help'] as const;

const EXTRA_FLAGS = {
  preset: { type: 'string', valueName: 'name', description: `a built-in base config instead of --config: ${Object.keys(CONFIG_PRESETS).join(' | ')}` },
  method: { type: 'string', valueName: 'name', description: 'train/demo: characteristic (default) | drifting | drifting-conservative | wflow (config key method)' },
  steps: { type: 'string', valueName: 'k', description: 'sample: network evaluations per sample (default 1)' },
  n: { type: 'string', valueName: 'count', description: 'sample: number of samples (default eval.samples)' },
  force: { type: 'boolean', description: "start a phase over although the run folder holds its checkpoint (the old ones stay until the new run's first checkpoint; what was made from them, e.g. a teacher's generator, moves to .replaced-<time>/)" },
  checkpoint: { type: 'string', valueName: 'file', description: "sample/eval: a generator checkpoint alone; the settings it records are the run's config (no --config)" },
  plugin: { type: 'string', valueName: 'pkg', multiple: true, description: 'import a plugin package or file before the config is checked (repeatable; config key plugins)' },
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
  import    charlearn import <network.safetensors>: a network file (e.g. PyTorch's, see docs/interop.md) becomes the
            run's teacher.ckpt (one-time) or generator.ckpt (two-time); then distill, eval, sample as usual
  export    write the run's generator as out/<run>/generator.safetensors (safetensors; PyTorch opens it)

image data (data.target: mnist | fashion-mnist; model.kind: unet | dit):
  charlearn train --preset mnist --set name=mnist   # U-Net teacher, ~25 min on wasm
  charlearn distill --preset mnist --set name=mnist # one-step generator g(t, s, x), ~6 min
  charlearn eval --preset mnist --set name=mnist    # FD of generator and teacher at NFE 1, 5, 20; sample grids, ~3 min
  charlearn demo --preset mnist --quick             # all three phases in seconds (smoke run)

flags:
${formatFlagsHelp(EXTRA_FLAGS)}

examples:
  charlearn demo                               # the main job, about 2 minutes on wasm
  charlearn train -c run.yaml --set name=roll  # then: charlearn distill -c run.yaml --set name=roll
  charlearn train -c run.yaml --set name=roll --resume
  charlearn train --method drifting --set name=roll-drift  # teacher-free; then: charlearn sample --method drifting --set name=roll-drift

run folder (outDir/name, or runDir):
  name is one folder name (letters, digits, - _ .); runDir=<path> puts the run in any folder instead.
  One command at a time per folder (a .lock file; a lock left by a dead process is taken over with a warning).
  A phase refuses to start over a folder holding its checkpoint: --resume continues it, --force starts over
  (what the replaced run made from that phase, e.g. train --force: generator.ckpt, metrics, samples, moves to .replaced-<time>/).
  --resume checks the config against the run the checkpoint records; keys that may change on --resume:
    ${RESUMABLE_KEYS_HELP};
  any other difference (network, data, interpolant, method, plugins, seed, a phase's training settings) is refused.
  Ctrl-C / SIGTERM: the current step finishes, a checkpoint is written, the resume command is printed (exit 130 / 143);
  a second signal exits at once.

config keys (JSON or YAML; --set key=value overrides):
`;

/**
 * `--checkpoint <file>`: the settings the checkpoint records become the base config, with the run folder the file's
 * folder; its plugins are not imported up front (sampling a generator needs none; a command that does imports them
 * from the checkpoint), and the network comes from the checkpoint (so `model` is its saved kind).
 */
async function checkpointConfig(args: CliArgs, file: string, overrides: Record<string, unknown>): Promise<Readonly<Record<string, unknown>>> {
  if (args.config || typeof args.flags.preset === 'string') throw new UsageError('--checkpoint takes the settings the checkpoint records: drop --config / --preset', 'checkpoint');
  if (args.command !== 'sample' && args.command !== 'eval') throw new UsageError(`--checkpoint works with sample and eval, not ${args.command ?? 'no command'}`, 'checkpoint');
  const bytes = await readFileChecked(file, 'a generator checkpoint', { kind: 'checkpoint' });
  const meta = decodeTensors(bytes).meta as Record<string, unknown>;
  const run = recordedRun({ meta });
  if (!run) throw new CheckpointError('the checkpoint records no run settings (it was written before checkpoints recorded them): pass --config', file);
  const dir = dirname(resolve(file));
  overrides.outDir ??= dirname(dir);
  overrides.name ??= basename(dir);
  const network = meta.network as { kind?: unknown } | undefined;
  if (args.command === 'eval') await importCheckpointPlugins({ meta }, file); // eval runs the teacher's solvers
  // Settings of objectives whose plugin is not loaded now are left out (sampling needs no objective).
  const known = new Set(runConfigKeys());
  const settings = Object.fromEntries(Object.entries(run.config).filter(([k]) => known.has(k) && k !== 'plugins' && k !== 'model'));
  return { ...settings, ...(typeof network?.kind === 'string' ? { model: { kind: network.kind } } : {}) };
}

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

/**
 * The plugins of a run, in order: the config's `plugins` (paths relative to the config file's folder), then each
 * `--plugin` (relative to the working directory); paths are made absolute so the run's record finds them again.
 */
function pluginRequests(args: CliArgs, fromConfig: readonly string[], file: string | undefined): PluginRequest[] {
  const configDir = file !== undefined ? dirname(resolve(file)) : process.cwd();
  const flags = Array.isArray(args.flags.plugin) ? args.flags.plugin.filter((x): x is string => typeof x === 'string') : [];
  return [
    ...fromConfig.map((spec, i) => ({ spec, requestedBy: `config key 'plugins[${i}]'${file ? ` in ${file}` : ''}`, baseDir: configDir, parameter: `plugins[${i}]` })),
    ...flags.map((spec) => ({ spec, requestedBy: `--plugin ${spec}`, baseDir: process.cwd(), parameter: 'plugin' })),
  ];
}

/** A plugin as the run records it: a package name as written, a path made absolute. */
const recordedPlugin = (r: PluginRequest): string => (r.spec.startsWith('.') || isAbsolute(r.spec) ? resolve(r.baseDir, r.spec) : r.spec);

/** What {@link configFor} saw of the raw config besides the parsed result. */
interface ConfigSeen {
  /** Whether `model.kind` was given (config file, preset, `--checkpoint` or `--set`), not left to its default. */
  modelGiven?: boolean;
  /** Which of `data.pixelRange` / `data.sigmaData` were given, not left to their defaults. */
  dataUnitsGiven?: DataUnitsGiven;
}

async function configFor(args: CliArgs, seen: ConfigSeen = {}): Promise<RunConfig> {
  const overrides: Record<string, unknown> = { ...args.overrides };
  if (args.backend) overrides.backend = args.backend;
  if (typeof args.flags.method === 'string') overrides.method = args.flags.method;
  if (args.out) overrides.outDir = args.out;
  const base = typeof args.flags.checkpoint === 'string' ? await checkpointConfig(args, args.flags.checkpoint, overrides) : baseConfig(args);
  const raw = mergeConfigSources(base, overrides);
  const rawModel = raw.merged.model;
  seen.modelGiven = typeof rawModel === 'object' && rawModel !== null && (rawModel as { kind?: unknown }).kind !== undefined;
  const rawData = (typeof raw.merged.data === 'object' && raw.merged.data !== null ? raw.merged.data : {}) as { pixelRange?: unknown; sigmaData?: unknown };
  seen.dataUnitsGiven = { pixelRange: rawData.pixelRange !== undefined, sigmaData: rawData.sigmaData !== undefined };
  const requests = pluginRequests(args, configPlugins(raw), raw.file);
  await importPlugins(requests);
  const dataFile = (raw.merged.data as { file?: unknown } | undefined)?.file;
  if (typeof dataFile === 'string' && dataFile !== '' && !isAbsolute(dataFile)) overrides['data.file'] = resolve(raw.file !== undefined ? dirname(resolve(raw.file)) : process.cwd(), dataFile);
  overrides.plugins = [...new Set(requests.map(recordedPlugin))];
  let config = parseRunConfig(mergeConfigSources(base, overrides));
  if (args.quick) {
    config = parseRunConfig(mergeConfigSources(base, { ...quickOverrides(config), ...overrides }));
  }
  if (args.resume && !config.name) {
    throw new CharlearnError("--resume needs the run's name: set `name` in the config or pass --set name=<run>", 'name');
  }
  if (args.command === 'sample') return config; // sampling runs the generator only: no solver, no objective
  assertKnownName('method', config.method, knownMethods(), 'method');
  const known = solvers.list();
  if (typeof config.distill.teacherSolver === 'string') assertKnownName('solver', config.distill.teacherSolver, known, 'distill.teacherSolver');
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
  if (ctx.data.kind === 'images' || ctx.data.kind === 'image-file') {
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
    // The user's own images come back in the file's units (the pixel range the generator was trained with).
    const range = ctx.data.kind === 'image-file' ? (recordedFit(ctx)?.pixelRange ?? ctx.data.fitted.pixelRange) : undefined;
    const values = range ? pixelsToUnits(pixels, range) : pixels;
    const format = range ? `float32 little-endian, NHWC, in the file's units (pixel range [${range.low}, ${range.high}])` : 'float32 little-endian, NHWC, pixels in [0, 1]';
    await writeFileAtomic(`${base}.f32`, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    await writeFileAtomic(`${base}.json`, JSON.stringify({ steps, n, data: ctx.data.kind === 'images' ? ctx.data.name : basename(ctx.data.file), shape, pixels: file, format }, null, 1) + '\n');
    const cols = Math.ceil(Math.sqrt(n));
    await savePixelsPng(`${base}.png`, imageGrid(pixels, { shape: shape as [number, number, number, number], cols, scale: n <= 100 ? 2 : 1 }));
    ctx.log(`${n} images in ${seconds.toFixed(3)} s: ${base}.png, ${base}.f32 (${shape.join('x')} float32), ${base}.json`);
    return;
  }
  const toUnits = ctx.data.kind === 'file' ? fileUnits(ctx) : pointsTarget(ctx, 'sample').denormalise.bind(pointsTarget(ctx, 'sample'));
  const z = tf.randomNormal([n, ...ctx.dataset.sampleShape], 0, 1, 'float32', ctx.config.seed + 7);
  const t0 = performance.now();
  const x = generator.sample(z);
  const normalised = x.dataSync() as Float32Array;
  const seconds = (performance.now() - t0) / 1000;
  const points = toUnits(normalised);
  tf.dispose([x, z]);
  generator.dispose();
  await writeFileAtomic(`${base}.json`, JSON.stringify({ steps, n, coordinates: "data (denormalised: the target's or the file's units)", points: Array.from(points, (v) => +v.toFixed(6)) }) + '\n');
  await saveFigurePng(`${base}.png`, panelsFigure([{ title: `${n} samples, ${steps} network evaluation${steps > 1 ? 's' : ''}`, layers: [{ kind: 'scatter', points, color: PALETTE[2]!, size: 2.5 }] }]));
  ctx.log(`${n} samples in ${seconds.toFixed(3)} s: ${base}.json, ${base}.png`);
}

/** The run record of the run's generator checkpoint (what was fitted to a `data.file` when it was trained), if readable. */
function recordedFit(ctx: RunContext): RunRecord | undefined {
  try {
    return recordedRun({ meta: decodeTensors(readFileSync(runPath(ctx, 'generator.ckpt'))).meta });
  } catch {
    return undefined; // no readable generator checkpoint: loading it reports that
  }
}

/**
 * `data.file` runs: normalised samples → the file's units, with the normalisation the generator checkpoint recorded
 * (the one it was trained with), else the one fitted to the file now.
 */
function fileUnits(ctx: RunContext): (points: Float32Array) => Float64Array {
  if (ctx.data.kind !== 'file') throw new Error('fileUnits: not a data.file run');
  const normalisation = recordedFit(ctx)?.normalisation ?? ctx.data.dataset.normalisation;
  return (points) => toDataUnits(points, normalisation);
}

/** The run's generator as a `steps`-NFE sampler, whichever method trained it. */
async function loadRunGenerator(ctx: RunContext, steps: number): Promise<{ sample: (z: tf.Tensor) => tf.Tensor; dispose: () => void }> {
  if (isTeacherFree(ctx.config.method) || hasOneStepGenerator(ctx)) {
    if (steps !== 1) throw new CharlearnError(`--steps: the run's teacher-free generator is one-step only (got ${steps})`, 'steps');
    const { trainer } = await loadOneStep(ctx);
    return { sample: (z) => trainer.sample(z), dispose: () => trainer.dispose() };
  }
  const generator = await loadGeneratorForSampling(ctx);
  let replicas: Awaited<ReturnType<typeof startGeneratorReplicas>>;
  try {
    replicas = await startGeneratorReplicas(ctx, generator);
  } catch (e) {
    generator.dispose();
    throw e;
  }
  const start = ctx.config.eval.start;
  // The shifting starts (the reference code's) need the data mean; 'prior' (the default) does not.
  const dataMean = start === 'prior' ? undefined : estimateDataMean(ctx.dataset);
  const times = { start, ...(dataMean ? { dataMean } : {}) };
  return {
    sample: (z) => (replicas ? replicas.sample(generator.network, z, steps, { ...generator.times, ...times }) : generator.sample(z, steps, times)),
    dispose: () => {
      void replicas?.close();
      generator.dispose();
      dataMean?.dispose();
    },
  };
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

/** Options of {@link main}. */
export interface MainOptions {
  /** The file-system layer of the run folder's writes (default `node:fs/promises`); tests pass one that fails. */
  fs?: FsLayer;
}

/**
 * Runs the `charlearn` command line; returns the exit code. Errors from
 * charlearn print their message (and the parameter) without a stack; a run
 * stopped by SIGINT / SIGTERM returns 130 / 143 after printing the command
 * that resumes it.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv, { commands: COMMANDS, extraFlags: EXTRA_FLAGS });
  } catch (e) {
    process.stderr.write(`charlearn: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!args.command || args.help || args.command === 'help') {
    process.stdout.write(USAGE + describeRunConfig() + '\n');
    return args.command || args.help ? 0 : 2;
  }
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  const stop = installStopHandlers({ log });
  let ctx: RunContext | undefined;
  try {
    const seen: ConfigSeen = {};
    const parsed = await configFor(args, seen);
    // a network is a denoiser of data in the units it was trained in: an imported file's, or the run checkpoint's
    const config = await adoptDataUnits(args.command, parsed, seen.dataUnitsGiven ?? { pixelRange: false, sigmaData: false }, { ...(args.positionals[0] ? { file: args.positionals[0] } : {}), log });
    ctx = await openRun(config, log, { command: `charlearn ${argv.join(' ')}`, force: args.flags.force === true, stop: stop.request, ...(options.fs ? { fs: options.fs } : {}) });
    ctx.log(`charlearn ${args.command}: run '${ctx.name}' in ${ctx.dir} (backend ${ctx.backend})`);
    await runCommand(ctx, args, seen);
    return 0;
  } catch (e) {
    if (e instanceof InterruptedError) {
      process.stderr.write(`charlearn: ${e.message}; resume with:\n  ${resumeCommand(argv)}\n`);
      return e.exitCode;
    }
    const named = e instanceof CharlearnError ? e : asRunFolderError(e, 'write to the run folder', ctx?.dir ?? '.');
    if (named) {
      process.stderr.write(`charlearn: ${named.name}: ${named.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    ctx?.release();
    stop.uninstall();
  }
}

/** Runs the command on an opened run. */
async function runCommand(ctx: RunContext, args: CliArgs, seen: ConfigSeen = {}): Promise<void> {
  const { config } = ctx;
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
    case 'import':
      await importNetwork(ctx, args.positionals[0], { modelGiven: seen.modelGiven === true });
      break;
    case 'export':
      await exportGenerator(ctx);
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
}
