// The two ways the registry benchmark registers: as fast as they go with a bounded number in
// flight, and paced heartbeats at the rate a fleet needs.
import type { Registry, Service } from '../../src/registry/registry.ts';
import { TTL } from './settings.ts';

/** Runs fn for 0..count-1 with at most `concurrency` in flight; records each one's latency. */
export async function closedLoop(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; errors: number; firstError?: string; seconds: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        try {
          await fn(i);
          latencies.push(performance.now() - t);
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
      }
    }),
  );
  return { latencies, errors, firstError, seconds: (performance.now() - t0) / 1000 };
}

/** Re-registers the fleet round-robin at `rate` per second until stopped, at most `concurrency` in flight. */
export function pacedHeartbeats(
  rate: number,
  concurrency: number,
  fleetRecords: Service[],
  clients: Registry[],
  start: number,
) {
  const latencies: number[] = [];
  const inflight = new Set<Promise<void>>();
  let sent = 0;
  let late = 0;
  let errors = 0;
  let firstError: string | undefined;
  let next = start;
  const t0 = performance.now();
  const tick = (): void => {
    const due = Math.floor(((performance.now() - t0) * rate) / 1000);
    while (sent + late < due) {
      if (inflight.size >= concurrency) {
        late++;
        continue;
      }
      const i = next++ % fleetRecords.length;
      const t = performance.now();
      const p = clients[i % clients.length]!.register(fleetRecords[i]!, { ttl: TTL }).then(
        () => void latencies.push(performance.now() - t),
        (err: Error) => {
          errors++;
          firstError ??= err.message;
        },
      );
      sent++;
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
  };
  const timer = rate > 0 ? setInterval(tick, 5) : undefined;
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...inflight]);
      return {
        sent,
        late,
        errors,
        firstError,
        latencies,
        seconds: (performance.now() - t0) / 1000,
        next,
      };
    },
  };
}
