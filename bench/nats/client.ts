// Child process: `node bench/nats/client.ts <target> <nats host:port> <address> <server pid> <nats pid>`
// connects, says ready, then runs one closed-loop load per run message, measuring its own CPU time,
// the server's and the nats-server's; it stops on a stop message or when the parent goes.
import { clientChild, cpuLoad } from '../lib/child.ts';
import { clockTicks, procCpuMicros, procIoCount } from '../lib/processes.ts';
import type { NatsResultMessage } from './messages.ts';
import { loadTarget } from './targets/index.ts';

const [name, nats = '', address = '', serverPid = '', natsPid = ''] = process.argv.slice(2);
const ticks = clockTicks();

/** Probes besides the two CPU times, named by their field of NatsResultMessage. */
const probes = {
  natsCpuUs: () => procCpuMicros(Number(natsPid), ticks),
  // Write system calls: how well each side batches its messages into socket writes.
  clientWrites: () => procIoCount(process.pid, 'syscw'),
  serverWrites: () => procIoCount(Number(serverPid), 'syscw'),
  clientBytes: () => procIoCount(process.pid, 'wchar'),
  serverBytes: () => procIoCount(Number(serverPid), 'wchar'),
};

await clientChild(
  async () => (await loadTarget(name)).connect(nats, address),
  (call, run): Promise<NatsResultMessage> =>
    cpuLoad(call, run, () => procCpuMicros(Number(serverPid), ticks), probes),
);
