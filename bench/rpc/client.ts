// Child process: `node bench/rpc/client.ts <target> <variant> <address> <server pid>` connects, says
// ready, then runs one closed-loop load per run message; it stops on a stop message or when the parent goes.
import { clockTicks } from '../lib/processes.ts';
import { runLoad } from './load.ts';
import { isRun, type FailedMessage, type ReadyMessage } from './messages.ts';
import type { Caller } from './target.ts';
import { loadTarget } from './targets/index.ts';

const [name, variant = '', address = '', serverPid = ''] = process.argv.slice(2);
const send = (m: object): void => {
  if (process.connected) process.send?.(m);
};

let caller: Caller | undefined;
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 2000).unref();
  (caller?.close() ?? Promise.resolve()).then(
    () => process.exit(0),
    () => process.exit(0),
  );
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);

let busy = false;
process.on('message', (m: unknown) => {
  if ((m as { type?: string }).type === 'stop') return stop();
  if (!isRun(m) || !caller) return;
  if (busy)
    return send({ type: 'failed', error: 'a run is already in progress' } satisfies FailedMessage);
  busy = true;
  const c = caller;
  runLoad(() => c.call(), m, Number(serverPid), clockTicks()).then(
    (result) => {
      busy = false;
      send(result);
    },
    (err: unknown) => {
      busy = false;
      send({ type: 'failed', error: String(err) } satisfies FailedMessage);
    },
  );
});

try {
  caller = await (await loadTarget(name)).connect(address, variant);
  send({ type: 'ready' } satisfies ReadyMessage);
} catch (err) {
  send({
    type: 'failed',
    error: err instanceof Error ? err.message : String(err),
  } satisfies FailedMessage);
  stop();
}
