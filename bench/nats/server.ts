// Child process: `node bench/nats/server.ts <target> <nats host:port>` serves the target through the
// nats-server and prints {"address": ...} as its first stdout line; it stops on a stop message,
// SIGTERM or when the parent goes.
import { loadTarget } from './targets/index.ts';

const [name, nats = ''] = process.argv.slice(2);
const target = await loadTarget(name);
const server = await target.serve(nats);
process.stdout.write(`${JSON.stringify({ address: server.address })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 2000).unref();
  server.close().then(
    () => process.exit(0),
    () => process.exit(0),
  );
};
process.on('message', (m: { type?: string }) => {
  if (m.type === 'stop') stop();
});
process.on('disconnect', stop);
process.on('SIGTERM', stop);
