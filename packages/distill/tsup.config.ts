import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

// Four entries: the browser-safe root, the Node-only checkpoint files, gradient and sampling replicas
// (`@charlearn/distill/node`), and the two replica worker scripts (started by path, not imported).
export default defineConfig(
  preset({ index: 'src/index.ts', node: 'src/node.ts', 'replica-worker': 'src/replica-worker.ts', 'sampling-worker': 'src/sampling-worker.ts' }),
);
