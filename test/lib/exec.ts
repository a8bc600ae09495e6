/**
 * Child-process helpers shared by the cross-package tests that drive npm, node
 * and tsc in scratch projects (test/pack.test.ts, test/release/*.test.ts).
 * Every command runs with {@link cleanEnv} (no monorepo npm/turbo variables),
 * and a failing command throws with its full stdout and stderr.
 */
import { execFile, execFileSync } from 'node:child_process';

/** The caller's env minus what `npm run`/turbo injected for the monorepo (lifecycle, package, workspace prefix). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^npm_(package_|lifecycle_|command$|config_local_prefix$|config_workspaces?$|config_include_workspace_root$)/i.test(k) || k === 'INIT_CWD') {
      delete env[k];
    }
  }
  return { ...env, NODE_OPTIONS: '', FORCE_COLOR: '0', NO_COLOR: '1', ...extra };
}

/** Exit status and output of a finished command. */
export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` in `cwd` (default env: {@link cleanEnv}); never throws for a non-zero exit. */
export function exec(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Run {
  try {
    const stdout = execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    return { status: 0, stdout, stderr: '' };
  } catch (e) {
    const err = e as { status?: number | null; signal?: string | null; stdout?: string; stderr?: string; message: string };
    if (err.stdout === undefined) throw e; // spawn failure (ENOENT...), not an exit status
    return { status: err.status ?? (err.signal ? 128 : 1), stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** A readable account of a finished command, for assertion messages. */
export function describeRun(cmd: string, args: string[], cwd: string, r: Run): string {
  return `\`${cmd} ${args.join(' ')}\` in ${cwd} exited ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** Runs a command that must succeed; on failure the error carries its stdout and stderr. */
export function sh(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const r = exec(cmd, args, cwd, env);
  if (r.status !== 0) throw new Error(describeRun(cmd, args, cwd, r));
  return r.stdout;
}

/** Runs a command that must fail; returns stdout+stderr. */
export function shFails(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const r = exec(cmd, args, cwd, env);
  if (r.status === 0) throw new Error(`expected failure but succeeded: ${describeRun(cmd, args, cwd, r)}`);
  return r.stdout + r.stderr;
}

/** {@link sh} without blocking the event loop, so that several commands can run at once. */
export function shAsync(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const status = typeof error.code === 'number' ? error.code : 1;
      reject(new Error(describeRun(cmd, args, cwd, { status, stdout, stderr })));
    });
  });
}

/**
 * {@link exec} without blocking the event loop: for commands that may run past a minute on a loaded machine (tsc),
 * where a blocked vitest worker misses its RPC deadline ("Timeout calling onTaskUpdate", an unhandled error that
 * fails the run). Never rejects for a non-zero exit; rejects on a spawn failure.
 */
export function execAsync(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (!error) return resolve({ status: 0, stdout, stderr });
      if (typeof error.code !== 'number' && !error.signal) return reject(error); // spawn failure (ENOENT...)
      resolve({ status: typeof error.code === 'number' ? error.code : 128, stdout, stderr });
    });
  });
}

/** Runs the node script `file` in `cwd` and parses the last line of its stdout as JSON. */
export function nodeJson<T>(file: string, cwd: string, env?: NodeJS.ProcessEnv): T {
  const out = sh(process.execPath, [file], cwd, env).trim();
  const last = out.split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${file} did not print JSON on its last line:\n${out}`);
  }
}

/** Seconds since `t0` (a `Date.now()` value), one decimal, for timing logs. */
export function secondsSince(t0: number): string {
  return ((Date.now() - t0) / 1000).toFixed(1);
}
