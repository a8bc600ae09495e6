// Adds lockfile entries for platform-specific optionalDependencies (rollup, turbo, ...)
// that the registry mirror here does not serve (404), so `npm ci` stops failing with
// "Missing: @rollup/rollup-android-arm64@ from lock file". The stubs carry os/cpu/libc,
// so npm skips them on non-matching hosts; `npm install` preserves them. Idempotent.
import { readFileSync, writeFileSync } from 'node:fs';
const file = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pk = lock.packages;
const OS = { darwin: 'darwin', win32: 'win32', windows: 'win32', android: 'android', freebsd: 'freebsd', openbsd: 'openbsd', netbsd: 'netbsd', openharmony: 'openharmony', sunos: 'sunos', aix: 'aix', linux: 'linux' };
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el'];
const added = [];
for (const [path, node] of Object.entries({ ...pk })) {
  for (const [dep, version] of Object.entries(node.optionalDependencies ?? {})) {
    const nested = `${path ? path + '/' : ''}node_modules/${dep}`;
    if (pk[nested] || pk[`node_modules/${dep}`]) continue;
    const parts = dep.split('/').pop().split('-');
    const os = parts.map((p) => OS[p]).find(Boolean);
    let cpu = parts.find((p) => CPU.includes(p)) ?? (parts.includes('64') ? 'x64' : parts.includes('arm') || parts.includes('gnueabihf') ? 'arm' : undefined);
    if (!os || !cpu) { console.error(`skip ${dep}: cannot tell its platform`); continue; }
    const libc = os === 'linux' ? (parts.includes('musl') || parts.includes('musleabihf') ? 'musl' : 'glibc') : undefined;
    pk[`node_modules/${dep}`] = { version, ...(node.dev ? { dev: true } : {}), optional: true, os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) };
    added.push(`${dep}@${version} (${os}/${cpu}${libc ? '/' + libc : ''})`);
  }
}
lock.packages = Object.fromEntries(Object.entries(pk).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added.length} stub(s)${added.length ? ':\n  ' + added.join('\n  ') : ''}`);
