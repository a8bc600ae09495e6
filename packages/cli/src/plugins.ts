/**
 * Plugins a run names: packages or files that register solvers, objectives, network kinds or backends when imported.
 * They are imported before the run config is checked, so their names and option schemas are known to it. A path
 * (`./my-plugin.mjs`, `/abs/x.js`) is relative to the folder it was written in (the config file's, or the working
 * directory for `--plugin`); a package name is looked up from that folder, then from the working directory, then
 * from the CLI's own location.
 */
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PluginLoadError } from '@charlearn/core';
import { recordedRun } from './run-record';

/** One plugin to import and who asked for it. */
export interface PluginRequest {
  /** Package name or path, as written. */
  readonly spec: string;
  /** For errors: `config key 'plugins[0]' in run.yaml`, `--plugin`, `the checkpoint .../generator.ckpt`. */
  readonly requestedBy: string;
  /** The folder a relative path or a package name is looked up from first. */
  readonly baseDir: string;
  /** The dotted key or flag the request came from (the error's `parameter`). */
  readonly parameter: string;
}

const imported = new Set<string>();
const importedTargets: string[] = [];

const isPath = (spec: string): boolean => spec.startsWith('.') || isAbsolute(spec);

/** The file URL `spec` resolves to from `dir` (Node's resolution, `import` conditions first), or undefined. */
function resolveFrom(spec: string, dir: string): string | undefined {
  const req = createRequire(join(dir, '__charlearn_plugin_lookup__.js'));
  try {
    return pathToFileURL(req.resolve(spec)).href;
  } catch {
    return undefined;
  }
}

/**
 * Imports one plugin (once per process).
 *
 * @throws PluginLoadError naming the plugin, who asked for it, and the reason
 * @example
 * ```ts
 * await importPlugin({ spec: '@charlearn/solver-rk4', requestedBy: '--plugin', baseDir: process.cwd(), parameter: 'plugin' });
 * ```
 */
export async function importPlugin(request: PluginRequest): Promise<void> {
  const { spec, requestedBy, baseDir, parameter } = request;
  const key = isPath(spec) ? resolve(baseDir, spec) : spec;
  if (imported.has(key)) return;
  let target: string;
  if (isPath(spec)) target = pathToFileURL(resolve(baseDir, spec)).href;
  else target = resolveFrom(spec, baseDir) ?? resolveFrom(spec, process.cwd()) ?? spec;
  try {
    await import(target);
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    const notFound = e instanceof Error && 'code' in e && (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND');
    const hint = notFound
      ? isPath(spec)
        ? `no such file from ${baseDir}`
        : `the package is not installed where it was looked up (${baseDir}${baseDir !== process.cwd() ? `, ${process.cwd()}` : ''}); install it (npm install ${spec}) or give its path`
      : `it failed while loading: ${why}`;
    throw new PluginLoadError(spec, requestedBy, notFound ? `${hint} (${why})` : hint, parameter);
  }
  imported.add(key);
  importedTargets.push(target);
}

/**
 * What {@link importPlugin} imported in this process, in order, as the specifiers it imported (file URLs where
 * it resolved them): what a worker thread imports to have the same plugins (gradient replicas).
 */
export function importedPluginTargets(): readonly string[] {
  return [...importedTargets];
}

/**
 * Imports every plugin in order (each at most once per process).
 *
 * @example
 * ```ts
 * await importPlugins([{ spec: 'my-solver', requestedBy: "config key 'plugins[0]' in run.yaml", baseDir: '/proj', parameter: 'plugins[0]' }]);
 * ```
 */
export async function importPlugins(requests: readonly PluginRequest[]): Promise<void> {
  for (const r of requests) await importPlugin(r);
}

/**
 * Imports the plugins a checkpoint records (`meta.run.plugins`) that this process has not imported, before the
 * checkpoint is rebuilt into something that needs them (a solver for teacher targets, an objective, a network kind).
 * A missing one is a `PluginLoadError` saying the requirement came from the checkpoint.
 *
 * @example
 * ```ts
 * const checkpoint = await readCheckpoint('out/roll/generator.ckpt', 'distill');
 * await importCheckpointPlugins(checkpoint, 'out/roll/generator.ckpt');
 * ```
 */
export async function importCheckpointPlugins(checkpoint: { readonly meta: Readonly<Record<string, unknown>> }, path: string): Promise<void> {
  const plugins = (recordedRun(checkpoint)?.plugins ?? []).filter((p): p is string => typeof p === 'string');
  await importPlugins(
    plugins.map((spec) => ({ spec, requestedBy: `required by the checkpoint ${path}, which was made with it`, baseDir: process.cwd(), parameter: 'plugins' })),
  );
}
