#!/usr/bin/env node
/**
 * The system (Debian) packages that the tests need, in one place, and their
 * installation. `npm test` runs this first; `.ci/run` gets it through `npm test`.
 *
 *   node scripts/setup-system.mjs           install what is missing (as root), or stop with the apt-get line
 *   node scripts/setup-system.mjs --check   only say what is missing (exit 1 when something is)
 *   node scripts/setup-system.mjs --list    print each package, the files checked and what needs it
 *   ... --bench                             also the packages of the benchmarks (BENCH_PACKAGES; not needed by npm test)
 *
 * Presence is decided by the files the code and tests read (no apt or dpkg call),
 * so a machine that has everything pays a few `stat`s. When something is missing:
 * as root, `apt-get update` then `apt-get install -y --no-install-recommends ...`
 * (noninteractive, waiting up to 10 min for another apt/dpkg to release its lock),
 * with the time it took; as another user, one message with the exact command, exit 1,
 * before any test ran. CHARLEARN_SYSTEM_SETUP=skip runs the tests anyway (the tests
 * that need a missing package then fail, naming what is missing).
 *
 * Not needed: `libvulkan1` (Debian's Vulkan loader). The WebGPU tests in Node load
 * the loader that chromium ships beside SwiftShader (/usr/lib/chromium/libvulkan.so.1,
 * preloaded by @charlearn/backend-webgpu's node-env), and chromium's SwiftShader is
 * the only Vulkan driver they use.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * @typedef {object} SystemPackage
 * @property {string} deb        the Debian package name
 * @property {string[]} files    files the code/tests read from it (all present = installed)
 * @property {string} neededBy   the tests and features that need it
 */

/** @type {SystemPackage[]} */
export const SYSTEM_PACKAGES = [
  {
    deb: 'chromium', // the last two files come from its dependency chromium-common
    files: ['/usr/bin/chromium', '/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium/libvulkan.so.1'],
    neededBy:
      'test/browser/web-app.test.ts (the examples/web app end to end, driven through playwright-core, no browser download); ' +
      'plugins/backend-webgpu tests in Node (webgpu.test.ts, training-parity.test.ts, no-driver.test.ts): chromium ships SwiftShader, ' +
      'the software Vulkan driver, and the Vulkan loader libvulkan.so.1 that Dawn uses',
  },
  {
    deb: 'dataset-fashion-mnist',
    files: [
      '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz',
      '/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz',
      '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz',
      '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz',
    ],
    neededBy:
      'packages/metrics/src/feature-net-real.test.ts (the shipped Fashion-MNIST feature net on the real test split); ' +
      'packages/data/src/image-loaders.test.ts (loadFashionMnist on the real files); the default folder of loadFashionMnist ' +
      'and of `charlearn --preset fashion-mnist`',
  },
];

/**
 * Not needed by any test: the PyTorch reference that some benchmarks compare with
 * (`node scripts/setup-system.mjs --bench` installs them too).
 * @type {SystemPackage[]}
 */
export const BENCH_PACKAGES = [
  {
    deb: 'python3-torch',
    files: ['/usr/bin/python3', '/usr/lib/python3/dist-packages/torch/__init__.py'],
    neededBy: 'packages/nets/bench/unet-vs-torch.mjs (the same U-Net step in PyTorch, run by /usr/bin/python3; a benchmark, not a test)',
  },
];

/** The packages of `list` with a file missing on this machine. */
export function missingPackages(list = SYSTEM_PACKAGES, exists = existsSync) {
  return list.filter((p) => !p.files.every((f) => exists(f)));
}

/** The install command for `debs`, as this script runs it. */
export function aptInstallCommand(debs) {
  return `apt-get install -y --no-install-recommends ${debs.join(' ')}`;
}

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
// Another apt/dpkg (an unattended upgrade, a second setup) may hold the lock: wait for it rather than fail.
const APT_LOCK = ['-o', 'DPkg::Lock::Timeout=600'];

function apt(args) {
  const t0 = Date.now();
  const r = spawnSync('apt-get', [...APT_LOCK, ...args], { env: APT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.error || r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`setup-system: \`apt-get ${args.join(' ')}\` failed (${r.error?.message ?? `exit ${r.status}`}) after ${seconds} s:\n${tail}`);
  }
  return seconds;
}

function describe(p) {
  return `  ${p.deb}: needed by ${p.neededBy}`;
}

function main() {
  const args = process.argv.slice(2);
  const list = args.includes('--bench') ? [...SYSTEM_PACKAGES, ...BENCH_PACKAGES] : SYSTEM_PACKAGES;
  if (args.includes('--list')) {
    for (const p of list) console.log(`${p.deb}\n  checks: ${p.files.join(', ')}\n  needed by: ${p.neededBy}`);
    return 0;
  }
  const missing = missingPackages(list);
  if (missing.length === 0) return 0;
  const debs = missing.map((p) => p.deb);
  const command = aptInstallCommand(debs);
  const what = missing.map(describe).join('\n');
  if (args.includes('--check')) {
    console.error(`setup-system: missing system packages:\n${what}\ninstall them with: sudo apt-get update && sudo ${command}`);
    return 1;
  }
  if (process.env.CHARLEARN_SYSTEM_SETUP === 'skip') {
    console.warn(`setup-system: CHARLEARN_SYSTEM_SETUP=skip: not installing ${debs.join(', ')}; the tests that need them will fail`);
    return 0;
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    console.error(
      `setup-system: the tests need system packages that are missing, and this script installs them only as root on Debian/Ubuntu:\n${what}\n` +
        `Install them, then run npm test again:\n\n  sudo apt-get update && sudo ${command}\n\n` +
        '(CHARLEARN_SYSTEM_SETUP=skip npm test runs the tests anyway; the ones that need these packages fail.)',
    );
    return 1;
  }
  const t0 = Date.now();
  console.log(`setup-system: installing ${debs.join(', ')} (apt-get, as root; chromium takes about a minute):\n${what}`);
  const update = apt(['update', '-q']);
  const install = apt(['install', '-y', '-q', '--no-install-recommends', ...debs]);
  const still = missingPackages(missing);
  if (still.length) {
    console.error(`setup-system: apt-get installed ${debs.join(', ')} but these files are still missing: ${still.flatMap((p) => p.files.filter((f) => !existsSync(f))).join(', ')}`);
    return 1;
  }
  console.log(`setup-system: installed ${debs.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s (apt-get update ${update} s, install ${install} s)`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exitCode = main();
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  }
}
