// The PyTorch the benches compare against: Debian's python3-torch for /usr/bin/python3 (PYTHON overrides), installed
// with apt-get when it is missing and the bench runs as root (bench-torch.mjs, bench-ceiling.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The interpreter the benches run PyTorch with. */
export const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/** Exits with the install line when `import torch` fails and this is not root; runs `apt-get install` as root. */
export function ensureTorch() {
  const probe = () => spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  if (probe()) return;
  const line = 'apt-get install -y python3-torch';
  if (process.getuid?.() !== 0) {
    console.error(`PyTorch is missing for ${python}; install it with: sudo ${line} (or set PYTHON to an interpreter that has torch)`);
    process.exit(1);
  }
  console.error(`PyTorch is missing for ${python}: running ${line}`);
  let r = spawnSync('apt-get', ['install', '-y', 'python3-torch'], { stdio: 'inherit' });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    r = spawnSync('apt-get', ['install', '-y', 'python3-torch'], { stdio: 'inherit' });
  }
  if (r.status !== 0 || !probe()) {
    console.error(`${line} failed; install PyTorch for ${python} and rerun`);
    process.exit(1);
  }
}
