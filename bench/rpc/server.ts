// Child process: `node bench/rpc/server.ts <target>` serves the target on 127.0.0.1 and prints
// {"address": ...} as its first stdout line; it stops on a stop message, SIGTERM or when the parent goes.
import { serveChild } from '../lib/child.ts';
import { loadTarget } from './targets/index.ts';

serveChild(await (await loadTarget(process.argv[2])).serve());
