import { CheckpointError, UnknownPluginError } from '@charlearn/core';
import { featureNetFromBytes, type FeatureNet, type FeatureNetDataset } from './feature-net';

/** The feature nets shipped in `@charlearn/metrics/weights/`. */
export const FEATURE_NET_NAMES: readonly FeatureNetDataset[] = ['mnist', 'fashion-mnist'];

/**
 * The file name of a shipped feature net's weights, `<dataset>-cnn.bin`.
 *
 * @example
 * ```ts
 * featureNetFileName('mnist'); // 'mnist-cnn.bin'
 * ```
 */
export function featureNetFileName(name: FeatureNetDataset): string {
  assertFeatureNetName(name);
  return `${name}-cnn.bin`;
}

/**
 * The `weights/` folder of this package on disk (Node): one level above the
 * running module, which is `dist/` in the published ESM and CJS builds and
 * `src/` in the sources. Uses `__dirname` in CJS, `import.meta.url` in ESM.
 */
async function packageWeightsDir(): Promise<string> {
  const { dirname, join } = await import('node:path');
  let here: string;
  if (typeof __dirname === 'string') {
    here = __dirname;
  } else {
    const { fileURLToPath } = await import('node:url');
    here = dirname(fileURLToPath(import.meta.url));
  }
  return join(here, '..', 'weights');
}

/**
 * Loads a shipped feature CNN (Node): `'mnist'` (trained on the 8k training
 * digits of the `mnist` package) or `'fashion-mnist'` (60k Fashion-MNIST
 * training images). Reads `weights/<name>-cnn.bin` from this package, or
 * from `options.dir`; checks the CRC-32 and the architecture. Unknown names
 * throw `UnknownPluginError`, a missing or corrupt file `CheckpointError`.
 * In a browser, fetch the file and use {@link featureNetFromBytes}.
 *
 * @example
 * ```ts
 * const net = await loadFeatureNet('mnist');
 * const { fd, name } = computeFD(net, generatedImages, testImages); // name: 'FD(charlearn-mnist-cnn)'
 * ```
 */
export async function loadFeatureNet(name: FeatureNetDataset, options: { dir?: string } = {}): Promise<FeatureNet> {
  assertFeatureNetName(name);
  const { join } = await import('node:path');
  const { readFile } = await import('node:fs/promises');
  const file = join(options.dir ?? (await packageWeightsDir()), featureNetFileName(name));
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new CheckpointError(
      `cannot read feature-net weights ${file} (${(e as Error).message}); build them with: node packages/metrics/scripts/train-feature-net.mjs --data ${name}`,
      'name',
    );
  }
  return featureNetFromBytes(bytes);
}

function assertFeatureNetName(name: unknown): asserts name is FeatureNetDataset {
  if (!FEATURE_NET_NAMES.includes(name as FeatureNetDataset)) {
    throw new UnknownPluginError('feature net', String(name), FEATURE_NET_NAMES, 'name');
  }
}
