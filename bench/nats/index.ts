// RPC over NATS: micro's NATS transport, Moleculer's NATS transporter, the nats package's
// nc.request(), and the floor (the nats package's publish with a reply subject, replies matched on
// one inbox subscription), each server and each client in its own process, all through one
// nats-server that the bench starts on 127.0.0.1, run in interleaved rounds. CPU time per call is
// read from /proc/<pid>/stat for the server, the client and the nats-server; bytes written per call
// (and, per round, calls per write system call) from /proc/<pid>/io, to show what each side sends.
//
// Flags (after `npm run bench -- nats`, in --name=value form) or environment:
//   --rounds / BENCH_ROUNDS (3), --warmup / BENCH_WARMUP_SECONDS (2), --seconds / BENCH_SECONDS
//   (8, measured per round), --inflight / BENCH_INFLIGHT (100), --max-calls / BENCH_MAX_CALLS
//   (5,000,000 per window), --only / BENCH_ONLY (contender keys, comma separated), --quick (a smoke
//   run: 1 round, 1 s warm-up, 3 s measured), --publish-only / BENCH_PUBLISH_ONLY=1 (only the
//   publish latency table). BENCH_NODE_ARGS: extra node flags for every child, e.g.
//   `--cpu-prof --cpu-prof-dir=/tmp/p`. NATS_SERVER: the nats-server binary (default on PATH).
// Then a publish latency table (publish.ts): micro's NATS broker beside nc.request().
// The default run takes about 2.5 minutes: 4 contenders x 3 rounds x 10 s, plus start-up.
import {
  callSettings,
  clientEntrant,
  goal,
  loadHeader,
  loadOptions,
  measureRounds,
  perCallLine,
  printTable,
  roundSettings,
  runMessage,
  startServer,
} from '../lib/load-bench.ts';
import { startNatsServer, type NatsServer } from '../lib/nats-server.ts';
import { withChildren, type Children } from '../lib/processes.ts';
import { perCall, type PerCall, type RunMessage } from '../lib/protocol.ts';
import {
  errorsColumn,
  loadAverage,
  medianColumn,
  medianOf,
  medianRatio,
  packageVersion,
  perCallColumns,
  ratio,
  ratioColumn,
} from '../lib/report.ts';
import { allStarted, type Entrant, type Series } from '../lib/rounds.ts';
import { readSettings } from '../lib/settings.ts';
import { fmt } from '../lib/stats.ts';
import { isNatsResult, type NatsResultMessage } from './messages.ts';
import { publishLatency } from './publish.ts';

/** What this benchmark measures, for `npm run bench`'s list. */
export const describe =
  'request/response over one nats-server: micro NATS transport vs Moleculer NATS transporter vs bare nats request/reply';

/** One column of the comparison: a target behind a key. */
interface Contender {
  key: string;
  label: string;
  target: string;
}

const contenders: Contender[] = [
  { key: 'micro', label: 'micro nats transport + json', target: 'micro' },
  {
    key: 'moleculer',
    label: `moleculer ${packageVersion('moleculer')} nats transporter + json`,
    target: 'moleculer',
  },
  {
    key: 'request',
    label: `nats ${packageVersion('nats')} nc.request() + json`,
    target: 'request',
  },
  {
    key: 'floor',
    label: `floor: nats ${packageVersion('nats')} publish + inbox + json`,
    target: 'floor',
  },
];

/** What the goal is checked against: calls/s of contender over baseline in the same round. */
const GOAL = { contender: 'micro', baseline: 'moleculer', minRatio: 1.5, cpuBaseline: 'floor' };

/** Settings from flags, then the environment, then defaults (see the top of this file). */
function config(argv: string[]) {
  const s = readSettings(argv, { ...loadOptions, 'publish-only': { type: 'boolean' } });
  return {
    ...roundSettings(s, contenders),
    ...callSettings(s),
    publishOnly: s.on('publish-only', 'BENCH_PUBLISH_ONLY'),
  };
}

/** One contender's measured window in one round, with derived figures. */
interface Sample extends NatsResultMessage, PerCall {
  natsUsPerCall: number;
  totalUsPerCall: number;
  /** Calls per write system call, client and server: how many messages each socket write carries. */
  clientCallsPerWrite: number;
  serverCallsPerWrite: number;
  /** Bytes written per call (to the nats-server, nearly all of it), client and server. */
  clientBytesPerCall: number;
  serverBytesPerCall: number;
}

const script = (name: string): string => new URL(name, import.meta.url).pathname;

function sample(m: NatsResultMessage): Sample {
  const calls = Math.max(m.calls, 1);
  return {
    ...m,
    ...perCall(m),
    natsUsPerCall: m.natsCpuUs / calls,
    totalUsPerCall: (m.serverCpuUs + m.clientCpuUs + m.natsCpuUs) / calls,
    clientCallsPerWrite: m.calls / m.clientWrites,
    serverCallsPerWrite: m.calls / m.serverWrites,
    clientBytesPerCall: m.clientBytes / calls,
    serverBytesPerCall: m.serverBytes / calls,
  };
}

/** Starts a contender's server and client; resolves once the client is ready to be measured. */
async function start(
  children: Children,
  nats: NatsServer,
  c: Contender,
  run: RunMessage,
): Promise<Entrant<Sample>> {
  const server = await startServer(children, `${c.key} server`, script('server.ts'), [
    c.target,
    nats.address,
  ]);
  const args = [c.target, nats.address, server.address, String(server.pid), String(nats.child.pid)];
  return clientEntrant(
    children,
    c.key,
    { script: script('client.ts'), args },
    run,
    sample,
    isNatsResult,
  );
}

/** Runs the NATS RPC benchmark and prints its table and the goal verdict. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const cfg = config(argv);
  const publishes = cfg.quick ? 300 : 1000;
  // The nats-server is stopped last, so that no client or server sees it go away.
  await withChildren(async (natsChildren) => {
    const nats = await startNatsServer(natsChildren);
    try {
      if (cfg.publishOnly) return await publishLatency(nats.address, cfg.rounds, publishes);
      console.log(
        loadHeader(
          'nats',
          cfg.contenders.length,
          cfg,
          `${cfg.inflight} calls in flight, one nats-server ${nats.version} at ${nats.address}`,
        ),
      );
      const load = runMessage(cfg, cfg.inflight, cfg.maxCalls);
      const series = await measureRounds(
        (children) => allStarted(cfg.contenders.map((c) => start(children, nats, c, load))),
        {
          rounds: cfg.rounds,
          keyWidth: 10,
          describe: (s) =>
            `${perCallLine(s, 'calls/s', 9, 'call', 'server')} nats-server ${fmt(s.natsUsPerCall, 1)} total ${fmt(s.totalUsPerCall, 1)}  ` +
            `calls/write client ${fmt(s.clientCallsPerWrite, 1)} server ${fmt(s.serverCallsPerWrite, 1)}  ` +
            `bytes/call client ${fmt(s.clientBytesPerCall)} server ${fmt(s.serverBytesPerCall)}  ` +
            `load ${loadAverage().split(' ')[0]}`,
          // Per round: calls/s over the baseline's, total CPU per call over the floor's.
          ratios: {
            calls: { baseline: GOAL.baseline, value: (s) => s.callsPerSec },
            cpu: { baseline: GOAL.cpuBaseline, value: (s) => s.totalUsPerCall },
          },
        },
      );
      report(cfg.contenders, series, cfg.rounds);
      await publishLatency(nats.address, cfg.rounds, publishes);
    } finally {
      await nats.stop();
    }
  });
}

function report(list: Contender[], series: Map<string, Series<Sample>>, rounds: number): void {
  printTable(
    rounds,
    `ratios are against the contender measured in the same round ` +
      `(calls/s against ${GOAL.baseline}, total CPU per call against ${GOAL.cpuBaseline}). Load average ${loadAverage()}.`,
    list,
    series,
    [
      ...perCallColumns<Sample>('calls/s', 'call'),
      medianColumn('nats-server CPU us/call', (s) => s.natsUsPerCall, 1),
      medianColumn('total CPU us/call', (s) => s.totalUsPerCall, 1),
      {
        head: 'bytes/call client / server',
        cell: (x) =>
          `${fmt(medianOf(x, (s) => s.clientBytesPerCall))} / ${fmt(medianOf(x, (s) => s.serverBytesPerCall))}`,
      },
      ratioColumn('calls/s x moleculer', 'calls'),
      ratioColumn('CPU x floor', 'cpu'),
      errorsColumn(),
    ],
  );

  const goalRatio = medianRatio(series.get(GOAL.contender), 'calls');
  console.log(
    `\nGoal for ${GOAL.contender}: ` +
      goal(
        `calls/s >= ${GOAL.minRatio}x ${GOAL.baseline}`,
        ratio(goalRatio),
        goalRatio,
        (v) => v >= GOAL.minRatio,
      ),
  );
}

if (import.meta.main) await run();
