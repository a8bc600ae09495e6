import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

// Two entries: the browser-safe root and the Node-only checkpoint files (`@charlearn/distill/node`).
export default defineConfig(preset({ index: 'src/index.ts', node: 'src/node.ts' }));
