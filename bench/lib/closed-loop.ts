// A closed loop: a fixed number of calls in flight, each started as soon as the previous one ends,
// with counters (CPU time of any processes, their system calls, ...) read at the edges of the measured window.
import { LatencyHistogram } from './stats.ts';

/** How long to warm up and measure, and how hard to push. */
export interface LoopSettings {
  inflight: number;
  warmupMs: number;
  measureMs: number;
  /** The measured window ends early once this many calls completed in it. */
  maxCalls: number;
}

/** What one measured window saw. */
export interface LoopStats {
  calls: number;
  errors: number;
  firstError: string | undefined;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
}

/** The window, with each probe's change over it in deltas. */
export interface LoopResult extends LoopStats {
  deltas: Record<string, number>;
}

/** Longest wait for the calls still in flight once the window closed. */
const DRAIN_MS = 6000;

/** This process's CPU time in microseconds, user plus system: a probe for closedLoop. */
export const ownCpuMicros = (): number => {
  const cpu = process.cpuUsage();
  return cpu.user + cpu.system;
};

/**
 * Runs warm-up then the measured window against call, and reports the window. Each probe returns
 * a counter (e.g. procCpuMicros of a PID, or ownCpuMicros); the result holds its change over the window.
 */
export async function closedLoop(
  call: () => Promise<unknown>,
  settings: LoopSettings,
  probes: Record<string, () => number>,
): Promise<LoopResult> {
  const histogram = new LatencyHistogram();
  const names = Object.keys(probes);
  const snapshot = (): { at: number; counts: number[] } => ({
    at: performance.now(),
    counts: names.map((n) => (probes[n] as () => number)()),
  });
  let measuring = false;
  let running = true;
  let calls = 0;
  let errors = 0;
  let firstError: string | undefined;
  let start: ReturnType<typeof snapshot> | undefined;
  let end: ReturnType<typeof snapshot> | undefined;
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
          if (++calls >= settings.maxCalls) closeWindow();
        }
      } catch (err) {
        if (measuring) errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
        // A failing target must not spin: give the event loop a turn.
        await new Promise((r) => setImmediate(r));
      }
    }
  };

  const workers = Array.from({ length: settings.inflight }, worker);
  let measureTimer: NodeJS.Timeout | undefined;
  const warmTimer = setTimeout(() => {
    start = snapshot();
    measuring = true;
    measureTimer = setTimeout(closeWindow, settings.measureMs);
  }, settings.warmupMs);
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
  const [s, e] = [start, end];
  return {
    calls,
    errors,
    firstError,
    seconds: (e.at - s.at) / 1000,
    p50Ms: histogram.quantile(0.5),
    p99Ms: histogram.quantile(0.99),
    deltas: Object.fromEntries(
      names.map((n, i) => [n, (e.counts[i] ?? NaN) - (s.counts[i] ?? NaN)]),
    ),
  };
}
