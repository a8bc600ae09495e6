import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

// Three entries: the browser-safe root, the Node-only image loaders (`@charlearn/data/images`) and the Node-only data-file reader (`@charlearn/data/node`).
export default defineConfig(preset({ index: 'src/index.ts', images: 'src/images.ts', node: 'src/node.ts' }));
