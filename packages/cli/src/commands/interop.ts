import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CheckpointError, ConfigError, decodeTensors } from '@charlearn/core';
import { CharacteristicDistiller, TeacherTrainer } from '@charlearn/distill';
import { createNetwork, fromTorchStateDict, loadNetwork, resolveSongUnetConfig, saveNetwork, type Network, type NetworkSpec } from '@charlearn/nets';
import { writeFileAtomic } from '../atomic';
import { cacheVariablesForSyncRead } from '../backends';
import type { RunConfig } from '../config';
import { runNetworkSpec } from '../run-network';
import { loadCheckpoint, runFiles, runPath, type RunContext } from '../runtime';
import { writeHistory } from './history';
import { assertConfigMatches, beginPhase, cliRecord, recordedRunConfig, writeRunConfig } from './phase-start';
import { loadGenerator } from './phases';

/** The file `charlearn export` writes into the run folder. */
export const EXPORTED_GENERATOR = 'generator.safetensors';

/** `__metadata__` key holding the network spec (JSON) in a safetensors file written outside charlearn. */
export const FOREIGN_NETWORK_KEY = 'charlearn.network';

/**
 * `charlearn import` of a file whose metadata holds no network spec, with no `model.kind` in the run config
 * either (`--set model.kind=...`, the config file or a preset): nothing says which network the tensors belong to.
 */
export class MissingNetworkConfigError extends ConfigError {
  readonly path: string;
  constructor(message: string, path: string) {
    super(message, 'model.kind');
    this.name = 'MissingNetworkConfigError';
    this.path = path;
  }
}

/** Where the run config's `model` section stands for {@link networkFromFile}. */
export interface ModelFallback {
  /** The network spec of the run config's `model` section for the run's data. */
  readonly spec: NetworkSpec;
  /** Whether `model.kind` was given (config file, preset or `--set`), not just the default. */
  readonly given: boolean;
}

/** A network read from a tensor file, and where its config came from. */
export interface FileNetwork {
  readonly net: Network;
  /** `'file'`: the file's metadata; `'config'`: the run config's `model` section (the file has no spec). */
  readonly source: 'file' | 'config';
  /** The run-config keys (`model.*`) where the file's spec and a given `model` section disagree (the file wins). */
  readonly differences: readonly string[];
}

/** Spec keys that are not settings of the network's config (the run gives them). */
const PLACEMENT_KEYS = new Set(['kind', 'sampleShape', 'seed']);

/** The `model.*` keys where a file's spec and the run's spec disagree (just `model.kind` for another kind). */
export function specDifferences(file: NetworkSpec, run: NetworkSpec): string[] {
  if (file.kind !== run.kind) return ['model.kind'];
  const a = file as unknown as Record<string, unknown>;
  const b = run as unknown as Record<string, unknown>;
  return Object.keys(a)
    .filter((k) => !PLACEMENT_KEYS.has(k) && k in b && JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => `model.${k}`);
}

/** A network's config as a run config's flat `model` section: `{ kind, ...its settings }`. */
export function modelSection(net: Network): Record<string, unknown> {
  const spec = net.config as unknown as Record<string, unknown>;
  return { kind: net.kind, ...Object.fromEntries(Object.entries(spec).filter(([k]) => !PLACEMENT_KEYS.has(k))) };
}

/**
 * A network from a tensor file: a charlearn network file (`saveNetwork`,
 * `charlearn export`, the repo's `convert_pt.py`), a plain safetensors
 * file whose `__metadata__['charlearn.network']` holds the spec as JSON (a
 * `songunet` state dict as PyTorch saves it), or, for a file with neither,
 * the run config's `model` section (`fallback`, when `model.kind` was given).
 * Rule for the config: the file's spec wins over a given `model` section
 * (the differing keys are returned for a warning); no spec in the file and
 * no `model.kind` given is a {@link MissingNetworkConfigError}. Rule for
 * tensors: the file must hold exactly the network's parameters (and, for
 * `songunet`, its constant `resample_filter` buffers); a missing, extra or
 * mis-shaped tensor is a `CheckpointError` naming it.
 */
export function networkFromFile(path: string, fallback?: ModelFallback): FileNetwork {
  const bytes = new Uint8Array(readFileSync(path));
  const decoded = wrap(path, () => decodeTensors(bytes));
  const compare = (net: Network): readonly string[] => (fallback?.given ? specDifferences(net.config, fallback.spec) : []);
  if (decoded.meta.format === 'charlearn-network') {
    const net = wrap(path, () => loadNetwork(bytes));
    return { net, source: 'file', differences: compare(net) };
  }
  const text = decoded.meta[FOREIGN_NETWORK_KEY];
  let spec: NetworkSpec;
  let source: FileNetwork['source'] = 'file';
  if (typeof text === 'string') {
    try {
      spec = JSON.parse(text) as NetworkSpec;
    } catch {
      throw new CheckpointError(`__metadata__['${FOREIGN_NETWORK_KEY}'] is not JSON`, path);
    }
  } else if (fallback?.given) {
    spec = fallback.spec;
    source = 'config';
  } else {
    throw new MissingNetworkConfigError(
      `no network config for ${path}: the file is not a charlearn network file (meta.format 'charlearn-network') and its __metadata__ has no '${FOREIGN_NETWORK_KEY}' spec, and the run config gives no model.kind: ` +
        `pass the network with --set model.kind=<kind> and its settings (e.g. --set model.kind=songunet --set model.modelChannels=128 --set model.channelMult=[1,2,2,2]), put a model section in the config file, or write the spec into the file's metadata (convert_pt.py does)`,
      path,
    );
  }
  const net = wrap(path, () => createNetwork(spec));
  try {
    wrap(path, () => net.setWeights(net.kind === 'songunet' ? fromTorchStateDict(decoded.arrays, resolveSongUnetConfig(net.config)) : decoded.arrays));
  } catch (e) {
    net.dispose();
    throw e;
  }
  return { net, source, differences: source === 'file' ? compare(net) : [] };
}

function wrap<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CheckpointError && e.path === undefined) throw new CheckpointError(e.message, path, e.parameter);
    throw e;
  }
}

/** Options of {@link importNetwork}. */
export interface ImportOptions {
  /** Whether the run config gives `model.kind` (config file, preset or `--set`): then it is the network of a file without a spec. */
  readonly modelGiven: boolean;
}

/**
 * `charlearn import <file>`: a one-time network file becomes the run's
 * teacher checkpoint (step 0 of the run's teacher trainer, its EMA starting
 * at the imported weights); a two-time network file (a generator, e.g. the
 * reference code's `traj_mode` checkpoint) becomes the run's generator
 * checkpoint, distilled from the run's teacher (which must exist: import
 * or train it first). Then `charlearn distill`, `eval` and `sample` work as
 * on a run trained here. The network's sample shape must fit the run's data.
 *
 * Run-folder semantics as the training phases: a folder already holding the
 * checkpoint (or its `.prev` copy) is refused with a `RunExistsError` unless
 * `--force`, and with `--force` the old checkpoint stays until the new one
 * is written. The checkpoint records the run config (`meta.run`)
 * with `model` set to the imported network's config.
 */
export async function importNetwork(ctx: RunContext, file: string | undefined, options: ImportOptions = { modelGiven: false }): Promise<void> {
  if (!file) throw new ConfigError('charlearn import needs a file: charlearn import <network.safetensors> [-c run.yaml] [--set name=...]', 'file');
  const path = resolve(file);
  let runSpec: NetworkSpec | undefined;
  let specError: unknown;
  try {
    runSpec = runNetworkSpec(ctx.config, ctx.dataset.sampleShape);
  } catch (e) {
    specError = e;
  }
  if (options.modelGiven && !runSpec) throw specError;
  const { net, source, differences } = networkFromFile(path, runSpec ? { spec: runSpec, given: options.modelGiven } : undefined);
  try {
    if (differences.length) {
      ctx.log(`warning: the network config in ${path} differs from the run config's model section in ${differences.join(', ')}: the file's config is used (the file's metadata wins)`);
    }
    const want = ctx.dataset.sampleShape.join(', ');
    if (net.sampleShape.join(', ') !== want) {
      throw new CheckpointError(`the network takes samples of shape [${net.sampleShape.join(', ')}], the run's data (${ctx.dataset.name}) has [${want}]`, path);
    }
    const from = source === 'file' ? 'the file' : "the run config's model section";
    if (ctx.data.kind === 'images' || ctx.data.kind === 'image-file') {
      const [lo, hi] = ctx.data.dataset.range;
      ctx.log(`data units: pixels 0..1 are the network's ${lo}..${hi} (data.pixelRange), σ_data ${+ctx.data.dataset.sigmaData.toPrecision(6)} (data.sigmaData${ctx.config.data.sigmaData === null ? ' null: measured on the training pixels' : ''})`);
    }
    await (net.twoTime ? importGenerator(ctx, net, path, from) : importTeacher(ctx, net, path, from));
  } catch (e) {
    net.dispose();
    throw e;
  }
}

/** What a refused import suggests: an import has nothing to resume. */
const IMPORT_START_OVER = "pass --force to replace it (the old checkpoint stays until the imported one is written), or import into a new run folder (another --set name=..., or --set runDir=...)";


/** What the imported checkpoint's run config changes of the run's: `model` is the imported network's. */
function importedOverlay(net: Network): Record<string, unknown> {
  return { model: modelSection(net) };
}

async function importTeacher(ctx: RunContext, net: Network, source: string, from: string): Promise<void> {
  const { slot, history } = await beginPhase(ctx, { file: runFiles.teacher, kind: 'teacher', resume: false, startOver: IMPORT_START_OVER });
  const trainer = new TeacherTrainer({ net, dataset: ctx.dataset, config: ctx.config.teacher, interpolant: ctx.interpolant, seed: ctx.config.seed });
  try {
    await cacheVariablesForSyncRead();
    const ckpt = trainer.checkpoint();
    const overlay = importedOverlay(net);
    history.teacher = [];
    await slot.save({ ...ckpt, meta: { ...ckpt.meta, importedFrom: source } }, cliRecord(ctx, [], overlay));
    await writeHistory(ctx, history);
    await writeRunConfig(ctx, overlay);
    ctx.log(`imported ${net.kind} teacher (${net.parameterCount()} parameters, config from ${from}) from ${source} into ${slot.path}`);
  } finally {
    trainer.dispose();
  }
}

async function importGenerator(ctx: RunContext, net: Network, source: string, from: string): Promise<void> {
  const teacherPath = runPath(ctx, runFiles.teacher);
  if (!existsSync(teacherPath)) {
    throw new CheckpointError(`importing a generator needs the run's teacher: 'charlearn import <teacher file>' (or 'charlearn train') with the same config and name first`, teacherPath);
  }
  const { slot, history } = await beginPhase(ctx, { file: runFiles.generator, kind: 'distill', resume: false, startOver: IMPORT_START_OVER });
  const teacherCkpt = await loadCheckpoint(teacherPath, 'teacher');
  // the generator is distilled from the run's teacher: the same data, data units, interpolant and plugins
  // (the generator's network is the file's, so the teacher's model section is compared with itself)
  const teacherModel = recordedRunConfig(teacherCkpt).model;
  assertConfigMatches(teacherModel === undefined ? ctx : { ...ctx, config: { ...ctx.config, model: teacherModel as RunConfig['model'] } }, teacherCkpt, teacherPath, 'use-teacher');
  const teacherTrainer = TeacherTrainer.fromCheckpoint(teacherCkpt, ctx.dataset);
  const teacher = teacherTrainer.ema.network.clone();
  teacherTrainer.dispose();
  let distiller: CharacteristicDistiller;
  try {
    distiller = new CharacteristicDistiller({ teacher, ownsTeacher: true, student: net, dataset: ctx.dataset, config: ctx.config.distill, interpolant: ctx.interpolant, seed: ctx.config.seed + 1 });
  } catch (e) {
    teacher.dispose();
    throw e;
  }
  try {
    await cacheVariablesForSyncRead();
    const ckpt = distiller.checkpoint();
    const overlay = importedOverlay(net);
    history.distill = [];
    await slot.save({ ...ckpt, meta: { ...ckpt.meta, importedFrom: source } }, cliRecord(ctx, [], overlay));
    await writeHistory(ctx, history);
    ctx.log(`imported ${net.kind} generator (${net.parameterCount()} parameters, config from ${from}) from ${source} into ${slot.path}`);
  } finally {
    distiller.dispose();
  }
}

/**
 * `charlearn export`: writes the run's generator (the EMA two-time network)
 * as a network file, `<run>/generator.safetensors`, with what sampling
 * needs in the metadata: the spec, the interpolant, `sigmaData`, `eps0`,
 * the `c_noise` convention and, for images, `pixelRange` (the model's units
 * of pixels 0 and 1). For a `songunet`, the tensors are the reference
 * module's `state_dict()`.
 */
export async function exportGenerator(ctx: RunContext): Promise<string> {
  const distiller = await loadGenerator(ctx);
  try {
    const bytes = saveNetwork(distiller.ema.network, {
      interpolant: distiller.interpolant.name,
      sigmaData: distiller.sigmaData,
      ...(ctx.data.kind === 'images' || ctx.data.kind === 'image-file' ? { pixelRange: [...ctx.data.dataset.range], pixels: 'pixel p in [0, 1] = clip((x - lo) / (hi - lo), 0, 1), [lo, hi] = pixelRange' } : {}),
      eps0: distiller.config.eps0,
      eps1: distiller.config.eps1,
      cNoise: '999*(1-t), t = 0 noise, t = 1 data',
      oneStep: 'x1 = g(z, t = eps0, s = 1)',
    });
    const out = runPath(ctx, EXPORTED_GENERATOR);
    await writeFileAtomic(out, bytes);
    ctx.log(`exported the generator (${distiller.ema.network.kind}, ${distiller.ema.network.parameterCount()} parameters) to ${out}`);
    return out;
  } finally {
    distiller.dispose();
  }
}
