/**
 * A throw-away npm registry for the release tests: verdaccio in a child
 * process on 127.0.0.1 and a free port, storage in a temp folder, no uplinks
 * (nothing is proxied: a package that was not published to it is a 404), and
 * `$all` may read and publish. {@link LocalRegistry.env} points npm at it
 * (registry, a dummy auth token in a temp userconfig, a private cache), so a
 * command run with it cannot reach any other registry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from './exec';

const serverScript = fileURLToPath(new URL('./verdaccio-server.mjs', import.meta.url));

/** A running local registry. */
export interface LocalRegistry {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  /** Temp folder holding the storage, config, userconfig and npm cache. */
  readonly dir: string;
  /** The (dummy) bearer token of {@link env}'s userconfig; `$all` may publish, so any token is accepted. */
  readonly token: string;
  /** {@link cleanEnv} plus `npm_config_registry`, `npm_config_userconfig` (dummy token) and `npm_config_cache`. */
  readonly env: NodeJS.ProcessEnv;
  /** Stops the server and deletes {@link dir} (unless `KEEP_RELEASE_TMP` is set). Safe to call twice. */
  stop(): Promise<void>;
}

function config(dir: string): string {
  return [
    `storage: ${JSON.stringify(join(dir, 'storage'))}`,
    'auth:',
    '  htpasswd:',
    `    file: ${JSON.stringify(join(dir, 'htpasswd'))}`,
    '    max_users: -1',
    'uplinks: {}',
    'packages:',
    "  '**':",
    '    access: $all',
    '    publish: $all',
    '    unpublish: $all',
    'web:',
    '  enable: false',
    'max_body_size: 200mb',
    'log: { type: stdout, format: json, level: error }',
    '',
  ].join('\n');
}

function waitForPort(child: ChildProcess, log: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = /\{"port":(\d+)\}/.exec(buf);
      if (m) {
        child.stdout?.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`verdaccio exited (${code}) before listening:\n${buf}\n${log()}`)));
    child.once('error', reject);
  });
}

/** Starts verdaccio on 127.0.0.1 with an OS-chosen port; resolves once it listens. */
export async function startLocalRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'charlearn-registry-'));
  mkdirSync(join(dir, 'storage'));
  writeFileSync(join(dir, 'config.yaml'), config(dir));
  let stderr = '';
  const child = spawn(process.execPath, [serverScript, join(dir, 'config.yaml')], {
    cwd: dir,
    env: cleanEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    if (!process.env.KEEP_RELEASE_TMP) rmSync(dir, { recursive: true, force: true });
  };
  let port: number;
  try {
    port = await waitForPort(child, () => stderr);
  } catch (e) {
    await stop();
    throw e;
  }
  const url = `http://127.0.0.1:${port}/`;
  const userconfig = join(dir, 'npmrc');
  const token = 'dummy-local-token';
  writeFileSync(userconfig, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  const env = cleanEnv({
    npm_config_registry: url,
    npm_config_userconfig: userconfig,
    npm_config_cache: join(dir, 'npm-cache'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    // record the registry URLs in package-lock.json (a machine-wide npmrc may turn that off)
    npm_config_omit_lockfile_registry_resolved: 'false',
  });
  return { url, dir, token, env, stop };
}
