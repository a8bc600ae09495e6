import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

// Three entries: the browser-safe root, the Node-only W2 worker pool (`@charlearn/metrics/node`), and its worker
// script (started by path, not imported).
export default defineConfig(preset({ index: 'src/index.ts', node: 'src/node.ts', 'w2-worker': 'src/w2-worker.ts' }));
