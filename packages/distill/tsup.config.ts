import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

// Five entries: the browser-safe root, the Node-only checkpoint files, gradient and sampling replicas and the rollout
// worker (`@charlearn/distill/node`), and the three worker scripts (started by path, not imported).
export default defineConfig(
  preset({ index: 'src/index.ts', node: 'src/node.ts', 'replica-worker': 'src/replica-worker.ts', 'sampling-worker': 'src/sampling-worker.ts', 'rollout-worker': 'src/rollout-worker.ts' }),
);
