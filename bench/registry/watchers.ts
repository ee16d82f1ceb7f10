// Child process: `node bench/registry/watchers.ts` holds the benchmark's watches, each a WebSocket
// stream from createMicroRegistry().watch(), apart from the process that registers so that neither
// slows the other. It measures, for every probe registration a watch reports, the time from the
// register() call (stamped in the node's metadata) to the event's arrival here.
import { stopper } from '../lib/child.ts';
import { createMicroRegistry } from '../../src/registry/micro.ts';
import type { Registry, WatchEvent, Watcher } from '../../src/registry/registry.ts';
import {
  PROBE_KEY,
  SENT_KEY,
  isCollect,
  isCount,
  isWatch,
  now,
  type CollectedMessage,
  type CountedMessage,
  type FailedMessage,
  type ReadyMessage,
  type WatchMessage,
} from './messages.ts';
import { isPing, pong } from '../lib/clock.ts';

const send = (m: object): void => {
  if (process.connected) process.send?.(m);
};

let latencies: number[] = [];
let events = 0;
let ended = 0;
const registries: Registry[] = [];
const watchers: Watcher[] = [];
/** Per watch, the probes it has reported since the last collect. */
const seen: Set<string>[] = [];

function onEvent(i: number, ev: WatchEvent, offsetMs: number): void {
  const at = now();
  events++;
  if (ev.action === 'delete') return;
  for (const n of ev.service.nodes) {
    const probe = n.metadata[PROBE_KEY];
    if (probe === undefined || seen[i]!.has(probe)) continue;
    seen[i]!.add(probe);
    latencies.push(Math.round((at - Number(n.metadata[SENT_KEY]) - offsetMs) * 100) / 100);
  }
}

async function open(m: WatchMessage): Promise<void> {
  // One client: each watch is its own WebSocket, as in separate client processes.
  const registry = createMicroRegistry({ address: m.address, timeout: 30_000 });
  registries.push(registry);
  m.filters.forEach((filter, i) => {
    const w = registry.watch(filter ? { service: filter } : {});
    watchers.push(w);
    seen.push(new Set());
    void (async () => {
      try {
        for await (const ev of w) onEvent(i, ev, m.offsetMs);
      } finally {
        ended++;
      }
    })();
  });
  // A deregister waits until the client's watches are in place on the server, and removes nothing.
  await registry.deregister({
    name: 'bench-none',
    version: '-',
    metadata: {},
    endpoints: [],
    nodes: [],
  });
}

// Stops the watches and closes the clients (2 s at most), then exits; only once.
const stop = stopper(() => ({
  close: async () => {
    for (const w of watchers) w.stop();
    await Promise.all(registries.map((c) => c.close()));
  },
}));
process.on('disconnect', stop);
process.on('SIGTERM', stop);

process.on('message', (m: unknown) => {
  if ((m as { type?: string }).type === 'stop') return stop();
  if (isPing(m)) return send(pong(m));
  if (isWatch(m)) {
    open(m).then(
      () => send({ type: 'ready' } satisfies ReadyMessage),
      (err: unknown) => send({ type: 'failed', error: String(err) } satisfies FailedMessage),
    );
    return;
  }
  if (isCount(m)) return send({ type: 'counted', events, ended } satisfies CountedMessage);
  if (isCollect(m)) {
    send({ type: 'collected', events, ended, latencies } satisfies CollectedMessage);
    latencies = [];
    for (const s of seen) s.clear();
  }
});
