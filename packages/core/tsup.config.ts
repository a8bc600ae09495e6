import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig(preset({ index: 'src/index.ts' }, { define: { __CHARLEARN_CORE_VERSION__: JSON.stringify(version) } }));
