import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CheckpointError, ConfigError, decodeTensors } from '@charlearn/core';
import { CharacteristicDistiller, TeacherTrainer } from '@charlearn/distill';
import { createNetwork, fromTorchStateDict, loadNetwork, resolveSongUnetConfig, saveNetwork, type Network, type NetworkSpec } from '@charlearn/nets';
import { writeFileAtomic } from '../atomic';
import { cacheVariablesForSyncRead } from '../backends';
import { loadCheckpoint, runFiles, runPath, saveCheckpoint, type RunContext } from '../runtime';
import { loadGenerator } from './phases';

/** The file `charlearn export` writes into the run folder. */
export const EXPORTED_GENERATOR = 'generator.safetensors';

/** `__metadata__` key holding the network spec (JSON) in a safetensors file written outside charlearn. */
export const FOREIGN_NETWORK_KEY = 'charlearn.network';

/**
 * A network from a tensor file: a charlearn network file (`saveNetwork`,
 * `charlearn export`, the repo's `convert_pt.py`), or a plain safetensors
 * file whose `__metadata__['charlearn.network']` holds the spec as JSON (a
 * `songunet` state dict as PyTorch saves it). Rule for tensors: the file
 * must hold exactly the network's parameters (and, for `songunet`, its
 * constant `resample_filter` buffers); a missing, extra or mis-shaped tensor
 * is a `CheckpointError` naming it.
 */
export function networkFromFile(path: string): Network {
  const bytes = new Uint8Array(readFileSync(path));
  const decoded = wrap(path, () => decodeTensors(bytes));
  if (decoded.meta.format === 'charlearn-network') return wrap(path, () => loadNetwork(bytes));
  const text = decoded.meta[FOREIGN_NETWORK_KEY];
  if (typeof text !== 'string') {
    throw new CheckpointError(
      `no network spec in the file: expected a charlearn network file (meta.format 'charlearn-network') or __metadata__['${FOREIGN_NETWORK_KEY}'] with the spec as JSON, e.g. {"kind":"songunet","sampleShape":[28,28,1],...} (convert_pt.py writes it)`,
      path,
    );
  }
  let spec: NetworkSpec;
  try {
    spec = JSON.parse(text) as NetworkSpec;
  } catch {
    throw new CheckpointError(`__metadata__['${FOREIGN_NETWORK_KEY}'] is not JSON`, path);
  }
  const net = wrap(path, () => createNetwork(spec));
  try {
    wrap(path, () => net.setWeights(net.kind === 'songunet' ? fromTorchStateDict(decoded.arrays, resolveSongUnetConfig(net.config)) : decoded.arrays));
  } catch (e) {
    net.dispose();
    throw e;
  }
  return net;
}

function wrap<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CheckpointError && e.path === undefined) throw new CheckpointError(e.message, path, e.parameter);
    throw e;
  }
}

/**
 * `charlearn import <file>`: a one-time network file becomes the run's
 * teacher checkpoint (step 0 of the run's teacher trainer, its EMA starting
 * at the imported weights); a two-time network file (a generator, e.g. the
 * reference code's `traj_mode` checkpoint) becomes the run's generator
 * checkpoint, distilled from the run's teacher (which must exist: import
 * or train it first). Then `charlearn distill`, `eval` and `sample` work as
 * on a run trained here. The network's sample shape must fit the run's data.
 */
export async function importNetwork(ctx: RunContext, file: string | undefined): Promise<void> {
  if (!file) throw new ConfigError('charlearn import needs a file: charlearn import <network.safetensors> [-c run.yaml] [--set name=...]', 'file');
  const path = resolve(file);
  const net = networkFromFile(path);
  try {
    const want = ctx.dataset.sampleShape.join(', ');
    if (net.sampleShape.join(', ') !== want) {
      throw new CheckpointError(`the network takes samples of shape [${net.sampleShape.join(', ')}], the run's data (${ctx.dataset.name}) has [${want}]`, path);
    }
    await (net.twoTime ? importGenerator(ctx, net, path) : importTeacher(ctx, net, path));
  } catch (e) {
    net.dispose();
    throw e;
  }
}

async function importTeacher(ctx: RunContext, net: Network, source: string): Promise<void> {
  const trainer = new TeacherTrainer({ net, dataset: ctx.dataset, config: ctx.config.teacher, interpolant: ctx.interpolant, seed: ctx.config.seed });
  try {
    await cacheVariablesForSyncRead();
    const ckpt = trainer.checkpoint();
    const out = runPath(ctx, runFiles.teacher);
    await saveCheckpoint(out, { ...ckpt, meta: { ...ckpt.meta, importedFrom: source } });
    ctx.log(`imported ${net.kind} teacher (${net.parameterCount()} parameters) from ${source} into ${out}`);
  } finally {
    trainer.dispose();
  }
}

async function importGenerator(ctx: RunContext, net: Network, source: string): Promise<void> {
  const teacherPath = runPath(ctx, runFiles.teacher);
  if (!existsSync(teacherPath)) {
    throw new CheckpointError(`importing a generator needs the run's teacher: 'charlearn import <teacher file>' (or 'charlearn train') with the same config and name first`, teacherPath);
  }
  const teacherTrainer = TeacherTrainer.fromCheckpoint(await loadCheckpoint(teacherPath, 'teacher'), ctx.dataset);
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
    const out = runPath(ctx, runFiles.generator);
    await saveCheckpoint(out, { ...ckpt, meta: { ...ckpt.meta, importedFrom: source } });
    ctx.log(`imported ${net.kind} generator (${net.parameterCount()} parameters) from ${source} into ${out}`);
  } finally {
    distiller.dispose();
  }
}

/**
 * `charlearn export`: writes the run's generator (the EMA two-time network)
 * as a network file, `<run>/generator.safetensors`, with what sampling
 * needs in the metadata: the spec, the interpolant, `sigmaData`, `eps0` and
 * the `c_noise` convention. For a `songunet`, the tensors are the reference
 * module's `state_dict()`.
 */
export async function exportGenerator(ctx: RunContext): Promise<string> {
  const distiller = await loadGenerator(ctx);
  try {
    const bytes = saveNetwork(distiller.ema.network, {
      interpolant: distiller.interpolant.name,
      sigmaData: distiller.sigmaData,
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
