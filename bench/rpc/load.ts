// The closed loop: a fixed number of calls in flight, each started as soon as the previous one ends.
import { LatencyHistogram } from '../lib/stats.ts';
import { procCpuMicros } from '../lib/processes.ts';
import type { ResultMessage, RunMessage } from './messages.ts';

interface Snapshot {
  at: number;
  clientCpuUs: number;
  serverCpuUs: number;
}

/** Longest wait for the calls still in flight once the window closed. */
const DRAIN_MS = 6000;

/** Runs warm-up then the measured window against call, and reports the window. */
export async function runLoad(
  call: () => Promise<unknown>,
  run: RunMessage,
  serverPid: number,
  clockTicks: number,
): Promise<ResultMessage> {
  const histogram = new LatencyHistogram();
  const snapshot = (): Snapshot => {
    const cpu = process.cpuUsage();
    return {
      at: performance.now(),
      clientCpuUs: cpu.user + cpu.system,
      serverCpuUs: procCpuMicros(serverPid, clockTicks),
    };
  };
  let measuring = false;
  let running = true;
  let calls = 0;
  let errors = 0;
  let firstError: string | undefined;
  let start: Snapshot | undefined;
  let end: Snapshot | undefined;
  let windowClosed = (): void => undefined;
  const closed = new Promise<void>((resolve) => (windowClosed = resolve));

  const closeWindow = (): void => {
    if (!measuring) return;
    end = snapshot();
    measuring = false;
    running = false;
    windowClosed();
  };

  const worker = async (): Promise<void> => {
    while (running) {
      const t0 = performance.now();
      try {
        await call();
        if (measuring) {
          histogram.record(performance.now() - t0);
          if (++calls >= run.maxCalls) closeWindow();
        }
      } catch (err) {
        if (measuring) errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
        // A failing target must not spin: give the event loop a turn.
        await new Promise((r) => setImmediate(r));
      }
    }
  };

  const workers = Array.from({ length: run.inflight }, worker);
  let measureTimer: NodeJS.Timeout | undefined;
  const warmTimer = setTimeout(() => {
    start = snapshot();
    measuring = true;
    measureTimer = setTimeout(closeWindow, run.measureMs);
  }, run.warmupMs);
  await closed;
  clearTimeout(warmTimer);
  clearTimeout(measureTimer);
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(workers),
    new Promise((r) => (drainTimer = setTimeout(r, DRAIN_MS))),
  ]);
  clearTimeout(drainTimer);
  if (!start || !end) throw new Error('the measured window never opened');
  return {
    type: 'result',
    calls,
    errors,
    firstError,
    seconds: (end.at - start.at) / 1000,
    p50Ms: histogram.quantile(0.5),
    p99Ms: histogram.quantile(0.99),
    serverCpuUs: end.serverCpuUs - start.serverCpuUs,
    clientCpuUs: end.clientCpuUs - start.clientCpuUs,
  };
}
