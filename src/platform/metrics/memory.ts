// The `memory` Metrics: the scraper the control plane's `metrics` service runs, usable in any
// process that has a registry and a client. Every `interval` ms it lists the registry and calls
// Debug.Metrics on each node directly (over the node's own transport, `concurrency` at a time,
// each bounded by `timeout`, no retry), and keeps what they answer in a History (history.ts).
// Rounds never overlap: a slow round delays the next. Scrapes make no trace spans. A node that does not answer (or has no
// Debug.Metrics: an app behind a sidecar) is skipped for that round; its next answer covers both.
// The circuits a node tells (its client's breakers) are kept as it last told them (circuits.ts).
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Registry } from '../../registry/registry.ts';
import type { Client } from '../../runtime/client/client.ts';
import { answeredCircuits, CircuitBook } from './circuits.ts';
import { History } from './history.ts';
import type { Metrics, MetricsReport } from './metrics.ts';
import { answeredCounts, checkQuery } from './validate.ts';

/** Options of the in-process scraper. */
export interface MemoryMetricsOptions {
  /** Lists the nodes to scrape. */
  registry: Registry;
  /** Calls each node's Debug.Metrics. */
  client: Client;
  /** Ms between rounds (default 5000). */
  interval?: number;
  /** Ms of history kept (default 15 minutes). */
  window?: number;
  /** Endpoints (service and endpoint) kept at most (default 5000). */
  maxSeries?: number;
  /** Nodes followed at most (default 10,000). */
  maxNodes?: number;
  /** Nodes called at once (default 32). */
  concurrency?: number;
  /** Ms a node may take to answer (default the interval, from 1 s to 5 s). */
  timeout?: number;
  /** Start rounds on a timer (default true); false leaves them to scrape(). */
  timer?: boolean;
}

/** The in-process Metrics, with a way to run a round now. */
export interface MemoryMetrics extends Metrics {
  /** Runs one round now (after the one under way, if any); resolves when it is done. */
  scrape(): Promise<void>;
  /** Rounds done, nodes that did not answer, and endpoints or nodes left out for the caps. */
  stats(): { rounds: number; failed: number; dropped: number };
}

/** Defaults of the scraper. */
export const METRICS_DEFAULTS = {
  interval: 5000,
  window: 15 * 60_000,
  maxSeries: 5000,
  maxNodes: 10_000,
  concurrency: 32,
} as const;

/** Starts scraping the registry's nodes; close() stops it. */
export function createMemoryMetrics(options: MemoryMetricsOptions): MemoryMetrics {
  const o = { ...METRICS_DEFAULTS, ...options };
  const timeout = o.timeout ?? Math.max(1000, Math.min(5000, o.interval));
  const history = new History(o);
  const book = new CircuitBook();
  let registered = new Set<string>();
  let rounds = 0;
  let failed = 0;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const round = async (): Promise<void> => {
    const r = history.begin(Date.now());
    try {
      const services = await o.registry.listServices();
      const targets = services.flatMap((s) => s.nodes.map((node) => ({ service: s.name, node })));
      registered = new Set(targets.map((t) => History.nodeKey(t.service, t.node.id)));
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < targets.length && !closed) {
          const t = targets[next++]!;
          try {
            const body = await o.client.call(
              t.service,
              'Debug.Metrics',
              {},
              {
                node: t.node,
                timeout,
                retries: 0,
              },
            );
            history.observe(r, t.service, t.node.id, answeredCounts(body));
            book.observe(t.service, t.node.id, answeredCircuits(body), Date.now());
          } catch {
            failed++;
          }
        }
      };
      const workers = Math.min(Math.max(1, o.concurrency), targets.length);
      await Promise.all(Array.from({ length: workers }, worker));
    } catch {
      // The registry did not answer: the nodes followed stay as they were.
    } finally {
      history.finish(r, registered);
      book.keep(registered);
      rounds++;
    }
  };
  // A scrape is no request of anyone's: no span of it, wherever tracing is on.
  const untraced = (): Promise<void> => context.with(suppressTracing(context.active()), round);
  const enqueue = (): Promise<void> => (running = running.then(untraced));
  const tick = (): void => {
    const start = Date.now();
    void enqueue().then(() => {
      if (closed) return;
      timer = setTimeout(tick, Math.max(0, o.interval - (Date.now() - start)));
      timer.unref();
    });
  };
  if (o.timer !== false) tick();

  return {
    async query(query = {}): Promise<MetricsReport> {
      const q = checkQuery(query, o.window);
      return { ...history.report(q, Date.now()), circuits: book.list(q.service) };
    },
    scrape: enqueue,
    stats: () => ({ rounds, failed, dropped: history.dropped }),
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
