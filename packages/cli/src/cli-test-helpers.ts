/** Test helpers (not part of the package's entry points): run `main()` in-process with stderr captured. */
import { readFileSync } from 'node:fs';
import { vi } from 'vitest';
import { main } from './cli';

/**
 * Runs `charlearn <argv> --out <out()>` in this process and returns its exit code and what it wrote to stderr.
 *
 * @example
 * ```ts
 * const run = cliRunner(() => '/tmp/charlearn-test');
 * const { code, err } = await run('demo', '--quick');
 * ```
 */
export function cliRunner(out: () => string): (...argv: string[]) => Promise<{ code: number; err: string }> {
  return async (...argv) => {
    const stderr: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    try {
      const code = await main([...argv, '--out', out()]);
      return { code, err: stderr.join('') };
    } finally {
      spy.mockRestore();
    }
  };
}

/**
 * Reads and parses a JSON file.
 *
 * @example
 * ```ts
 * const m = readJson<{ seed: number }>('out/run/config.json');
 * ```
 */
export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
