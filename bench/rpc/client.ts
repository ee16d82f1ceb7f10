// Child process: `node bench/rpc/client.ts <target> <variant> <address> <server pid>` connects, says
// ready, then runs one closed-loop load per run message; it stops on a stop message or when the parent goes.
import { clientChild, cpuLoad } from '../lib/child.ts';
import { clockTicks, procCpuMicros } from '../lib/processes.ts';
import { loadTarget } from './targets/index.ts';

const [name, variant = '', address = '', serverPid = ''] = process.argv.slice(2);
const ticks = clockTicks();
await clientChild(
  async () => (await loadTarget(name)).connect(address, variant),
  (call, run) => cpuLoad(call, run, () => procCpuMicros(Number(serverPid), ticks)),
);
