// Child process: `node bench/api/client.ts <host:port> <server pids, comma separated> [auth]` sends
// POST /greeter/say/hello over HTTP/1.1 keep-alive connections, says ready after one good answer,
// then runs one closed-loop load per run message, measuring the CPU time of the server processes.
import { Pool } from 'undici';
import { clientChild, cpuLoad } from '../lib/child.ts';
import { clockTicks, procCpuMicros } from '../lib/processes.ts';

const [address = '', pidList = '', auth] = process.argv.slice(2);
const pids = pidList.split(',').map(Number);
const ticks = clockTicks();
const BODY = JSON.stringify({ name: 'bench' });
// With `auth`: the token the parent made (auth.ts).
const HEADERS: Record<string, string> = {
  'content-type': 'application/json',
  ...(auth === 'auth' && { authorization: `Bearer ${process.env.BENCH_AUTH_TOKEN ?? ''}` }),
};

const call = async (pool: Pool): Promise<void> => {
  const res = await pool.request({
    method: 'POST',
    path: '/greeter/say/hello',
    headers: HEADERS,
    body: BODY,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200 || text !== '{"msg":"Hello bench"}')
    throw new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`);
};

// The loads' pool has a connection per request in flight, so the first run message makes it.
let pool: Pool | undefined;
await clientChild(
  async () => {
    const first = new Pool(`http://${address}`, { connections: 1 });
    try {
      await call(first);
    } finally {
      await first.close();
    }
    return {
      call: () => call(pool as Pool),
      close: async () => {
        await pool?.close();
      },
    };
  },
  (calls, run) => {
    pool ??= new Pool(`http://${address}`, { connections: run.inflight, pipelining: 1 });
    return cpuLoad(calls, run, () => pids.reduce((n, pid) => n + procCpuMicros(pid, ticks), 0));
  },
);
