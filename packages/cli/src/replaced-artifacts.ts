/**
 * `--force` starts a phase over; what the replaced run made from that phase's checkpoint (a teacher's generator, the
 * generator's exported file, metrics and samples) would then sit beside the new run's checkpoint as if it were made
 * from it. Once the new run has written its first checkpoint (until then the folder is the earlier run's, unchanged)
 * those files are moved, never deleted, into `.replaced-<UTC time>/` in the
 * run folder, with a line saying which and where, so nothing is lost silently and nothing stale is mistaken for the
 * new run's.
 *
 * @example
 * ```ts
 * await setAsideStaleArtifacts(ctx, 'teacher'); // moves generator.ckpt, metrics.json, samples-*.json, ... if present
 * ```
 * @packageDocumentation
 */
import { join } from 'node:path';
import type { RunContext } from './runtime';

/** What every phase's outputs feed: the exported generator, the evaluation and the samples. */
const EVALUATION_FILES = /^(generator\.safetensors|metrics\.json|samples\.png|samples-\d+step\.(png|json|f32))$/;
/** What a teacher's checkpoint feeds besides: the generator distilled from it (and its previous copy). */
const GENERATOR_FILES = /^generator(\.prev)?\.ckpt$/;

/**
 * The files of a run folder (`names`) that were made from the checkpoint of `phase` and are stale once it starts
 * over: for the teacher, the distilled generator and everything after it; for the generator phases, what was
 * evaluated, exported or sampled from the generator.
 *
 * @example
 * ```ts
 * staleArtifacts('teacher', ['teacher.ckpt', 'generator.ckpt', 'metrics.json', 'config.json']); // ['generator.ckpt', 'metrics.json']
 * ```
 */
export function staleArtifacts(phase: 'teacher' | 'distill' | 'onestep', names: readonly string[]): string[] {
  return names.filter((n) => EVALUATION_FILES.test(n) || (phase === 'teacher' && GENERATOR_FILES.test(n))).sort();
}

/** `20261202T004950Z`: a folder-name-safe UTC time. */
function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Moves the {@link staleArtifacts} of `phase` in the run folder into a new `.replaced-<UTC time>/` folder there and
 * logs one line naming them; returns that folder, or `null` when there was nothing to move.
 *
 * @example
 * ```ts
 * const moved = await setAsideStaleArtifacts(ctx, 'teacher'); // 'out/roll/.replaced-20261202T004950Z' or null
 * ```
 */
export async function setAsideStaleArtifacts(ctx: Pick<RunContext, 'dir' | 'fs' | 'log'>, phase: 'teacher' | 'distill' | 'onestep', now = new Date()): Promise<string | null> {
  const stale = staleArtifacts(phase, await ctx.fs.readdir(ctx.dir));
  if (!stale.length) return null;
  let folder = join(ctx.dir, `.replaced-${stamp(now)}`);
  for (let k = 2; ; k++) {
    try {
      await ctx.fs.mkdir(folder);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      folder = join(ctx.dir, `.replaced-${stamp(now)}-${k}`);
    }
  }
  for (const name of stale) await ctx.fs.rename(join(ctx.dir, name), join(folder, name));
  const from = phase === 'teacher' ? 'the teacher' : 'the generator';
  ctx.log(`--force: moved ${stale.join(', ')} (made from ${from} this run replaces) to ${folder}/`);
  return folder;
}
