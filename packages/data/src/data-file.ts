import { access, readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { DataFileError } from '@charlearn/core';

const gunzipAsync = promisify(gunzip);

/**
 * The first of `candidates` that exists, else a {@link DataFileError} naming
 * every path tried and what was expected there.
 *
 * @example
 * ```ts
 * const path = await firstExisting(['/d/a.gz', '/d/a'], 'the Fashion-MNIST training images');
 * ```
 */
export async function firstExisting(candidates: readonly string[], what: string, hint = ''): Promise<string> {
  for (const p of candidates) {
    try {
      await access(p);
      return p;
    } catch {
      // try the next one
    }
  }
  const [first, ...rest] = candidates;
  const others = rest.length ? ` (nor ${rest.join(', ')})` : '';
  throw new DataFileError(`${first}: no such file${others}; expected ${what}${hint ? `. ${hint}` : ''}`, first);
}

/**
 * Reads a whole file, gunzipping it when it starts with the gzip magic
 * `1f 8b`. A missing/unreadable file or a corrupt/truncated gzip stream →
 * {@link DataFileError} naming the path and what was expected.
 *
 * @example
 * ```ts
 * const bytes = await readDataFile('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz', 'IDX labels');
 * ```
 */
export async function readDataFile(path: string, what: string): Promise<Uint8Array> {
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : (e as Error).message;
    throw new DataFileError(`${path}: ${reason}; expected ${what}`, path);
  }
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    const out = await gunzipAsync(raw);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new DataFileError(`${path}: corrupt or truncated gzip stream (${(e as Error).message}); expected ${what}`, path);
  }
}
