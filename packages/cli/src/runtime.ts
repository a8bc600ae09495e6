import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointError, getInterpolant, useBackend, type Interpolant } from '@charlearn/core';
import '@charlearn/backend-wasm';
import { getTarget, type Target2D } from '@charlearn/data';
import { decodeTensors, encodeTensors, type JsonObject } from '@charlearn/nets';
import type { TrainerCheckpoint } from '@charlearn/distill';
import { readFileChecked, writeFileAtomic } from './atomic';
import { resolveRunName, type RunConfig } from './config';

/** Everything a command needs about its run. */
export interface RunContext {
  readonly config: RunConfig;
  /** Resolved run name. */
  readonly name: string;
  /** `outDir/name`, created. */
  readonly dir: string;
  readonly target: Target2D;
  readonly interpolant: Interpolant;
  /** The tfjs backend in use. */
  readonly backend: string;
  /** Writes a line to stderr. */
  log(message: string): void;
}

/** Paths of a run's files. */
export const runFiles = {
  config: 'config.json',
  teacher: 'teacher.ckpt',
  generator: 'generator.ckpt',
  metrics: 'metrics.json',
  samples: 'samples.png',
  losses: 'losses.png',
  history: 'history.json',
} as const;

/**
 * Opens a run: resolves its name and folder, selects the backend (a clear
 * `BackendUnavailableError` when it cannot run), resolves the target and the
 * interpolant (named errors for unknown ones).
 */
export async function openRun(config: RunConfig, log: (m: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<RunContext> {
  const target = getTarget(config.data.target);
  const interpolant = getInterpolant(config.interpolant, 'interpolant');
  const name = resolveRunName(config);
  const dir = resolve(config.outDir, name);
  mkdirSync(dir, { recursive: true });
  const plugin = await useBackend(config.backend);
  return { config: { ...config, name }, name, dir, target, interpolant, backend: plugin.name, log };
}

/** `dir/file`. */
export function runPath(ctx: RunContext, file: string): string {
  return join(ctx.dir, file);
}

/** Whether a run file exists. */
export function hasRunFile(ctx: RunContext, file: string): boolean {
  return existsSync(runPath(ctx, file));
}

/** Encodes a trainer checkpoint (checksummed, versioned) and writes it atomically. */
export async function saveCheckpoint(path: string, checkpoint: TrainerCheckpoint): Promise<void> {
  await writeFileAtomic(path, encodeTensors(checkpoint.arrays, checkpoint.meta as unknown as JsonObject));
}

/** Reads and verifies a trainer checkpoint of the given `kind`; `CheckpointError` naming the path otherwise. */
export async function loadCheckpoint(path: string, kind: 'teacher' | 'distill'): Promise<TrainerCheckpoint> {
  const bytes = await readFileChecked(path, `a ${kind} checkpoint`, { kind: 'checkpoint' });
  let decoded: ReturnType<typeof decodeTensors>;
  try {
    decoded = decodeTensors(bytes);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(e.message, path);
    throw e;
  }
  const meta = decoded.meta as TrainerCheckpoint['meta'];
  if (meta.kind !== kind) throw new CheckpointError(`expected a ${kind} checkpoint, found '${String(meta.kind)}'`, path);
  return { meta, arrays: decoded.arrays };
}
