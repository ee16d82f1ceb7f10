// The registry benchmark's side of its watchers child (watchers.ts): start it with its watches
// open, count the events they have received, and collect the probes' propagation times.
import type { Child, Children } from '../lib/processes.ts';
import {
  isCollected,
  isCounted,
  isFailed,
  isReady,
  type CollectedMessage,
  type CountedMessage,
  type FailedMessage,
  type ReadyMessage,
} from './messages.ts';
import { clockOffset } from '../lib/clock.ts';

const script = (name: string): string => new URL(name, import.meta.url).pathname;
const isReadyOrFailed = (m: unknown): m is ReadyMessage | FailedMessage =>
  isReady(m) || isFailed(m);
/** Resolves after ms. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the watchers child and opens a watch per filter (a service, or null for all) on the
 * control plane at address; resolves once every watch is in place.
 */
export async function startWatchers(
  children: Children,
  address: string,
  filters: (string | null)[],
): Promise<Child> {
  const w = children.spawn('watchers', script('watchers.ts'), []);
  const { offsetMs, rttMs } = await clockOffset(w);
  w.send({ type: 'watch', address, filters, offsetMs });
  const ready = await w.message(isReadyOrFailed, 60_000);
  if (isFailed(ready)) throw new Error(`watchers: ${ready.error}`);
  console.log(
    `watchers pid ${w.pid}: ${filters.length} watches open; clock offset ${offsetMs.toFixed(3)} ms (ping round trip ${rttMs.toFixed(3)} ms)`,
  );
  return w;
}

/** The probe latencies the watches saw since the last collect; they start afresh. */
export async function collect(watchers: Child): Promise<CollectedMessage> {
  watchers.send({ type: 'collect' });
  return watchers.message<CollectedMessage>(isCollected, 10_000);
}

/** Waits until the watches have received `expected` events in all, for at most ms. */
export async function drain(
  watchers: Child,
  expected: number,
  ms: number,
): Promise<CountedMessage & { waitedMs: number }> {
  const t0 = performance.now();
  for (;;) {
    watchers.send({ type: 'count' });
    const c = await watchers.message<CountedMessage>(isCounted, 10_000);
    const waitedMs = performance.now() - t0;
    if (c.events >= expected || waitedMs > ms) return { ...c, waitedMs };
    await sleep(50);
  }
}
