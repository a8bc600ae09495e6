/**
 * Mirrors installed third-party packages into a local registry for the release
 * tests (test/release/registry.test.ts), without one `npm publish` process per
 * package: each installed package folder (`node_modules/<name>`, which is its
 * published tarball's content) is re-packed with the system `tar` into a
 * `package/` tarball and sent as the same `PUT /<name>` document `npm publish`
 * sends (manifest + dist integrity/shasum + the tarball as a base64 attachment).
 *
 * Only the mirror takes this path; the workspace packages still go through the
 * real `changeset publish` / `npm publish`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

interface Manifest {
  name: string;
  version: string;
  description?: string;
  publishConfig?: unknown;
  [key: string]: unknown;
}

/** `tar -czf <out> -C <parent> package`, resolving when tar exits 0. */
function tarPackage(parent: string, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('tar', ['-czf', out, '-C', parent, 'package'], (error, _stdout, stderr) => (error ? reject(new Error(`tar -czf ${out} failed: ${stderr || error.message}`)) : resolve()));
  });
}

/**
 * `PUT body` to `target` on a connection of its own (no keep-alive pool shared with the test's `fetch`, whose
 * reused sockets the registry may have closed by then); rejects on a non-2xx answer, naming `what`.
 */
function put(target: URL, token: string, body: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(target, { method: 'PUT', agent: false, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300 ? resolve() : reject(new Error(`mirror publish of ${what}: HTTP ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Publishes the installed package folder `dir` to the registry at `url` (`http://host:port/`) with bearer
 * `token`, using `scratch` for the staging copy; rejects with the registry's answer on a non-2xx status.
 * `publishConfig` is dropped from the manifest (it could name another registry; the mirror serves this one).
 */
export async function mirrorInstalledPackage(dir: string, url: string, token: string, scratch: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  delete manifest.publishConfig;
  const stage = mkdtempSync(join(scratch, 'mirror-'));
  try {
    // the installed folder minus what npm nests or links into it (never part of a published tarball)
    cpSync(dir, join(stage, 'package'), { recursive: true, filter: (src) => !src.slice(dir.length).split(/[\\/]/).includes('node_modules') });
    const tgz = join(stage, 'package.tgz');
    await tarPackage(stage, tgz);
    const data = readFileSync(tgz);
    const { name, version } = manifest;
    const file = `${name}-${version}.tgz`;
    const doc = {
      _id: name,
      name,
      description: manifest.description,
      'dist-tags': { latest: version },
      versions: {
        [version]: {
          ...manifest,
          _id: `${name}@${version}`,
          dist: {
            integrity: `sha512-${createHash('sha512').update(data).digest('base64')}`,
            shasum: createHash('sha1').update(data).digest('hex'),
            tarball: new URL(`${name}/-/${file}`, url).href,
          },
        },
      },
      access: null,
      _attachments: { [file]: { content_type: 'application/octet-stream', data: data.toString('base64'), length: data.length } },
    };
    await put(new URL(name.replace('/', '%2f'), url), token, JSON.stringify(doc), `${name}@${version} (${dir})`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
