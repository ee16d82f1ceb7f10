// Child process: `node bench/events/client.ts <target> <address> <server pids>` connects, says
// ready, then per run message either publishes `count` events to the topic (`inflight` publishes
// in flight, each awaited until the server acknowledged it) or consumes them as a consumer group
// from the oldest, acknowledging each; it answers with the time taken and the CPU time of this
// process and of the servers (every PID given, summed from /proc/<pid>/stat) over that time.
import { clientChild } from '../lib/child.ts';
import { ownCpuMicros } from '../lib/closed-loop.ts';
import { clockTicks, procCpuMicros } from '../lib/processes.ts';
import { LatencyHistogram } from '../lib/stats.ts';
import type { EventsResultMessage, EventsRunMessage } from './messages.ts';
import { eventOf, type EventsClient } from './target.ts';
import { loadTarget } from './targets/index.ts';

const [name, address = '', pids = ''] = process.argv.slice(2);
const ticks = clockTicks();
const servers = pids.split(',').filter(Boolean).map(Number);
const serverCpu = (): number => servers.reduce((n, pid) => n + procCpuMicros(pid, ticks), 0);

let client: EventsClient | undefined;

/** Publishes run.count events, run.inflight at a time; counts those acknowledged and those failed. */
async function publish(c: EventsClient, run: EventsRunMessage, signal: AbortSignal) {
  const histogram = new LatencyHistogram();
  let next = 0;
  let acked = 0;
  let errors = 0;
  let firstError: string | undefined;
  const worker = async (): Promise<void> => {
    while (next < run.count && !signal.aborted) {
      const i = next++;
      const t0 = performance.now();
      try {
        await c.publish(run.topic, eventOf(i));
        histogram.record(performance.now() - t0);
        acked++;
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: run.inflight }, worker));
  return {
    calls: acked,
    errors,
    firstError,
    p50Ms: histogram.quantile(0.5),
    p99Ms: histogram.quantile(0.99),
  };
}

/** Consumes run.count events as the group `bench`. */
async function consume(c: EventsClient, run: EventsRunMessage, signal: AbortSignal) {
  try {
    await c.consume(run.topic, 'bench', run.count, run.maxInFlight, signal);
    return { calls: run.count, errors: 0, firstError: undefined, p50Ms: NaN, p99Ms: NaN };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { calls: 0, errors: 1, firstError: message, p50Ms: NaN, p99Ms: NaN };
  }
}

await clientChild(
  async () => {
    const c = await (await loadTarget(name)).connect(address);
    client = c;
    return { call: async () => undefined, close: () => c.close() };
  },
  async (_call, message): Promise<EventsResultMessage> => {
    const run = message as EventsRunMessage;
    const c = client as EventsClient;
    const signal = AbortSignal.timeout(run.measureMs);
    const [cpu0, server0, t0] = [ownCpuMicros(), serverCpu(), performance.now()];
    const stats =
      run.phase === 'publish' ? await publish(c, run, signal) : await consume(c, run, signal);
    const seconds = (performance.now() - t0) / 1000;
    return {
      type: 'result',
      phase: run.phase,
      ...stats,
      seconds,
      clientCpuUs: ownCpuMicros() - cpu0,
      serverCpuUs: serverCpu() - server0,
    };
  },
);
