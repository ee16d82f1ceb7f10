// Child process: `node bench/store/watchers.ts <control plane> <watches> <namespace> <path>` opens
// that many config watches on the path, each through its own micro Config client (its own
// connection, as separate services have), and records when each watch reports each set. It says
// `seen` once every watch has reported a set, and hands over the arrival times when collected.
import { stopper } from '../lib/child.ts';
import { isPing, now, pong } from '../lib/clock.ts';
import type { Config, ConfigWatcher } from '../../src/platform/config/config.ts';
import { configClient } from './config-client.ts';
import type { Arrival, WatchersMessage } from './watch-messages.ts';

const [address = '', count = '100', namespace = 'bench', path = 'probe'] = process.argv.slice(2);
const watches = Number(count);

const send = (m: WatchersMessage): void => {
  if (process.connected) process.send?.(m);
};

const configs: Config[] = [];
const watchers: ConfigWatcher[] = [];
let arrivals: Arrival[] = [];
/** Per set number, how many watches reported it. */
const seenBy = new Map<number, number>();

function onEvent(i: number, value: unknown): void {
  const at = now();
  const n = (value as { n?: unknown } | undefined)?.n;
  if (typeof n !== 'number') return;
  arrivals.push([i, n, at]);
  const seen = (seenBy.get(n) ?? 0) + 1;
  seenBy.set(n, seen);
  if (seen === watches) send({ type: 'seen', n });
}

async function open(): Promise<void> {
  for (let i = 0; i < watches; i++) {
    const config = await configClient(address);
    configs.push(config);
    const w = config.watch(path, { namespace });
    watchers.push(w);
    void (async () => {
      for await (const ev of w) onEvent(i, ev.value);
    })().catch((err: unknown) => send({ type: 'failed', error: `watch ${i}: ${String(err)}` }));
  }
}

// Stops the watches and closes the clients (2 s at most), then exits; only once.
const stop = stopper(() => ({
  close: async () => {
    for (const w of watchers) w.stop();
    await Promise.all(configs.map((c) => c.close()));
  },
}));
process.on('disconnect', stop);
process.on('SIGTERM', stop);

process.on('message', (m: { type?: string }) => {
  if (m.type === 'stop') return stop();
  if (isPing(m)) return process.send?.(pong(m));
  if (m.type === 'collect') {
    send({ type: 'collected', arrivals });
    arrivals = [];
  }
});

open().then(
  () => send({ type: 'ready' }),
  (err: unknown) =>
    send({ type: 'failed', error: err instanceof Error ? err.message : String(err) }),
);
