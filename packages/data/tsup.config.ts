import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

// Two entries: the browser-safe root, and the Node-only image loaders (`@charlearn/data/images`).
export default defineConfig(preset({ index: 'src/index.ts', images: 'src/images.ts' }));
