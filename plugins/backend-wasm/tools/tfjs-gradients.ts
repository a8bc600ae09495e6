/**
 * Build-time helper: turns `@tensorflow/tfjs-core/dist/register_all_gradients`
 * into a module that Node can load (ESM and CJS) and that shares the one
 * installed `@tensorflow/tfjs-core`.
 *
 * Why: tfjs-core's Node (`tf-core.node.js`) and browser bundles register no
 * gradients, and `dist/register_all_gradients.js` is ESM with extensionless
 * relative imports, which Node cannot load at all (ERR_MODULE_NOT_FOUND with
 * `import`, SyntaxError with `require`). Bundlers can, but Node cannot.
 *
 * How: esbuild bundles the gradient configs (`dist/gradients/*_grad.js`) and
 * exports the `gradConfigs` array instead of registering it. Every other
 * tfjs-core module they import is replaced by a re-export from the public
 * `@tensorflow/tfjs-core` entry (kept external) when all of that module's
 * exports are public (top level or in the `util`, `backend_util`,
 * `broadcast_util`, `slice_util` namespaces); `engine` becomes `engine()`.
 * Only internal gradient ops (`conv2DBackpropFilter`, `maxPoolGrad`, ...)
 * and pure helpers are copied, so the bundle holds no second engine, tensor
 * class, flag registry or io router. {@link checkBundledInputs} asserts that.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

/** The specifier `src/gradients.ts` imports; resolved only by this tool. */
export const VIRTUAL_GRADIENTS_ID = 'virtual:charlearn-tfjs-gradient-configs';

const require = createRequire(import.meta.url);
const coreDist = path.dirname(require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js'));
const publicCore = require('@tensorflow/tfjs-core') as Record<string, unknown>;
const publicNames = new Set(Object.keys(publicCore));
const NAMESPACES = ['util', 'backend_util', 'broadcast_util', 'slice_util', 'tensor_util'] as const;

/**
 * Stateful modules that must never be copied, mapped by hand: name -> an
 * expression over the public namespace `tf`.
 */
const HAND_SHIMS: Record<string, Record<string, string>> = {
  engine: { ENGINE: 'tf.engine()' },
  environment: { env: 'tf.env', Environment: 'tf.Environment' },
  tensor: { Tensor: 'tf.Tensor', Variable: 'tf.Variable', TensorBuffer: 'tf.TensorBuffer', getGlobalTensorClass: '() => tf.Tensor' },
};

/** Modules copied into the bundle must match this (pure code, no module state). */
const ALLOWED_COPIED = /^(register_all_gradients|gradients\/\w+|ops\/\w+_(grad|backprop|backprop_filter|backprop_input|util)|ops\/operation|util_base|util|tensor_util_env|types|log|global_util)$/;

const sources = new Map<string, string>();
function source(file: string): string {
  let s = sources.get(file);
  if (s === undefined) {
    s = readFileSync(file, 'utf8');
    sources.set(file, s);
  }
  return s;
}

function exportedNames(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const src = source(file);
  const names: string[] = [];
  for (const m of src.matchAll(/^export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)/gm)) names.push(m[1]!);
  for (const m of src.matchAll(/^export\s*\{([^}]*)\}/gm)) {
    for (const part of m[1]!.split(',')) {
      const n = part.trim().split(/\s+as\s+/).pop()?.trim();
      if (n) names.push(n);
    }
  }
  for (const m of src.matchAll(/^export\s*\*\s*from\s*'([^']+)'/gm)) {
    names.push(...exportedNames(path.resolve(path.dirname(file), m[1]!) + '.js', seen));
  }
  return names;
}

/** Names `importer` takes from `specifier`; a namespace import takes all of the target's exports. */
function importedNames(importer: string, specifier: string, target: string): string[] {
  const esc = specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const names = new Set<string>();
  for (const m of source(importer).matchAll(new RegExp(`import\\s+(\\{[^}]*\\}|\\*\\s+as\\s+[\\w$]+)\\s+from\\s+'${esc}'`, 'g'))) {
    if (m[1]!.startsWith('*')) return exportedNames(target).filter((n) => n !== 'default');
    for (const part of m[1]!.slice(1, -1).split(',')) {
      const n = part.trim().split(/\s+as\s+/)[0]?.trim();
      if (n) names.add(n);
    }
  }
  if (names.size === 0) throw new Error(`cannot parse the import of '${specifier}' in ${importer}`);
  return [...names].sort();
}

/** ESM source re-exporting `names` of tfjs-core module `rel` from the public entry, or undefined if some are internal. */
function shimFor(rel: string, names: readonly string[]): string | undefined {
  const hand = HAND_SHIMS[rel];
  if (hand) {
    const missing = names.filter((n) => !(n in hand));
    if (missing.length > 0) throw new Error(`tfjs-core module '${rel}' is imported for ${missing.join(', ')}: add them to HAND_SHIMS`);
    return `import * as tf from '@tensorflow/tfjs-core';\n` + names.map((n) => `export const ${n} = ${hand[n]};`).join('\n') + '\n';
  }
  if (names.every((n) => publicNames.has(n))) return `export { ${names.join(', ')} } from '@tensorflow/tfjs-core';\n`;
  for (const ns of NAMESPACES) {
    const obj = publicCore[ns] as Record<string, unknown> | undefined;
    if (obj && names.every((n) => n in obj)) {
      return `import { ${ns} as ns } from '@tensorflow/tfjs-core';\n` + names.map((n) => `export const ${n} = ns.${n};`).join('\n') + '\n';
    }
  }
  return undefined;
}

function gradientsPlugin(): Plugin {
  return {
    name: 'charlearn-tfjs-gradients',
    setup(b) {
      b.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, (args) => ({ path: args.path, external: true }));
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (!args.importer.startsWith(coreDist)) return undefined;
        const file = path.resolve(path.dirname(args.importer), args.path) + '.js';
        const rel = path.relative(coreDist, file).replace(/\\/g, '/').replace(/\.js$/, '');
        if (rel.startsWith('gradients/')) return { path: file };
        const names = importedNames(args.importer, args.path, file);
        const shim = shimFor(rel, names);
        if (shim !== undefined) return { path: `${rel}?${names.join(',')}`, namespace: 'tfjs-public', pluginData: shim };
        return { path: file };
      });
      b.onLoad({ filter: /.*/, namespace: 'tfjs-public' }, (args) => ({ contents: args.pluginData as string, loader: 'js' }));
      b.onLoad({ filter: /register_all_gradients\.js$/ }, (args) => {
        const src = readFileSync(args.path, 'utf8');
        const loop = /for\s*\(const\s+gradientConfig\s+of\s+gradConfigs\)\s*\{\s*registerGradient\(gradientConfig\);\s*\}/;
        if (!loop.test(src)) throw new Error(`unexpected ${args.path}: the registration loop was not found (tfjs-core changed?)`);
        return { contents: src.replace(loop, 'export { gradConfigs };'), loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}

/** Throws unless every tfjs-core file copied into the bundle is pure gradient/op/helper code. */
export function checkBundledInputs(inputs: readonly string[]): void {
  const bad = inputs
    .map((i) => path.resolve(i))
    .filter((i) => i.startsWith(coreDist))
    .map((i) => path.relative(coreDist, i).replace(/\\/g, '/').replace(/\.js$/, ''))
    .filter((rel) => !ALLOWED_COPIED.test(rel));
  if (bad.length > 0) throw new Error(`tfjs gradient bundle would copy stateful tfjs-core modules: ${bad.join(', ')}`);
}

let cached: Promise<string> | undefined;

/**
 * ESM source of the virtual module: `export { gradConfigs }` (tfjs-core's
 * 100+ gradient configs), importing only the public `@tensorflow/tfjs-core`.
 */
export function bundleGradientConfigs(): Promise<string> {
  cached ??= build({
    stdin: {
      contents: `export { gradConfigs } from ${JSON.stringify(path.join(coreDist, 'register_all_gradients.js'))};`,
      resolveDir: coreDist,
      loader: 'js',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [gradientsPlugin()],
  }).then((r) => {
    checkBundledInputs(Object.keys(r.metafile.inputs).map((i) => path.resolve(coreDist, path.relative(coreDist, path.resolve(i)))));
    const out = r.outputFiles[0];
    if (!out) throw new Error('esbuild produced no output for the tfjs gradient bundle');
    return `// Generated from @tensorflow/tfjs-core ${String((publicCore as { version_core?: string }).version_core)} dist/gradients (Apache-2.0).\n${out.text}`;
  });
  return cached;
}

/** esbuild plugin (for tsup) that serves {@link VIRTUAL_GRADIENTS_ID}. */
export function tfjsGradientsEsbuildPlugin(): Plugin {
  return {
    name: 'charlearn-virtual-gradients',
    setup(b) {
      b.onResolve({ filter: /^virtual:charlearn-tfjs-gradient-configs$/ }, (args) => ({ path: args.path, namespace: 'charlearn-virtual' }));
      b.onLoad({ filter: /.*/, namespace: 'charlearn-virtual' }, async () => ({ contents: await bundleGradientConfigs(), loader: 'js', resolveDir: coreDist }));
    },
  };
}

/** Vite/vitest plugin that serves {@link VIRTUAL_GRADIENTS_ID} (tests run from `src`). */
export function tfjsGradientsVitePlugin(): { name: string; enforce: 'pre'; resolveId(id: string): string | undefined; load(id: string): Promise<string> | undefined } {
  const resolved = '\0' + VIRTUAL_GRADIENTS_ID;
  return {
    name: 'charlearn-virtual-gradients',
    enforce: 'pre',
    resolveId: (id) => (id === VIRTUAL_GRADIENTS_ID ? resolved : undefined),
    load: (id) => (id === resolved ? bundleGradientConfigs() : undefined),
  };
}
