// RPC benchmark: micro (framed TCP with JSON and msgpack, HTTP), Moleculer's TCP transporter and a bare
// framed-TCP floor, each server and each client in its own process, run in interleaved rounds.
//
// Environment: BENCH_ROUNDS (3), BENCH_WARMUP_SECONDS (2), BENCH_SECONDS (8, measured per round),
// BENCH_INFLIGHT (100), BENCH_MAX_CALLS (5,000,000 per window), BENCH_ONLY (contender keys, comma
// separated), BENCH_NODE_ARGS (extra node flags for every child, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`).
// The default run takes about 2.7 minutes: 5 contenders x 3 rounds x 10 s, plus start-up.
import { Children, onInterrupt } from '../lib/processes.ts';
import {
  clientReady,
  perCall,
  runOnce,
  serverAddress,
  type PerCall,
  type ResultMessage,
  type RunMessage,
} from '../lib/protocol.ts';
import {
  errorsColumn,
  machine,
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
import { envNumber, pickContenders } from '../lib/settings.ts';
import { fmt } from '../lib/stats.ts';

/** One column of the comparison: a target, and how its client calls it. */
interface Contender {
  key: string;
  label: string;
  target: string;
  variant: string;
}

const contenders: Contender[] = [
  { key: 'micro-json', label: 'micro framed tcp + json', target: 'micro', variant: 'json' },
  {
    key: 'micro-msgpack',
    label: 'micro framed tcp + msgpack',
    target: 'micro',
    variant: 'msgpack',
  },
  { key: 'micro-http', label: 'micro http', target: 'micro', variant: 'http' },
  {
    key: 'moleculer',
    label: `moleculer ${packageVersion('moleculer')} tcp`,
    target: 'moleculer',
    variant: '',
  },
  { key: 'floor', label: 'floor: bare 4-byte length + json', target: 'floor', variant: '' },
];

/** What the goals are checked against, and the limits they set. */
const GOAL = { contender: 'micro-json', baseline: 'moleculer', minRatio: 2, maxCpuUsPerCall: 15 };

/** Settings from the environment (see the top of this file). */
function config() {
  const list = pickContenders(contenders, process.env.BENCH_ONLY, 'BENCH_ONLY');
  return {
    rounds: Math.round(envNumber('BENCH_ROUNDS', 3, 1)),
    warmupMs: envNumber('BENCH_WARMUP_SECONDS', 2, 0) * 1000,
    measureMs: envNumber('BENCH_SECONDS', 8, 0.5) * 1000,
    inflight: Math.round(envNumber('BENCH_INFLIGHT', 100, 1)),
    maxCalls: Math.round(envNumber('BENCH_MAX_CALLS', 5_000_000, 1)),
    contenders: list,
  };
}

/** One contender's measured window in one round, with derived figures. */
type Sample = ResultMessage & PerCall;

const script = (name: string): string => new URL(name, import.meta.url).pathname;

/** Starts a contender's server and client; resolves once the client is ready to be measured. */
async function start(children: Children, c: Contender, run: RunMessage): Promise<Entrant<Sample>> {
  const server = children.spawn(`${c.key} server`, script('server.ts'), [c.target]);
  const address = await serverAddress(server, 30_000);
  const client = children.spawn(`${c.key} client`, script('client.ts'), [
    c.target,
    c.variant,
    address,
    String(server.pid),
  ]);
  // Moleculer's TCP transporter finds peers by gossip, which takes a few seconds.
  await clientReady(client, 60_000, `${c.key} client`);
  return {
    key: c.key,
    measure: async () => {
      const m = await runOnce(client, run, c.key);
      return { ...m, ...perCall(m) };
    },
  };
}

/** Runs the RPC benchmark and prints its table and the goal verdicts. */
export async function run(): Promise<void> {
  const cfg = config();
  const children = new Children();
  const offInterrupt = onInterrupt(() => children.stopAll());
  console.log(
    `rpc: ${cfg.contenders.length} contenders, ${cfg.rounds} rounds, warm-up ${cfg.warmupMs / 1000} s, measure ${cfg.measureMs / 1000} s, ` +
      `${cfg.inflight} calls in flight; ${machine()}`,
  );
  let series: Map<string, Series<Sample>>;
  try {
    const run: RunMessage = {
      type: 'run',
      inflight: cfg.inflight,
      warmupMs: cfg.warmupMs,
      measureMs: cfg.measureMs,
      maxCalls: cfg.maxCalls,
    };
    const entrants = await allStarted(cfg.contenders.map((c) => start(children, c, run)));
    series = await runRounds(entrants, {
      rounds: cfg.rounds,
      keyWidth: 14,
      describe: (s) =>
        `${fmt(s.callsPerSec).padStart(9)} calls/s  ` +
        `p50 ${fmt(s.p50Ms, 2)} p99 ${fmt(s.p99Ms, 2)} ms  cpu us/call server ${fmt(s.serverUsPerCall, 1)} client ${fmt(s.clientUsPerCall, 1)}`,
      ratios: {
        baseline: { baseline: GOAL.baseline, value: (s) => s.callsPerSec },
        floor: { baseline: 'floor', value: (s) => s.callsPerSec },
      },
    });
  } finally {
    offInterrupt();
    await children.stopAll();
  }
  report(cfg.contenders, series, cfg.rounds);
}

function report(list: Contender[], series: Map<string, Series<Sample>>, rounds: number): void {
  console.log(
    `\nMedian of ${rounds} interleaved rounds; ratios are calls/s against the contender measured in the same round.\n`,
  );
  console.log(
    seriesTable<Sample>(list, series, [
      ...perCallColumns<Sample>('calls/s', 'call'),
      ratioColumn('x moleculer', 'baseline'),
      ratioColumn('x floor', 'floor'),
      errorsColumn(),
    ]),
  );

  const goal = series.get(GOAL.contender);
  const goalRatio = medianRatio(goal, 'baseline');
  const server = medianOf(goal, (s) => s.serverUsPerCall);
  const client = medianOf(goal, (s) => s.clientUsPerCall);
  console.log(`\nGoals for ${GOAL.contender}:`);
  console.log(
    `  calls/s >= ${GOAL.minRatio}x ${GOAL.baseline}: ${ratio(goalRatio)} -> ${verdict(goalRatio, (v) => v >= GOAL.minRatio)}`,
  );
  console.log(
    `  server CPU <= ${GOAL.maxCpuUsPerCall} us/call: ${fmt(server, 1)} -> ${verdict(server, (v) => v <= GOAL.maxCpuUsPerCall)}`,
  );
  console.log(
    `  client CPU <= ${GOAL.maxCpuUsPerCall} us/call: ${fmt(client, 1)} -> ${verdict(client, (v) => v <= GOAL.maxCpuUsPerCall)}`,
  );
}
