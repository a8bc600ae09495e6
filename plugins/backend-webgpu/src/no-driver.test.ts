// Runs in its own process: Vulkan is pointed at a driver manifest that does not exist.
import { describe, expect, it, vi } from 'vitest';
import { webgpuBackend, webgpuDiagnostics } from './index';

describe('Node with the webgpu package but no usable Vulkan driver', () => {
  it('isAvailable() is false and names the driver it tried and the fix', async () => {
    vi.stubEnv('VK_ICD_FILENAMES', '/nonexistent/charlearn_test_icd.json');
    const a = await webgpuBackend.isAvailable();
    expect(a.available).toBe(false);
    if (!a.available) {
      expect(a.reason).toMatch(/Dawn found no WebGPU adapter with the Vulkan driver\(s\) \/nonexistent\/charlearn_test_icd\.json \(env\)/);
      expect(a.reason).toMatch(/set VK_ICD_FILENAMES/);
    }
    const d = await webgpuDiagnostics();
    expect(d.notes.join('\n')).toMatch(/missing: \/nonexistent\/charlearn_test_icd\.json/);
  });
});
