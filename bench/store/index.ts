// Store benchmark: puts and gets of one ~80-byte JSON value per second, with CPU time per op of the
// client and of the server processes, through the control plane's store service (SQLite) with
// micro's Store client, against Redis used directly (ioredis GET/SET: the raw limit) and through
// micro's redis engine, etcd used directly (etcd3) and through micro's etcd engine, and Dapr's state
// API over HTTP through `micro sidecar`. Then config watch propagation: one process sets a config
// path through the control plane while another holds 100 watches on it (micro's Config client).
//
// Every client runs in its own child process with a bounded closed loop (--inflight calls in
// flight, a window ended by --seconds or --max-calls) after filling 1,000 keys; the servers
// (redis-server, etcd, the control plane as `node bin/micro.ts registry`, the sidecar) are
// children started on 127.0.0.1 and free ports and stopped by PID. Server CPU is read from
// /proc/<pid>/stat: redis-server, etcd, the control plane, and for the sidecar row the sidecar plus
// the control plane behind it; read and write system calls per op from /proc/<pid>/io.
//
// Flags (or environment): --rounds, --warmup, --seconds, --inflight, --max-calls, --only (keys:
// cp, redis, micro-redis, etcd, micro-etcd, dapr), --quick (1 round, 1 s warm-up, 3 s measured),
// --ops (get,put), --watchers (100; 0 skips the watch phase), --sets (100; 20 with --quick).
// BENCH_NODE_ARGS: node flags for the client children; BENCH_CP_NODE_OPTIONS: for the control
// plane and the sidecar (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`). A contender whose client cannot
// start is shown as skipped, with why. The default run takes about 7 minutes (12 windows x 3 rounds x 10 s).
import { loadHeader, measureRounds, perCallLine, runMessage } from '../lib/load-bench.ts';
import { withChildren, type Children } from '../lib/processes.ts';
import { clientReady, perCall, runOnce } from '../lib/protocol.ts';
import { loadAverage } from '../lib/report.ts';
import type { Entrant } from '../lib/rounds.ts';
import { config, type Config, type Contender } from './contenders.ts';
import { isStoreResult, type StoreResultMessage, type StoreRunMessage } from './messages.ts';
import { report, type Sample } from './report.ts';
import { startServers, type ServerKind, type Started } from './servers.ts';
import { watchPropagation, type Propagation } from './watch.ts';

/** What this benchmark measures, for `npm run bench`'s list. */
export const describe =
  'store gets/puts per second and CPU per op: control plane (SQLite) vs Redis, etcd (raw and micro engines), Dapr state via the sidecar; config watch propagation';

const script = (name: string): string => new URL(name, import.meta.url).pathname;

/** Starts c's client child; resolves, once it has filled its keys, with an entrant per op. */
async function start(
  children: Children,
  c: Contender,
  server: Started,
  cfg: Config,
): Promise<Entrant<Sample>[]> {
  const args = [c.target, server.address, server.pids.join(',')];
  const child = children.spawn(`${c.key} client`, script('client.ts'), args);
  await clientReady(child, 60_000, `${c.key} client`);
  return cfg.ops.map((op) => {
    const key = `${c.key}:${op}`;
    const run: StoreRunMessage = { ...runMessage(cfg, cfg.inflight, cfg.maxCalls), op };
    return { key, measure: async () => sample(await runOnce(child, run, key, isStoreResult)) };
  });
}

/** One window's figures per op. */
function sample(m: StoreResultMessage): Sample {
  const p = perCall(m);
  return { ...m, ...p, totalUsPerCall: p.serverUsPerCall + p.clientUsPerCall };
}

/** Runs the store benchmark and prints its table and the goal verdicts. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const cfg = config(argv);
  const kinds = new Set<ServerKind>(cfg.contenders.map((c) => c.server));
  if (cfg.watchers > 0) kinds.add('cp');
  await withChildren(async (serverChildren) => {
    const started = await startServers(serverChildren, kinds);
    const servers = started.servers;
    try {
      console.log(
        loadHeader(
          'store',
          cfg.contenders.length,
          cfg,
          `${cfg.inflight} calls in flight, gets and puts measured apart`,
        ),
      );
      for (const s of servers.values()) console.log(`  ${s.label}`);
      const skipped = new Map<string, string>();
      const series = await measureRounds(
        async (children) => {
          // One at a time: each fills its keys on a quiet machine, and a slow start fails no other.
          const entrants: Entrant<Sample>[] = [];
          for (const c of cfg.contenders) {
            try {
              entrants.push(...(await start(children, c, servers.get(c.server) as Started, cfg)));
            } catch (err) {
              skipped.set(c.key, err instanceof Error ? err.message : String(err));
            }
          }
          return entrants;
        },
        {
          rounds: cfg.rounds,
          keyWidth: 16,
          describe: (s) =>
            `${perCallLine(s, 'ops/s', 8, 'op', 'servers')}  load ${loadAverage().split(' ')[0]}`,
          ratios: {
            get: { baseline: 'redis:get', value: (s) => s.totalUsPerCall },
            put: { baseline: 'redis:put', value: (s) => s.totalUsPerCall },
            getClient: { baseline: 'redis:get', value: (s) => s.clientUsPerCall },
            putClient: { baseline: 'redis:put', value: (s) => s.clientUsPerCall },
          },
        },
      );
      let propagation: Propagation | undefined;
      const cp = servers.get('cp');
      if (cfg.watchers > 0 && cp) propagation = await watchPropagation(cp, cfg);
      report(cfg, series, skipped, propagation);
    } finally {
      await started.stop();
    }
  });
}

if (import.meta.main) await run();
