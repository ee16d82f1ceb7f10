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
import { parseArgs } from 'node:util';
import { startNatsServer, type NatsServer } from '../lib/nats-server.ts';
import { Children, onInterrupt } from '../lib/processes.ts';
import {
  clientReady,
  perCall,
  runOnce,
  serverAddress,
  type PerCall,
  type RunMessage,
} from '../lib/protocol.ts';
import {
  errorsColumn,
  loadAverage,
  machine,
  medianColumn,
  perCallColumns,
  medianOf,
  medianRatio,
  packageVersion,
  ratio,
  ratioColumn,
  seriesTable,
  verdict,
} from '../lib/report.ts';
import { allStarted, runRounds, type Entrant, type Series } from '../lib/rounds.ts';
import { pickContenders, toNumber } from '../lib/settings.ts';
import { fmt } from '../lib/stats.ts';
import { isNatsResult, type NatsResultMessage } from './messages.ts';
import { publishLatency } from './publish.ts';

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
  const { values } = parseArgs({
    args: argv,
    strict: false,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      'publish-only': { type: 'boolean' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      seconds: { type: 'string' },
      inflight: { type: 'string' },
      'max-calls': { type: 'string' },
      only: { type: 'string' },
    },
  });
  const quick = values.quick === true || process.env.BENCH_QUICK === '1';
  const pick = (flag: string, env: string): string | undefined => {
    const v = values[flag];
    return typeof v === 'string' ? v : process.env[env];
  };
  const num = (flag: string, env: string, fallback: number, min: number): number =>
    toNumber(pick(flag, env), fallback, min, `--${flag} (${env})`);
  const list = pickContenders(contenders, pick('only', 'BENCH_ONLY'), '--only');
  return {
    rounds: Math.round(num('rounds', 'BENCH_ROUNDS', quick ? 1 : 3, 1)),
    warmupMs: num('warmup', 'BENCH_WARMUP_SECONDS', quick ? 1 : 2, 0) * 1000,
    measureMs: num('seconds', 'BENCH_SECONDS', quick ? 3 : 8, 0.5) * 1000,
    inflight: Math.round(num('inflight', 'BENCH_INFLIGHT', 100, 1)),
    maxCalls: Math.round(num('max-calls', 'BENCH_MAX_CALLS', 5_000_000, 1)),
    contenders: list,
    quick,
    publishOnly: values['publish-only'] === true || process.env.BENCH_PUBLISH_ONLY === '1',
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
  const server = children.spawn(`${c.key} server`, script('server.ts'), [c.target, nats.address]);
  const address = await serverAddress(server, 30_000);
  const client = children.spawn(`${c.key} client`, script('client.ts'), [
    c.target,
    nats.address,
    address,
    String(server.pid),
    String(nats.child.pid),
  ]);
  await clientReady(client, 60_000, `${c.key} client`);
  return {
    key: c.key,
    measure: async () => sample(await runOnce(client, run, c.key, isNatsResult)),
  };
}

/** Runs the NATS RPC benchmark and prints its table and the goal verdict. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const cfg = config(argv);
  const natsChildren = new Children();
  const children = new Children();
  const offInterrupt = onInterrupt(async () => {
    await children.stopAll();
    await natsChildren.stopAll();
  });
  let nats: NatsServer | undefined;
  let series: Map<string, Series<Sample>> | undefined;
  try {
    nats = await startNatsServer(natsChildren);
    if (cfg.publishOnly) {
      await publishLatency(nats.address, cfg.rounds, cfg.quick ? 300 : 1000);
      return;
    }
    console.log(
      `nats: ${cfg.contenders.length} contenders, ${cfg.rounds} rounds, warm-up ${cfg.warmupMs / 1000} s, measure ${cfg.measureMs / 1000} s, ` +
        `${cfg.inflight} calls in flight, one nats-server ${nats.version} at ${nats.address}; ${machine()}`,
    );
    const run: RunMessage = {
      type: 'run',
      inflight: cfg.inflight,
      warmupMs: cfg.warmupMs,
      measureMs: cfg.measureMs,
      maxCalls: cfg.maxCalls,
    };
    const n = nats;
    const entrants = await allStarted(cfg.contenders.map((c) => start(children, n, c, run)));
    series = await runRounds(entrants, {
      rounds: cfg.rounds,
      keyWidth: 10,
      describe: (s) =>
        `${fmt(s.callsPerSec).padStart(9)} calls/s  ` +
        `p50 ${fmt(s.p50Ms, 2)} p99 ${fmt(s.p99Ms, 2)} ms  cpu us/call server ${fmt(s.serverUsPerCall, 1)} ` +
        `client ${fmt(s.clientUsPerCall, 1)} nats-server ${fmt(s.natsUsPerCall, 1)} total ${fmt(s.totalUsPerCall, 1)}  ` +
        `calls/write client ${fmt(s.clientCallsPerWrite, 1)} server ${fmt(s.serverCallsPerWrite, 1)}  ` +
        `bytes/call client ${fmt(s.clientBytesPerCall)} server ${fmt(s.serverBytesPerCall)}  ` +
        `load ${loadAverage().split(' ')[0]}`,
      // Per round: calls/s over the baseline's, total CPU per call over the floor's.
      ratios: {
        calls: { baseline: GOAL.baseline, value: (s) => s.callsPerSec },
        cpu: { baseline: GOAL.cpuBaseline, value: (s) => s.totalUsPerCall },
      },
    });
    report(cfg.contenders, series, cfg.rounds);
    await publishLatency(nats.address, cfg.rounds, cfg.quick ? 300 : 1000);
  } finally {
    offInterrupt();
    // Clients and servers first, so none of them sees its nats-server go away.
    await children.stopAll();
    await nats?.stop();
    await natsChildren.stopAll();
  }
}

function report(list: Contender[], series: Map<string, Series<Sample>>, rounds: number): void {
  console.log(
    `\nMedian of ${rounds} interleaved rounds; ratios are against the contender measured in the same round ` +
      `(calls/s against ${GOAL.baseline}, total CPU per call against ${GOAL.cpuBaseline}). Load average ${loadAverage()}.\n`,
  );
  console.log(
    seriesTable<Sample>(list, series, [
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
    ]),
  );

  const goalRatio = medianRatio(series.get(GOAL.contender), 'calls');
  console.log(
    `\nGoal for ${GOAL.contender}: calls/s >= ${GOAL.minRatio}x ${GOAL.baseline}: ${ratio(goalRatio)} -> ${verdict(goalRatio, (v) => v >= GOAL.minRatio)}`,
  );
}

if (import.meta.main) await run();
