// `charlearn` with a fault-injecting file system (fault-fs.mjs): node fault-cli.mjs '<plan json>' <charlearn args...>
import { main } from '@charlearn/cli';
import { faultFs } from './fault-fs.mjs';

const [plan, ...argv] = process.argv.slice(2);
main(argv, { fs: faultFs(JSON.parse(plan ?? '{}')) }).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`charlearn: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
