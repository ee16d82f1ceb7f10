// What the scale benchmark does to the registry: fill it with N services over the registry client
// (a bounded number of calls in flight), empty and refill it, and churn it at a rate. Every loop is
// bounded by a count and a time.
import type { Registry } from '../../src/registry/registry.ts';
import { NODES, nodeRecord, serviceRecord } from './fleet.ts';

/** The lease every registration asks for: longer than the run, so nothing expires mid-way. */
const TTL = 3_600_000;
/** Calls in flight, spread over the clients. */
const CONCURRENCY = 32;

/** What a loop of registry calls did. */
export interface LoadResult {
  calls: number;
  errors: number;
  firstError?: string;
  seconds: number;
}

/** Runs fn(0..count-1) with at most CONCURRENCY in flight, stopping early after ms. */
async function bounded(
  count: number,
  ms: number,
  fn: (i: number) => Promise<void>,
): Promise<LoadResult> {
  const t0 = performance.now();
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
      while (next < count && performance.now() - t0 < ms) {
        const i = next++;
        try {
          await fn(i);
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  // Calls the time bound left unmade count as failed ones.
  if (next < count) {
    errors += count - next;
    firstError ??= `${count - next} of ${count} calls not made within ${ms / 1000} s`;
  }
  return { calls: next, errors, firstError, seconds };
}

/** Registers every node of services 1..n (node 0 of all, then node 1 of all), within ms. */
export const fill = (clients: Registry[], n: number, ms = 300_000): Promise<LoadResult> =>
  bounded(n * NODES, ms, (i) =>
    clients[i % clients.length]!.register(nodeRecord((i % n) + 1, Math.floor(i / n)), {
      ttl: TTL,
    }),
  );

/** Deregisters services 1..n, each with all its nodes in one call, within ms. */
export const empty = (clients: Registry[], n: number, ms = 300_000): Promise<LoadResult> =>
  bounded(n, ms, (i) => clients[i % clients.length]!.deregister(serviceRecord(i + 1)));

/** A churn running in the background; stop() ends it and puts back every service it took away. */
export interface Churn {
  stop(): Promise<LoadResult & { changes: number; late: number }>;
}

/**
 * Changes `rate` services a second among 1..n until stopped or maxMs passes: alternately a service
 * is deregistered (both nodes in one call) and one deregistered about half a second earlier is
 * registered again (node by node, as its processes would), so the fleet stays about n strong.
 * At most CONCURRENCY changes are in flight; a change that cannot start on time counts as late.
 */
export function churn(clients: Registry[], n: number, rate: number, maxMs: number): Churn {
  const t0 = performance.now();
  const inflight = new Set<Promise<void>>();
  const gone: number[] = [];
  const keep = Math.max(1, Math.round(rate / 2));
  let cursor = 0;
  let changes = 0;
  let late = 0;
  let errors = 0;
  let firstError: string | undefined;
  let calls = 0;
  const client = (): Registry => clients[calls++ % clients.length]!;
  const failed = (err: Error): void => {
    errors++;
    firstError ??= err.message;
  };
  const back = async (s: number): Promise<void> => {
    for (let node = 0; node < NODES; node++)
      await client().register(nodeRecord(s, node), { ttl: TTL });
  };
  const change = (): Promise<void> => {
    if (gone.length >= keep) return back(gone.shift()!);
    const s = (cursor++ % n) + 1;
    gone.push(s);
    return client().deregister(serviceRecord(s));
  };
  const tick = (): void => {
    const elapsed = performance.now() - t0;
    if (elapsed > maxMs) return clearInterval(timer);
    const due = Math.floor((elapsed * rate) / 1000);
    while (changes + late < due) {
      if (inflight.size >= CONCURRENCY) {
        late++;
        continue;
      }
      changes++;
      const p = change().catch(failed);
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
  };
  const timer = setInterval(tick, 5);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...inflight]);
      const seconds = (performance.now() - t0) / 1000;
      // Bounded: at most `keep` services to put back, CONCURRENCY at a time.
      const restore = gone.splice(0);
      await bounded(restore.length, 60_000, (i) => back(restore[i]!)).then((r) => {
        errors += r.errors;
        firstError ??= r.firstError;
      });
      return { calls, errors, firstError, seconds, changes, late };
    },
  };
}
