/**
 * What `@tensorflow/tfjs-node-gpu` 4.22 needs, as its sources state:
 * - libtensorflow 2.9.1 (GPU build), downloaded by its install script:
 *   `LIBTENSORFLOW_VERSION = '2.9.1'` in `scripts/deps-constants.js` of the
 *   4.22.0 tarball; GPU builds exist for linux-x86_64 and windows-x86_64 only.
 * - CUDA Toolkit 11.2, cuDNN SDK 8.1.0, NVIDIA driver > 450.x: the table in
 *   tfjs-node's README (https://github.com/tensorflow/tfjs/tree/master/tfjs-node#readme,
 *   to which the package's own README points), which matches TensorFlow
 *   2.9's tested build configuration (https://www.tensorflow.org/install/source#gpu).
 *
 * @example
 * ```ts
 * console.log(`needs CUDA ${TFJS_NODE_GPU_REQUIREMENTS.cuda}`); // 'needs CUDA 11.2'
 * ```
 */
export const TFJS_NODE_GPU_REQUIREMENTS = {
  package: '@tensorflow/tfjs-node-gpu',
  version: '^4.22.0',
  libtensorflow: '2.9.1',
  cuda: '11.2',
  cudnn: '8.1.0',
  nvidiaDriver: '>450.x',
  platforms: 'Linux x86-64 or Windows x86-64 with an NVIDIA GPU',
  readme: 'https://github.com/tensorflow/tfjs/tree/master/tfjs-node#readme',
} as const;

const R = TFJS_NODE_GPU_REQUIREMENTS;

/** One line: what to install and what it needs. */
export const INSTALL_HINT =
  `npm i ${R.package}@${R.version} (${R.platforms}; needs NVIDIA driver ${R.nvidiaDriver}, CUDA ${R.cuda} and cuDNN ${R.cudnn}; ` +
  `its install script downloads libtensorflow ${R.libtensorflow} (GPU build) from storage.googleapis.com; see ${R.readme})`;

/** Why the package cannot be used, from the error its `require` threw. */
export function explainLoadFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if ((code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && message.includes(`'${R.package}'`)) {
    return `package not installed: ${INSTALL_HINT}`;
  }
  if (message.includes('tfjs_binding.node') && /can ?not be found/.test(message)) {
    return (
      `${R.package} is installed but its native addon (tfjs_binding.node) is missing: its install script did not run ` +
      `(npm --ignore-scripts) or could not download libtensorflow ${R.libtensorflow}. Fix: npm rebuild ${R.package} ` +
      `with internet access (or TFJS_NODE_CDN_STORAGE set to a mirror), or npm rebuild ${R.package} --build-addon-from-source; ` +
      `it needs CUDA ${R.cuda} and cuDNN ${R.cudnn} at run time`
    );
  }
  if (/lib(cudart|cublas|cublasLt|cufft|curand|cusolver|cusparse|cudnn)[^ ]*\.so/.test(message)) {
    return (
      `${R.package}'s native addon cannot load a CUDA library (${message.split('\n')[0]}): install CUDA ${R.cuda} and ` +
      `cuDNN ${R.cudnn} and put their lib folders on LD_LIBRARY_PATH`
    );
  }
  if (/libtensorflow/.test(message)) {
    return `${R.package}'s native addon cannot load libtensorflow ${R.libtensorflow} (${message.split('\n')[0]}): npm rebuild ${R.package}`;
  }
  return `${R.package} failed to load: ${message.split('\n')[0]}`;
}
