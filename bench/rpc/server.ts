// Child process: `node bench/rpc/server.ts <target>` serves the target on 127.0.0.1 and prints
// {"address": ...} as its first stdout line; it stops on a stop message, SIGTERM or when the parent goes.
import { loadTarget } from './targets/index.ts';

const target = await loadTarget(process.argv[2]);
const server = await target.serve();
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
