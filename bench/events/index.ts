// Events benchmark (issue 17 point 6): durable events published and consumed per second, and CPU
// time per event of every process involved, for micro's default (the control plane's events
// service on SQLite, over RPC), micro on Redis streams and on NATS JetStream, the peer Moleculer
// with @moleculer/channels on Redis, and the raw limit (ioredis XADD and XREADGROUP+XACK).
//
// Each round, each contender's client child (one process) publishes --events events of ~100 bytes
// to a new topic, --inflight publishes in flight, each awaited until the server acknowledged it;
// then consumes them as a consumer group from the oldest, --max-in-flight unacknowledged at most,
// acknowledging each. The two phases are timed apart; CPU per event is the client process's
// (process.cpuUsage) plus the server's (/proc/<pid>/stat: the control plane, redis-server or
// nats-server) over the phase, divided by the events. Servers are children on 127.0.0.1 and free
// ports, stopped by PID. Each phase is bounded (--bound, 120 s). --quick: 1 round of 20,000 events.
import { withChildren, type Children } from '../lib/processes.ts';
import { clientReady, runOnce } from '../lib/protocol.ts';
import { loadAverage, machine } from '../lib/report.ts';
import { runRounds, type Entrant } from '../lib/rounds.ts';
import { fmt } from '../lib/stats.ts';
import { config, type Config, type Contender, type ServerKind } from './contenders.ts';
import { isEventsResult, type EventsResultMessage, type EventsRunMessage } from './messages.ts';
import { report, sampleOf, type Sample } from './report.ts';
import { startServers, type Started } from './servers.ts';

/** What this benchmark measures, for `npm run bench`'s list. */
export const describe =
  'durable events published and consumed per second and CPU per event: micro (SQLite control plane, Redis, JetStream) vs Moleculer channels (Redis) and raw Redis streams';

const script = new URL('client.ts', import.meta.url).pathname;

/** Starts c's client child; resolves, once it is connected, with its entrant. */
async function start(
  children: Children,
  c: Contender,
  server: Started,
  cfg: Config,
): Promise<Entrant<Sample>> {
  const child = children.spawn(`${c.key} client`, script, [
    c.target,
    server.address,
    server.pids.join(','),
  ]);
  await clientReady(child, 60_000, `${c.key} client`);
  let round = 0;
  const phase = (
    phase: EventsRunMessage['phase'],
    topic: string,
    count: number,
  ): Promise<EventsResultMessage> => {
    const run: EventsRunMessage = {
      type: 'run',
      phase,
      topic,
      count,
      inflight: cfg.inflight,
      maxInFlight: cfg.maxInFlight,
      warmupMs: 0,
      measureMs: cfg.boundMs,
      maxCalls: count,
    };
    return runOnce(child, run, `${c.key} ${phase}`, isEventsResult);
  };
  return {
    key: c.key,
    measure: async () => {
      const topic = `bench.${c.key}.${process.pid}.${++round}`;
      const published = await phase('publish', topic, cfg.events);
      const consumed = await phase('consume', topic, published.calls);
      return sampleOf(published, consumed);
    },
  };
}

/** Runs the events benchmark and prints its table and the goal verdicts. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const cfg = config(argv);
  const kinds = new Set<ServerKind>(cfg.contenders.map((c) => c.server));
  await withChildren(async (children) => {
    const started = await startServers(children, kinds);
    try {
      console.log(
        `events: ${cfg.contenders.length} contenders, ${cfg.rounds} rounds, ${fmt(cfg.events)} events each ` +
          `(${cfg.inflight} publishes in flight, consumers hold ${cfg.maxInFlight}); ${machine()}`,
      );
      for (const s of started.servers.values()) console.log(`  ${s.label}`);
      const skipped = new Map<string, string>();
      // The clients are children of their own, stopped before the servers they talk to.
      const series = await withChildren(async (clients) => {
        const entrants: Entrant<Sample>[] = [];
        for (const c of cfg.contenders) {
          try {
            entrants.push(await start(clients, c, started.servers.get(c.server) as Started, cfg));
          } catch (err) {
            skipped.set(c.key, err instanceof Error ? err.message : String(err));
          }
        }
        return runRounds(entrants, {
          rounds: cfg.rounds,
          keyWidth: 16,
          describe: (s) =>
            `publish ${fmt(s.publish.rate).padStart(7)}/s ${fmt(s.publish.cpuUs, 1)} us/event  ` +
            `consume ${fmt(s.consume.rate).padStart(7)}/s ${fmt(s.consume.cpuUs, 1)} us/event  load ${loadAverage().split(' ')[0]}`,
          ratios: {
            publish: { baseline: 'moleculer', value: (s) => s.publish.rate },
            consume: { baseline: 'moleculer', value: (s) => s.consume.rate },
          },
        });
      });
      report(cfg, series, skipped);
    } finally {
      await started.stop();
    }
  });
}

if (import.meta.main) await run();
