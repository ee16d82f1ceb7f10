// Config watch propagation: a watchers child holds the watches (watchers.ts); this process sets the
// watched path through the control plane, one set at a time, each carrying its number, and waits
// until every watch has reported it (5 s at most) before the next. Latency is taken from just
// before set() and from set() returning to each watch's arrival, the child's clock offset removed.
import { clockOffset, now } from '../lib/clock.ts';
import { clockTicks, procCpuMicros, withChildren, type Child } from '../lib/processes.ts';
import { quantile } from '../lib/stats.ts';
import type { Config as Settings } from './contenders.ts';
import { configClient } from './config-client.ts';
import type { Started } from './servers.ts';
import {
  isCollected,
  isFailed,
  isReady,
  isSeen,
  type FailedMessage,
  type ReadyMessage,
  type SeenMessage,
} from './watch-messages.ts';

/** p50, p99 and the maximum of some latencies, in ms. */
export interface Spread {
  p50: number;
  p99: number;
  max: number;
}

/** What the watch phase measured. */
export interface Propagation {
  watchers: number;
  sets: number;
  /** Arrivals of measured sets, over all watches (watchers x sets when none was missed). */
  events: number;
  offsetMs: number;
  fromStart: Spread;
  fromReturn: Spread;
  setMs: Spread;
  /** CPU time of the control plane per measured set, its fan-out to every watch included. */
  cpUsPerSet: number;
}

const NAMESPACE = 'bench';
const PATH = 'probe';
/** Longest wait for every watch to report one set. */
const SEEN_MS = 5000;
/** Warm-up sets tried until one reaches every watch (each waits SEEN_MS / 10). */
const WARMUPS = 50;
/** Sets made once every watch is open, before the measured ones, so that none is the first of its kind. */
const WARM_SETS = 10;

const script = (name: string): string => new URL(name, import.meta.url).pathname;
const spread = (v: number[]): Spread => ({
  p50: quantile(v, 0.5),
  p99: quantile(v, 0.99),
  max: v.length === 0 ? Number.NaN : Math.max(...v),
});

/** Waits for the watchers' `seen` of set n; false after ms. */
async function seen(w: Child, n: number, ms: number): Promise<boolean> {
  const m = await w
    .message((x): x is SeenMessage | FailedMessage => (isSeen(x) && x.n === n) || isFailed(x), ms)
    .catch(() => undefined);
  if (m && isFailed(m)) throw new Error(`watchers: ${m.error}`);
  return m !== undefined;
}

/** Measures config watch propagation through the control plane cp; see the top of this file. */
export function watchPropagation(cp: Started, cfg: Settings): Promise<Propagation> {
  return withChildren(async (children) => {
    console.log(`\nconfig watch: ${cfg.watchers} watches, ${cfg.sets} sets`);
    const w = children.spawn('watchers', script('watchers.ts'), [
      cp.address,
      String(cfg.watchers),
      NAMESPACE,
      PATH,
    ]);
    const ready = await w.message(
      (x): x is ReadyMessage | FailedMessage => isReady(x) || isFailed(x),
      60_000,
    );
    if (isFailed(ready)) throw new Error(`watchers: ${ready.error}`);
    const { offsetMs } = await clockOffset(w);
    const config = await configClient(cp.address);
    try {
      // The watches are open on the server once a set reaches them all.
      let warm = false;
      for (let k = 1; k <= WARMUPS && !warm; k++) {
        await config.set(PATH, { n: -k }, { namespace: NAMESPACE });
        warm = await seen(w, -k, SEEN_MS / 10);
      }
      if (!warm) throw new Error(`the ${cfg.watchers} watches never all reported a set`);
      for (let k = 1; k <= WARM_SETS; k++) {
        await config.set(PATH, { n: -WARMUPS - k }, { namespace: NAMESPACE });
        await seen(w, -WARMUPS - k, SEEN_MS);
      }
      const started = new Map<number, number>();
      const returned = new Map<number, number>();
      const ticks = clockTicks();
      const cpu0 = procCpuMicros(cp.pids[0] as number, ticks);
      for (let n = 0; n < cfg.sets; n++) {
        const t0 = now();
        await config.set(PATH, { n }, { namespace: NAMESPACE });
        const t1 = now();
        started.set(n, t0);
        returned.set(n, t1);
        await seen(w, n, SEEN_MS);
      }
      const cpUsPerSet = (procCpuMicros(cp.pids[0] as number, ticks) - cpu0) / cfg.sets;
      w.send({ type: 'collect' });
      const { arrivals } = await w.message(isCollected, 10_000);
      const measured = arrivals.filter(([, n]) => started.has(n));
      const at = (a: (typeof arrivals)[number]): number => a[2] - offsetMs;
      return {
        watchers: cfg.watchers,
        sets: cfg.sets,
        events: measured.length,
        offsetMs,
        fromStart: spread(measured.map((a) => at(a) - (started.get(a[1]) as number))),
        fromReturn: spread(measured.map((a) => at(a) - (returned.get(a[1]) as number))),
        setMs: spread([...started].map(([n, t0]) => (returned.get(n) as number) - t0)),
        cpUsPerSet,
      };
    } finally {
      await config.close();
    }
  });
}
