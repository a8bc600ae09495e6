#!/usr/bin/env node
/**
 * Packaging checks for every publishable workspace package (every non-private
 * package.json under packages/* and plugins/*). Run after `npm run build`.
 *
 *   node scripts/check-packages.mjs [name-or-dir ...]   (default: all)
 *
 * Checks, per package:
 *   dist      every subpath in `exports` (except *.json) has import → .d.ts + .js
 *             and require → .d.cts + .cjs, the files exist on disk AND are in the
 *             packed tarball; `main`/`module`/`types` files too.
 *   manifest  the house template: type=module, `exports`, files includes dist,
 *             `sideEffects` declared, @tensorflow/* only as peers (never in
 *             dependencies), no `file:`/`link:`/`workspace:`/`*` internal deps.
 *   publint   publint JS API (`pack: 'npm'`), strict (warnings fail);
 *             suggestions are printed, not failed.
 *   readme    the tarball holds a README.md (the package's npm page) that a user can
 *             act on: an `npm i` line naming the package and each required peer
 *             dependency, a ```ts example, and the names of the other public
 *             packages (the list at the end of each README).
 *   attw      @arethetypeswrong/cli on the same tarball, default "strict" profile,
 *             except: `NoResolution` under node10 for a *subpath* entry point
 *             (e.g. `@charlearn/solvers/testing`) is accepted — node10
 *             (moduleResolution "node"/TS < 4.7) cannot read `exports`
 *             subpaths at all, which is expected for a dual ESM/CJS package.
 *             This is `--profile node16` narrowed to subpaths: the root entry
 *             must still resolve with types under node10 (via main/types).
 *
 * Offline: each package is packed with the local `npm pack` (no registry
 * access); attw is given that .tgz (exactly what `attw --pack <dir>` does
 * internally), publint packs with `npm pack --dry-run`.
 * Prints a package × check table; exits 1 on any failure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const attwBin = (() => {
  const pj = require.resolve('@arethetypeswrong/cli/package.json');
  const { bin } = JSON.parse(readFileSync(pj, 'utf8'));
  return join(dirname(pj), typeof bin === 'string' ? bin : bin.attw);
})();

const CHECKS = ['dist', 'manifest', 'readme', 'publint', 'attw'];

function discover() {
  const out = [];
  for (const group of ['packages', 'plugins']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const pj = join(base, name, 'package.json');
      if (!existsSync(pj)) continue;
      const pkg = JSON.parse(readFileSync(pj, 'utf8'));
      if (pkg.private) continue;
      out.push({ dir: join(base, name), rel: `${group}/${name}`, pkg });
    }
  }
  return out;
}

function run(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = new Error(`\`${cmd} ${args.join(' ')}\` (in ${relative(root, cwd) || '.'}) exited ${e.status}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    err.stdout = e.stdout;
    err.status = e.status;
    throw err;
  }
}

/** Collect the target paths under an exports value, with the condition path that leads to each. */
function targets(value, conds = []) {
  if (typeof value === 'string') return [{ conds, path: value }];
  if (Array.isArray(value)) return value.flatMap((v) => targets(v, conds));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => targets(v, [...conds, k]));
  return [];
}

const norm = (p) => p.replace(/^\.\//, '');

function checkDist({ dir, pkg }, packed) {
  const problems = [];
  const need = (file, why) => {
    if (file.includes('*')) return; // pattern exports: not expanded here; publint/attw cover them
    if (!existsSync(join(dir, file))) problems.push(`${why}: ${file} missing on disk (did the build run?)`);
    else if (!packed.has(norm(file))) problems.push(`${why}: ${file} exists but is not in the tarball (check "files")`);
  };
  const exp = pkg.exports;
  if (!exp || typeof exp !== 'object' || Array.isArray(exp)) {
    problems.push('no "exports" object');
  } else {
    const entries = Object.keys(exp).every((k) => k.startsWith('.')) ? Object.entries(exp) : [['.', exp]];
    for (const [sub, value] of entries) {
      if (typeof value === 'string' && value.endsWith('.json')) {
        need(value, `exports["${sub}"]`);
        continue;
      }
      if (typeof value === 'string' && value.includes('*') && !/\.(c|m)?js$/.test(value)) {
        // a data-asset pattern (e.g. "./weights/*"): at least one packed file must match it
        const prefix = norm(value.slice(0, value.indexOf('*')));
        if (![...packed].some((f) => f.startsWith(prefix))) problems.push(`exports["${sub}"] = ${value}: no packed file matches`);
        continue;
      }
      const ts = targets(value);
      const want = [
        ['import', 'types', /\.d\.ts$/],
        ['import', 'default', /(?<!\.d)\.js$/],
        ['require', 'types', /\.d\.cts$/],
        ['require', 'default', /(?<!\.d)\.cjs$/],
      ];
      for (const [cond, kind, re] of want) {
        const hit = ts.filter((t) => t.conds.includes(cond) && (kind === 'types' ? t.conds.at(-1) === 'types' : t.conds.at(-1) !== 'types'));
        if (hit.length === 0) problems.push(`exports["${sub}"] has no ${cond}.${kind} target`);
        for (const t of hit) {
          if (!re.test(t.path)) problems.push(`exports["${sub}"].${t.conds.join('.')} = ${t.path}: expected ${re}`);
          need(t.path, `exports["${sub}"].${t.conds.join('.')}`);
        }
      }
    }
  }
  for (const field of ['main', 'module', 'types', 'typings']) if (typeof pkg[field] === 'string') need(pkg[field], field);
  const bins = typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {});
  for (const [name, file] of Object.entries(bins)) need(file, `bin.${name}`);
  return problems;
}

/** The README in the tarball, judged as the package's npm page (see the header). */
function checkReadme({ dir, pkg }, packed, publicNames) {
  const file = [...packed].find((f) => /^readme(\.md)?$/i.test(f));
  if (!file) return [`the tarball has no README.md: its npm page would be blank (add README.md, and list it in "files")`];
  const text = readFileSync(join(dir, file), 'utf8');
  const problems = [];
  const optional = pkg.peerDependenciesMeta ?? {};
  const peers = Object.keys(pkg.peerDependencies ?? {}).filter((p) => !optional[p]?.optional);
  const mentions = (line, name) => new RegExp(`(^|\\s)${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(@\\S+)?(\\s|$)`).test(line);
  const installs = text.split('\n').filter((l) => /\bnpm (i|install)\b/.test(l));
  if (!installs.some((l) => mentions(l, pkg.name) && peers.every((peer) => mentions(l, peer)))) {
    problems.push(`no install line naming ${[pkg.name, ...peers].join(' ')} (e.g. \`npm i ${[pkg.name, ...peers].join(' ')}\`)`);
  }
  if (!/^\s*```(ts|typescript)\s*$/m.test(text)) problems.push('no ```ts example');
  const missing = publicNames.filter((n) => n !== pkg.name && !text.includes(n));
  if (missing.length) problems.push(`does not name the other packages: ${missing.join(', ')} (append the package list the other READMEs end with)`);
  return problems;
}

function checkManifest({ pkg }) {
  const p = [];
  if (pkg.type !== 'module') p.push(`"type" is ${JSON.stringify(pkg.type)}, expected "module"`);
  if (!pkg.name?.startsWith('@charlearn/')) p.push(`name ${pkg.name} is not in the @charlearn scope`);
  if (!/^\d+\.\d+\.\d+/.test(pkg.version ?? '')) p.push(`version ${JSON.stringify(pkg.version)} is not semver`);
  if (!Array.isArray(pkg.files) || !pkg.files.some((f) => norm(f).replace(/\/$/, '') === 'dist')) p.push('"files" must include "dist"');
  if (pkg.sideEffects === undefined) p.push('"sideEffects" not declared (false, or the files that register plugins)');
  if (!pkg.license) p.push('no "license"');
  // Libraries take tfjs as a peer (one tfjs instance per app); a package with a `bin` is an app and owns its tfjs.
  // tfjs-node(-gpu) is never a hard dependency anywhere: its install downloads libtensorflow.
  for (const [dep] of Object.entries(pkg.dependencies ?? {})) {
    if (/^@tensorflow\/tfjs-node/.test(dep)) p.push(`${dep} is in dependencies; it must be an optional peer (its install downloads libtensorflow)`);
    else if (dep.startsWith('@tensorflow/') && !pkg.bin) p.push(`${dep} is in dependencies; tfjs must be a peerDependency (one tfjs instance per app)`);
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(pkg[field] ?? {})) {
      if (/^(file|link|workspace|portal):/.test(range)) p.push(`${field}.${dep} = "${range}" cannot be published`);
      if (dep.startsWith('@charlearn/') && (range === '*' || range === '')) p.push(`${field}.${dep} = "${range}": use a caret range (e.g. ^0.1.0)`);
    }
  }
  return p;
}

async function checkPublint({ dir }) {
  // pack: 'npm' (publint runs `npm pack --dry-run` itself, offline) rather than
  // our tarball: on the real directory publint can also say "file exists but is
  // not published".
  const { messages, pkg } = await publint({ pkgDir: dir, pack: 'npm', strict: true });
  const fmt = (m) => `${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code}`;
  return {
    problems: messages.filter((m) => m.type !== 'suggestion').map(fmt),
    notes: messages.filter((m) => m.type === 'suggestion').map(fmt),
  };
}

function checkAttw({ dir }, tarball) {
  let stdout;
  try {
    stdout = run(process.execPath, [attwBin, tarball, '--format', 'json'], dir);
  } catch (e) {
    // attw exits 1 when it finds problems; its JSON is still on stdout.
    if (!e.stdout?.trim().startsWith('{')) throw e;
    stdout = e.stdout;
  }
  const report = JSON.parse(stdout);
  const all = Object.values(report.problems ?? {}).flat();
  const accepted = (pr) => pr.kind === 'NoResolution' && pr.resolutionKind === 'node10' && pr.entrypoint !== '.';
  const fmt = (pr) => `${pr.kind} ${pr.entrypoint ?? ''} ${pr.resolutionKind ? `(${pr.resolutionKind})` : ''}`.trim();
  return {
    problems: all.filter((pr) => !accepted(pr)).map(fmt),
    notes: all.filter(accepted).map((pr) => `accepted: ${fmt(pr)} — node10 has no subpath exports`),
  };
}

async function main() {
  const only = process.argv.slice(2);
  let pkgs = discover();
  const publicNames = pkgs.map((p) => p.pkg.name);
  if (only.length) pkgs = pkgs.filter((p) => only.some((o) => o === p.pkg.name || resolve(o) === p.dir));
  if (pkgs.length === 0) {
    console.error('check-packages: no publishable packages found' + (only.length ? ` matching ${only.join(', ')}` : ''));
    process.exit(1);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'charlearn-check-'));
  const results = [];
  try {
    for (const p of pkgs) {
      const r = { name: p.pkg.name, rel: p.rel, status: {}, details: [] };
      results.push(r);
      const record = (check, problems, notes = []) => {
        r.status[check] = problems.length ? 'FAIL' : 'ok';
        for (const m of problems) r.details.push(`  ✗ [${check}] ${m}`);
        for (const m of notes) r.details.push(`  · [${check}] ${m}`);
      };
      const guard = async (check, fn) => {
        try {
          await fn();
        } catch (e) {
          record(check, [String(e.message ?? e)]);
        }
      };
      let tarball;
      let packed = new Set();
      await guard('dist', async () => {
        const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tmp], p.dir));
        tarball = join(tmp, info.filename);
        packed = new Set(info.files.map((f) => norm(f.path)));
      });
      if (r.status.dist === 'FAIL') {
        for (const c of CHECKS.slice(1)) r.status[c] ??= 'skip';
        continue;
      }
      record('dist', checkDist(p, packed));
      record('manifest', checkManifest(p));
      record('readme', checkReadme(p, packed, publicNames));
      await guard('publint', async () => {
        const { problems, notes } = await checkPublint(p);
        record('publint', problems, notes);
      });
      await guard('attw', async () => {
        const { problems, notes } = checkAttw(p, tarball);
        record('attw', problems, notes);
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const header = ['package', ...CHECKS];
  const rows = results.map((r) => [r.name, ...CHECKS.map((c) => r.status[c] ?? 'skip')]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  const withDetails = results.filter((r) => r.details.length);
  if (withDetails.length) console.log('');
  for (const r of withDetails) console.log(`${r.name} (${r.rel}):\n${r.details.join('\n')}`);
  const failed = results.filter((r) => Object.values(r.status).some((s) => s !== 'ok'));
  console.log(`\ncheck-packages: ${results.length - failed.length}/${results.length} packages ok`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
