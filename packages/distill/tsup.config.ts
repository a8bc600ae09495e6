import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

// Three entries: the browser-safe root, the Node-only checkpoint files and gradient replicas (`@charlearn/distill/node`),
// and the replicas' worker script (started by path, not imported).
export default defineConfig(preset({ index: 'src/index.ts', node: 'src/node.ts', 'replica-worker': 'src/replica-worker.ts' }));
