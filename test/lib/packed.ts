/**
 * `npm pack` of workspace packages (and test fixture packages), done once and
 * shared by the cross-package tests that install tarballs (test/pack.test.ts,
 * test/plugins.test.ts): each tarball is cached under
 * `node_modules/.cache/charlearn-tests/packed/` by a hash of everything in the
 * package folder except `node_modules` (a superset of what npm packs, so a
 * change to any packed byte is a new key; an entry is never stale), and all
 * missing packages are packed by one `npm pack` process.
 *
 * Safe when several runs share the cache: a tarball is packed into a private
 * temp folder and renamed into place (atomic), so a reader sees either no file
 * or a complete one.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sh } from './exec';

const repo = fileURLToPath(new URL('../..', import.meta.url));
/** Where the packed tarballs are kept (ignored by git with the rest of node_modules/). */
export const PACK_CACHE = join(repo, 'node_modules', '.cache', 'charlearn-tests', 'packed');

/** Every file under `dir` except `node_modules/`, as sorted paths relative to `dir`. */
function packageFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** sha256 (hex, 20 chars) of the paths and bytes of {@link packageFiles}, plus the npm that packs them. */
export function packageContentHash(dir: string): string {
  const h = createHash('sha256');
  h.update(`${process.env.npm_config_user_agent ?? ''}\0`);
  for (const rel of packageFiles(dir)) {
    h.update(`${rel}\0`);
    h.update(readFileSync(join(dir, rel)));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 20);
}

/** The cache file of package folder `dir` as it is now: `<name>-<version>-<hash>.tgz`. */
function cachedTarball(dir: string): string {
  const { name, version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
  return join(PACK_CACHE, `${name.replace(/^@/, '').replace(/\//g, '-')}-${version}-${packageContentHash(dir)}.tgz`);
}

/**
 * The packed tarball of each package folder in `dirs` (absolute paths), in order: from the cache when its
 * content was packed before, otherwise packed now (one `npm pack` for all missing ones). Throws with npm's
 * output when packing fails.
 */
export function packedTarballs(dirs: readonly string[]): string[] {
  const targets = dirs.map(cachedTarball);
  const missing = dirs.filter((_, i) => !existsSync(targets[i]!));
  if (missing.length > 0) {
    mkdirSync(PACK_CACHE, { recursive: true });
    const tmp = mkdtempSync(join(PACK_CACHE, '.tmp-'));
    try {
      const infos = JSON.parse(sh('npm', ['pack', '--json', '--loglevel=error', '--pack-destination', tmp, ...missing], tmp)) as { name: string; filename: string }[];
      for (const dir of missing) {
        const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string };
        const info = infos.find((i) => i.name === name);
        if (!info) throw new Error(`npm pack reported no tarball for ${name} (${dir}): ${JSON.stringify(infos.map((i) => i.name))}`);
        renameSync(join(tmp, info.filename), targets[dirs.indexOf(dir)]!);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return targets;
}
