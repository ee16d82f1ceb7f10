// Child process: `node bench/api/client.ts <host:port> <server pids, comma separated>` sends
// POST /greeter/say/hello over HTTP/1.1 keep-alive connections, says ready after one good answer,
// then runs one closed-loop load per run message, measuring the CPU time of the server processes.
import { Pool } from 'undici';
import { clockTicks, procCpuMicros } from '../lib/processes.ts';
import { LatencyHistogram } from '../lib/stats.ts';
import { isRun, type FailedMessage, type ResultMessage, type RunMessage } from '../rpc/messages.ts';

const [address = '', pidList = ''] = process.argv.slice(2);
const pids = pidList.split(',').map(Number);
const ticks = clockTicks();
const BODY = JSON.stringify({ name: 'bench' });
const send = (m: object): void => {
  if (process.connected) process.send?.(m);
};

let pool: Pool | undefined;
const call = async (): Promise<void> => {
  const res = await (pool as Pool).request({
    method: 'POST',
    path: '/greeter/say/hello',
    headers: { 'content-type': 'application/json' },
    body: BODY,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200 || text !== '{"msg":"Hello bench"}')
    throw new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`);
};

/** Warm-up, then the measured window with `inflight` requests always outstanding. */
async function load(run: RunMessage): Promise<ResultMessage> {
  const histogram = new LatencyHistogram();
  const snapshot = () => {
    const cpu = process.cpuUsage();
    return {
      at: performance.now(),
      client: cpu.user + cpu.system,
      server: pids.reduce((n, pid) => n + procCpuMicros(pid, ticks), 0),
    };
  };
  let measuring = false;
  let running = true;
  let calls = 0;
  let errors = 0;
  let firstError: string | undefined;
  let end: ReturnType<typeof snapshot> | undefined;
  const close = (): void => {
    if (!measuring) return;
    end = snapshot();
    measuring = false;
    running = false;
  };
  const worker = async (): Promise<void> => {
    while (running) {
      const t0 = performance.now();
      try {
        await call();
        if (measuring) {
          histogram.record(performance.now() - t0);
          if (++calls >= run.maxCalls) close();
        }
      } catch (err) {
        if (measuring) errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  };
  const workers = Array.from({ length: run.inflight }, worker);
  await new Promise((r) => setTimeout(r, run.warmupMs));
  const start = snapshot();
  measuring = true;
  await new Promise((r) => setTimeout(r, run.measureMs));
  close();
  await Promise.race([Promise.allSettled(workers), new Promise((r) => setTimeout(r, 6000))]);
  if (!end) throw new Error('the measured window never opened');
  return {
    type: 'result',
    calls,
    errors,
    firstError,
    seconds: (end.at - start.at) / 1000,
    p50Ms: histogram.quantile(0.5),
    p99Ms: histogram.quantile(0.99),
    serverCpuUs: end.server - start.server,
    clientCpuUs: end.client - start.client,
  };
}

let busy = false;
process.on('message', (m: unknown) => {
  if ((m as { type?: string }).type === 'stop') process.exit(0);
  if (!isRun(m) || busy) return;
  busy = true;
  if (!pool) pool = new Pool(`http://${address}`, { connections: m.inflight, pipelining: 1 });
  load(m).then(
    (r) => {
      busy = false;
      send(r);
    },
    (err: unknown) => {
      busy = false;
      send({ type: 'failed', error: String(err) } satisfies FailedMessage);
    },
  );
});
process.on('disconnect', () => process.exit(0));

pool = new Pool(`http://${address}`, { connections: 1 });
try {
  await call();
  await pool.close();
  pool = undefined;
  send({ type: 'ready' });
} catch (err) {
  send({
    type: 'failed',
    error: err instanceof Error ? err.message : String(err),
  } satisfies FailedMessage);
}
