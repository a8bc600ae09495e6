import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

// shims: `import.meta.url` in the CJS build of ./png (it resolves the resvg wasm and the font file)
export default defineConfig(preset({ index: 'src/index.ts', png: 'src/png.ts' }, { shims: true }));
