// Child process: `node bench/nats/client.ts <target> <nats host:port> <address> <server pid> <nats pid>`
// connects, says ready, then runs one closed-loop load per run message, measuring its own CPU time,
// the server's and the nats-server's; it stops on a stop message or when the parent goes.
import { closedLoop, ownCpuMicros } from '../lib/closed-loop.ts';
import { clockTicks, procCpuMicros, procIoCount } from '../lib/processes.ts';
import {
  isRun,
  type FailedMessage,
  type NatsResultMessage,
  type ReadyMessage,
} from './messages.ts';
import type { Caller } from './target.ts';
import { loadTarget } from './targets/index.ts';

const [name, nats = '', address = '', serverPid = '', natsPid = ''] = process.argv.slice(2);
const ticks = clockTicks();
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

const probes = {
  client: ownCpuMicros,
  server: () => procCpuMicros(Number(serverPid), ticks),
  nats: () => procCpuMicros(Number(natsPid), ticks),
  // Write system calls: how well each side batches its messages into socket writes.
  clientWrites: () => procIoCount(process.pid, 'syscw'),
  serverWrites: () => procIoCount(Number(serverPid), 'syscw'),
  clientBytes: () => procIoCount(process.pid, 'wchar'),
  serverBytes: () => procIoCount(Number(serverPid), 'wchar'),
};

let busy = false;
process.on('message', (m: unknown) => {
  if ((m as { type?: string }).type === 'stop') return stop();
  if (!isRun(m) || !caller) return;
  if (busy)
    return send({ type: 'failed', error: 'a run is already in progress' } satisfies FailedMessage);
  busy = true;
  const c = caller;
  closedLoop(() => c.call(), m, probes).then(
    ({ deltas, ...r }) => {
      busy = false;
      send({
        type: 'result',
        ...r,
        clientCpuUs: deltas.client ?? NaN,
        serverCpuUs: deltas.server ?? NaN,
        natsCpuUs: deltas.nats ?? NaN,
        clientWrites: deltas.clientWrites ?? NaN,
        serverWrites: deltas.serverWrites ?? NaN,
        clientBytes: deltas.clientBytes ?? NaN,
        serverBytes: deltas.serverBytes ?? NaN,
      } satisfies NatsResultMessage);
    },
    (err: unknown) => {
      busy = false;
      send({ type: 'failed', error: String(err) } satisfies FailedMessage);
    },
  );
});

try {
  caller = await (await loadTarget(name)).connect(nats, address);
  send({ type: 'ready' } satisfies ReadyMessage);
} catch (err) {
  send({
    type: 'failed',
    error: err instanceof Error ? err.message : String(err),
  } satisfies FailedMessage);
  stop();
}
