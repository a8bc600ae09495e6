#!/usr/bin/env node
// The `charlearn` command. A committed file (not a build output), so that npm links the
// bin at install time even in a fresh clone of the repository, before any build: without
// it, `npx charlearn` there would ask the registry for an unscoped package named
// `charlearn`. It loads the built CLI (dist/bin.js), or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write(
    `charlearn: the CLI is not built (${fileURLToPath(built)} is missing): run npm run build first (in the charlearn repository), then run the command again\n`,
  );
  process.exit(1);
}
await import(built.href);
