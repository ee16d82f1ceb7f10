// Child process: `node bench/nats/server.ts <target> <nats host:port>` serves the target through the
// nats-server and prints {"address": ...} as its first stdout line; it stops on a stop message,
// SIGTERM or when the parent goes.
import { serveChild } from '../lib/child.ts';
import { loadTarget } from './targets/index.ts';

const [name, nats = ''] = process.argv.slice(2);
serveChild(await (await loadTarget(name)).serve(nats));
