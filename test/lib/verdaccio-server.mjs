// Child-process entry for test/lib/registry.ts: runs verdaccio with the config
// file given as argv[2] on 127.0.0.1 and an OS-chosen free port, then prints
// `{"port": N}` as one JSON line on stdout. Stops on SIGTERM/SIGINT or when
// its parent goes away (stdin closes).
import { runServer } from 'verdaccio';

const configPath = process.argv[2];
if (!configPath) {
  console.error('usage: verdaccio-server.mjs <config.yaml>');
  process.exit(2);
}
const server = await runServer(configPath);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
