// A file-system layer for the cli (its `FsLayer` seam) that injects faults: an OS error (ENOSPC, EACCES, EROFS,
// ...) on a chosen call, or a pause in the middle of a chosen temp-file write. Used in-process by the fault matrix
// and by fault-cli.mjs in child processes. Test code only: the package reads no test switches.
import { basename } from 'node:path';
import { nodeFs } from '@charlearn/cli';

/** The stderr marker printed when a write pauses half-way. */
export const PAUSE_MARKER = 'fault-fs: paused mid-write of';

function osError(code, syscall, path) {
  return Object.assign(new Error(`${code}: injected, ${syscall} '${path}'`), { code, syscall, path });
}

/**
 * plan: {
 *   writeFault?: { match: string (regex on the final file name the temp file is for), skip?: number, code?: string, pauseMs?: number },
 *   callFault?: { op: 'mkdir' | 'open' | 'writeFile' | 'rename' | 'link', match?: string (regex on the path), code: string },
 * }
 * writeFault: the (skip + 1)-th temp file written for a matching target gets half its first chunk, then either
 * fails with `code` or prints PAUSE_MARKER and sleeps `pauseMs`.
 */
export function faultFs(plan) {
  let seen = 0;
  const fs = { ...nodeFs };
  const { writeFault, callFault } = plan;
  if (callFault) {
    const re = callFault.match ? new RegExp(callFault.match) : undefined;
    const real = nodeFs[callFault.op];
    fs[callFault.op] = async (path, ...rest) => {
      if (!re || re.test(String(path))) throw osError(callFault.code, callFault.op, String(path));
      return real(path, ...rest);
    };
  }
  if (writeFault) {
    const re = new RegExp(writeFault.match);
    fs.open = async (path, flags, mode) => {
      const handle = await nodeFs.open(path, flags, mode);
      const m = /^\.(.+)\.\d+\.[0-9a-f]{8}\.tmp$/.exec(basename(String(path)));
      if (!m || !re.test(m[1]) || seen++ !== (writeFault.skip ?? 0)) return handle;
      const write = handle.write.bind(handle);
      let fired = false;
      handle.write = async (buffer, offset, length) => {
        if (fired) return write(buffer, offset, length);
        fired = true;
        const half = Math.max(1, length >> 1);
        await write(buffer, offset, half);
        await handle.sync();
        if (writeFault.pauseMs) {
          process.stderr.write(`${PAUSE_MARKER} ${path}\n`);
          await new Promise((r) => setTimeout(r, writeFault.pauseMs));
          return write(buffer, offset + half, length - half).then((r) => ({ ...r, bytesWritten: r.bytesWritten + half }));
        }
        throw osError(writeFault.code ?? 'ENOSPC', 'write', String(path));
      };
      return handle;
    };
  }
  return fs;
}
