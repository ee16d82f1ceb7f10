// Child process: `node bench/store/client.ts <target> <address> <server pids>` connects, fills the
// keys, says ready, then runs one closed-loop load of gets or puts per run message, measuring its
// own CPU time and the servers' (every PID given, comma separated, summed from /proc/<pid>/stat),
// and the read and write system calls of each side.
import { clientChild, cpuLoad } from '../lib/child.ts';
import { clockTicks, procCpuMicros, procIoCount } from '../lib/processes.ts';
import type { StoreResultMessage, StoreRunMessage } from './messages.ts';
import { checkValue, fill, keyOf, valueOf, type StoreClient } from './target.ts';
import { loadTarget } from './targets/index.ts';

const [name, address = '', pids = ''] = process.argv.slice(2);
const ticks = clockTicks();
const servers = pids.split(',').filter(Boolean).map(Number);
const serverCpu = (): number => servers.reduce((n, pid) => n + procCpuMicros(pid, ticks), 0);
/** Read and write system calls of a process (sockets included), from /proc/<pid>/io. */
const syscalls = (pid: number): number => procIoCount(pid, 'syscr') + procIoCount(pid, 'syscw');
const probes = {
  clientSyscalls: () => syscalls(process.pid),
  serverSyscalls: () => servers.reduce((n, pid) => n + syscalls(pid), 0),
};

let client: StoreClient | undefined;
let n = 0;
/** One get of the next key, its value checked every 1,000th call (the check costs CPU too). */
const get = async (): Promise<unknown> => {
  const i = n++;
  const value = await (client as StoreClient).get(keyOf(i));
  if (i % 1000 === 0) checkValue(value, i);
  return value;
};
/** One put of the next key. */
const put = (): Promise<void> => {
  const i = n++;
  return (client as StoreClient).put(keyOf(i), valueOf(i));
};

await clientChild(
  async () => {
    const c = await (await loadTarget(name)).connect(address);
    client = c;
    await fill(c);
    return { call: get, close: () => c.close() };
  },
  async (_call, run): Promise<StoreResultMessage> => {
    const { op } = run as StoreRunMessage;
    const result = await cpuLoad(op === 'put' ? put : get, run, serverCpu, probes);
    return { ...result, op };
  },
);
