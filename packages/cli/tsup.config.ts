import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig([
  preset({ index: 'src/index.ts' }),
  preset({ bin: 'src/bin.ts' }, { format: ['esm'], dts: false, clean: false, banner: { js: '#!/usr/bin/env node' } }),
]);
