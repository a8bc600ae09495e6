// Shared by the *.test.ts files (not part of the published build).
import { webgpuDiagnostics } from './index';

/** Sets up nothing; fails with a clear message when this machine has no WebGPU adapter (CI installs chromium for SwiftShader). */
export async function requireWebGpu(): Promise<void> {
  const d = await webgpuDiagnostics();
  if (!d.available) {
    throw new Error(`WebGPU is not available here, so the webgpu tests cannot run: ${d.reason}. On Debian: apt-get install chromium (SwiftShader)`);
  }
}

/** max |a − e| / max |e| (absolute when e is all ~0). */
export function maxRelDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    num = Math.max(num, Math.abs(actual[i]! - expected[i]!));
    den = Math.max(den, Math.abs(expected[i]!));
  }
  return den > 1e-12 ? num / den : num;
}
