/**
 * Node only: what Dawn (the `webgpu` npm package) needs from the process
 * environment on Linux, where it drives WebGPU through Vulkan.
 *
 * - `XDG_RUNTIME_DIR`: Dawn/Vulkan want a private (mode 700) runtime folder;
 *   when unset, a fresh one is made under the OS temp folder.
 * - `VK_ICD_FILENAMES` (or `VK_DRIVER_FILES`): the Vulkan driver manifest.
 *   When unset and the system has no driver manifest in the standard
 *   `icd.d` folders, but Debian's chromium ships SwiftShader at
 *   `/usr/lib/chromium/vk_swiftshader_icd.json`, that one is used
 *   (SwiftShader is a CPU rasteriser: functional, slow).
 * - The Vulkan loader `libvulkan.so.1`: when it is not in the system library
 *   folders nor `LD_LIBRARY_PATH`, the copy beside the SwiftShader manifest
 *   (`/usr/lib/chromium/libvulkan.so.1`) is preloaded so that Dawn's
 *   `dlopen('libvulkan.so.1')` finds it. `CHARLEARN_VULKAN_LOADER=/path/libvulkan.so.1`
 *   forces a loader; `LD_LIBRARY_PATH=/usr/lib/chromium` does the same from outside.
 *
 * The planning is a pure function of the environment and the file system
 * ({@link planNodeWebGpuEnvironment}); {@link applyNodeWebGpuEnvironment} performs it.
 */

/** Debian chromium's SwiftShader Vulkan driver manifest. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Folders where the Vulkan loader looks for driver manifests when no env var names one. */
export const SYSTEM_ICD_DIRS: readonly string[] = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];

/** System library folders searched for `libvulkan.so.1` (besides `LD_LIBRARY_PATH`). */
export const SYSTEM_LIBRARY_DIRS: readonly string[] = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/lib64',
  '/usr/lib',
  '/lib',
  '/usr/local/lib',
];

const LOADER_NAME = 'libvulkan.so.1';

/**
 * What the planner may look at: environment variables and the file system.
 *
 * @example
 * ```ts
 * const probe: EnvironmentProbe = { platform: 'linux', env: {}, exists: () => false, list: () => [] };
 * ```
 */
export interface EnvironmentProbe {
  /** `process.platform`. */
  readonly platform: string;
  /** `process.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether a file or folder exists. */
  exists(path: string): boolean;
  /** File names in a folder ([] when it does not exist). */
  list(dir: string): readonly string[];
}

/** Where the Vulkan driver manifest comes from. */
export type IcdSource = 'env' | 'system' | 'swiftshader' | 'none' | 'not-linux';

/** Where the Vulkan loader comes from. */
export type LoaderSource = 'system' | 'preload' | 'missing' | 'not-linux';

/**
 * The environment Dawn will see, and what to change to get there.
 *
 * @example
 * ```ts
 * const plan = planNodeWebGpuEnvironment(probe);
 * if (plan.icd.source === 'swiftshader') console.log('software Vulkan (SwiftShader)');
 * ```
 */
export interface NodeWebGpuEnvironmentPlan {
  /** Variables to set (only ones that are unset now). */
  readonly setEnv: Readonly<Record<string, string>>;
  /** Whether `XDG_RUNTIME_DIR` must be created (a fresh mode-700 temp folder). */
  readonly createRuntimeDir: boolean;
  /** The Vulkan driver manifest(s) and where they come from. */
  readonly icd: { readonly source: IcdSource; readonly files: readonly string[] };
  /** The Vulkan loader and where it comes from; `path` is the file to preload for `'preload'`. */
  readonly loader: { readonly source: LoaderSource; readonly path?: string };
  /** Human-readable lines on what was chosen (for logs and reasons). */
  readonly notes: readonly string[];
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function splitPathList(value: string | undefined): string[] {
  return (value ?? '').split(':').filter((p) => p.length > 0);
}

function systemIcdFiles(probe: EnvironmentProbe): string[] {
  return SYSTEM_ICD_DIRS.flatMap((dir) => probe.list(dir).filter((f) => f.endsWith('.json')).map((f) => `${dir}/${f}`));
}

function planIcd(probe: EnvironmentProbe, notes: string[], setEnv: Record<string, string>): NodeWebGpuEnvironmentPlan['icd'] {
  const fromEnv = splitPathList(probe.env.VK_ICD_FILENAMES ?? probe.env.VK_DRIVER_FILES);
  if (fromEnv.length > 0) {
    const missing = fromEnv.filter((f) => !probe.exists(f));
    notes.push(`Vulkan driver manifest from the environment: ${fromEnv.join(':')}${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`);
    if (fromEnv.some((f) => f.includes('swiftshader'))) notes.push('SwiftShader (software Vulkan on the CPU) is the driver: functional, slow');
    return { source: 'env', files: fromEnv };
  }
  const system = systemIcdFiles(probe);
  if (system.length > 0) {
    notes.push(`Vulkan driver manifests found in the system: ${system.join(', ')}`);
    return { source: 'system', files: system };
  }
  if (probe.exists(SWIFTSHADER_ICD)) {
    setEnv.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    notes.push(`no Vulkan driver installed and VK_ICD_FILENAMES unset: using chromium's SwiftShader (software Vulkan on the CPU, slow) via VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`);
    return { source: 'swiftshader', files: [SWIFTSHADER_ICD] };
  }
  notes.push(`no Vulkan driver manifest: VK_ICD_FILENAMES is unset, ${SYSTEM_ICD_DIRS.join(', ')} hold none, and ${SWIFTSHADER_ICD} is absent`);
  return { source: 'none', files: [] };
}

function planLoader(probe: EnvironmentProbe, icdFiles: readonly string[], notes: string[]): NodeWebGpuEnvironmentPlan['loader'] {
  const forced = probe.env.CHARLEARN_VULKAN_LOADER;
  if (forced) {
    notes.push(`Vulkan loader forced by CHARLEARN_VULKAN_LOADER: ${forced}`);
    return { source: 'preload', path: forced };
  }
  const dirs = [...splitPathList(probe.env.LD_LIBRARY_PATH), ...SYSTEM_LIBRARY_DIRS];
  const found = dirs.map((d) => `${d.replace(/\/$/, '')}/${LOADER_NAME}`).find((p) => probe.exists(p));
  if (found) return { source: 'system', path: found };
  const beside = [...icdFiles, SWIFTSHADER_ICD].map((f) => `${dirOf(f)}/${LOADER_NAME}`).find((p) => probe.exists(p));
  if (beside) {
    notes.push(`no system Vulkan loader (${LOADER_NAME}): preloading ${beside}`);
    return { source: 'preload', path: beside };
  }
  notes.push(`the Vulkan loader ${LOADER_NAME} is not installed (apt-get install libvulkan1, or chromium, which ships one in /usr/lib/chromium)`);
  return { source: 'missing' };
}

/**
 * Decides what Dawn needs in this process (pure: reads only `probe`).
 *
 * @param probe - the environment and file system to inspect.
 * @returns the variables to set, the loader to preload, and notes.
 * @example
 * ```ts
 * const plan = planNodeWebGpuEnvironment({ platform: 'linux', env: {}, exists: (p) => p.startsWith('/usr/lib/chromium/'), list: () => [] });
 * plan.setEnv.VK_ICD_FILENAMES; // '/usr/lib/chromium/vk_swiftshader_icd.json'
 * plan.loader;                  // { source: 'preload', path: '/usr/lib/chromium/libvulkan.so.1' }
 * ```
 */
export function planNodeWebGpuEnvironment(probe: EnvironmentProbe): NodeWebGpuEnvironmentPlan {
  if (probe.platform !== 'linux') {
    return { setEnv: {}, createRuntimeDir: false, icd: { source: 'not-linux', files: [] }, loader: { source: 'not-linux' }, notes: [] };
  }
  const notes: string[] = [];
  const setEnv: Record<string, string> = {};
  const createRuntimeDir = !probe.env.XDG_RUNTIME_DIR;
  if (createRuntimeDir) notes.push('XDG_RUNTIME_DIR unset: using a fresh mode-700 folder under the temp folder');
  const icd = planIcd(probe, notes, setEnv);
  const loader = planLoader(probe, icd.files, notes);
  return { setEnv, createRuntimeDir, icd, loader, notes };
}

/**
 * Why Dawn found no adapter, from the plan: the missing loader or driver
 * first, else what was tried.
 *
 * @example
 * ```ts
 * explainNoAdapter(plan); // 'no Vulkan driver manifest: VK_ICD_FILENAMES is unset, ...'
 * ```
 */
export function explainNoAdapter(plan: NodeWebGpuEnvironmentPlan): string {
  const hint =
    'set VK_ICD_FILENAMES to a Vulkan driver manifest (a GPU driver, or SwiftShader: apt-get install chromium gives ' +
    `${SWIFTSHADER_ICD}) and make libvulkan.so.1 loadable (apt-get install libvulkan1, or LD_LIBRARY_PATH=/usr/lib/chromium)`;
  if (plan.loader.source === 'missing') return `Dawn found no WebGPU adapter: the Vulkan loader libvulkan.so.1 is not installed; ${hint}`;
  if (plan.icd.source === 'none') return `Dawn found no WebGPU adapter: no Vulkan driver (ICD) is installed; ${hint}`;
  if (plan.icd.source === 'not-linux') return 'Dawn found no WebGPU adapter (no Metal/D3D12/Vulkan device)';
  return `Dawn found no WebGPU adapter with the Vulkan driver(s) ${plan.icd.files.join(':')} (${plan.icd.source}); ${hint}`;
}
