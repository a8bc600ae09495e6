import { describe, expect, it } from 'vitest';
import { explainNoAdapter, planNodeWebGpuEnvironment, SWIFTSHADER_ICD, type EnvironmentProbe } from './node-env';

/** A fake file system holding exactly `files` (folders are implied by the paths). */
function probe(env: Record<string, string>, files: string[], platform = 'linux'): EnvironmentProbe {
  return {
    platform,
    env,
    exists: (p) => files.includes(p) || files.some((f) => f.startsWith(`${p}/`)),
    list: (dir) => files.filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1)),
  };
}

const CHROMIUM = [SWIFTSHADER_ICD, '/usr/lib/chromium/libvulkan.so.1'];

describe('planNodeWebGpuEnvironment', () => {
  it('Debian chromium only: SwiftShader via VK_ICD_FILENAMES, its loader preloaded, a runtime dir created', () => {
    const plan = planNodeWebGpuEnvironment(probe({}, CHROMIUM));
    expect(plan.setEnv).toEqual({ VK_ICD_FILENAMES: SWIFTSHADER_ICD });
    expect(plan.icd.source).toBe('swiftshader');
    expect(plan.loader).toEqual({ source: 'preload', path: '/usr/lib/chromium/libvulkan.so.1' });
    expect(plan.createRuntimeDir).toBe(true);
    expect(plan.notes.join('\n')).toMatch(/SwiftShader/);
  });

  it('a system driver wins over SwiftShader, and a system loader is not preloaded', () => {
    const files = [...CHROMIUM, '/usr/share/vulkan/icd.d/nvidia_icd.json', '/usr/lib/x86_64-linux-gnu/libvulkan.so.1'];
    const plan = planNodeWebGpuEnvironment(probe({ XDG_RUNTIME_DIR: '/run/user/0' }, files));
    expect(plan.setEnv).toEqual({});
    expect(plan.icd).toEqual({ source: 'system', files: ['/usr/share/vulkan/icd.d/nvidia_icd.json'] });
    expect(plan.loader.source).toBe('system');
    expect(plan.createRuntimeDir).toBe(false);
  });

  it('VK_ICD_FILENAMES set by the user is kept (and a missing file is named)', () => {
    const plan = planNodeWebGpuEnvironment(probe({ VK_ICD_FILENAMES: '/opt/x/icd.json' }, CHROMIUM));
    expect(plan.setEnv).toEqual({});
    expect(plan.icd).toEqual({ source: 'env', files: ['/opt/x/icd.json'] });
    expect(plan.notes.join('\n')).toMatch(/missing: \/opt\/x\/icd\.json/);
    expect(explainNoAdapter(plan)).toMatch(/\/opt\/x\/icd\.json/);
  });

  it('LD_LIBRARY_PATH counts as a loader location; CHARLEARN_VULKAN_LOADER forces one', () => {
    expect(planNodeWebGpuEnvironment(probe({ LD_LIBRARY_PATH: '/usr/lib/chromium' }, CHROMIUM)).loader.source).toBe('system');
    expect(planNodeWebGpuEnvironment(probe({ CHARLEARN_VULKAN_LOADER: '/x/libvulkan.so.1' }, CHROMIUM)).loader).toEqual({ source: 'preload', path: '/x/libvulkan.so.1' });
  });

  it('nothing installed: the reason names the missing loader, then the missing driver, with the fix', () => {
    const none = planNodeWebGpuEnvironment(probe({}, []));
    expect(none.icd.source).toBe('none');
    expect(none.loader.source).toBe('missing');
    expect(explainNoAdapter(none)).toMatch(/libvulkan\.so\.1 is not installed.*VK_ICD_FILENAMES.*apt-get install chromium/);
    const noDriver = planNodeWebGpuEnvironment(probe({}, ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1']));
    expect(explainNoAdapter(noDriver)).toMatch(/no Vulkan driver \(ICD\) is installed/);
  });

  it('off Linux nothing is changed (Dawn uses Metal / D3D12)', () => {
    const plan = planNodeWebGpuEnvironment(probe({}, CHROMIUM, 'darwin'));
    expect(plan).toMatchObject({ setEnv: {}, createRuntimeDir: false, icd: { source: 'not-linux' }, loader: { source: 'not-linux' } });
  });
});
