// RPC benchmark: micro (framed TCP with JSON and msgpack, HTTP), Moleculer's TCP transporter and a bare
// framed-TCP floor, each server and each client in its own process, run in interleaved rounds; and
// micro with auth on (guard verifying cached tokens, client wrapper sending one), whose added CPU
// per call per side is checked against micro-json's in the same rounds; and micro with tracing at
// 100% and 1% sampling, and at 100% with metrics, whose added CPU per call (server + client) is
// checked as a share of micro-json's; and micro with the node picked by the selector (random,
// least-outstanding, latency over three registered nodes) instead of dialed, whose client CPU per
// call is printed against random's.
//
// Flags (after `npm run bench -- rpc`, in --name=value form) or environment: --rounds / BENCH_ROUNDS
// (3), --warmup / BENCH_WARMUP_SECONDS (2), --seconds / BENCH_SECONDS (8, measured per round),
// --inflight / BENCH_INFLIGHT (100), --max-calls / BENCH_MAX_CALLS (5,000,000 per window), --only /
// BENCH_ONLY (contender keys, comma separated), --quick (a smoke run: 1 round, 1 s warm-up, 3 s
// measured). BENCH_NODE_ARGS: extra node flags for every child, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`.
// The default run takes about 4.2 minutes: 8 contenders x 3 rounds x 10 s, plus start-up.
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
import type { Children } from '../lib/processes.ts';
import { perCall, type PerCall, type ResultMessage, type RunMessage } from '../lib/protocol.ts';
import {
  errorsColumn,
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
import { printStrategyCost } from './strategy-cost.ts';

/** What this benchmark measures, for `npm run bench`'s list. */
export const describe =
  'request/response calls: micro (tcp json, tcp msgpack, http; requests checked by ajv or Zod) vs Moleculer TCP vs a bare framed-TCP floor';

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
    key: 'micro-ajv',
    label: 'micro tcp + json, JSON Schema (ajv)',
    target: 'micro-ajv',
    variant: 'json',
  },
  { key: 'micro-zod', label: 'micro tcp + json, Zod schema', target: 'micro-zod', variant: 'json' },
  {
    key: 'micro-auth',
    label: 'micro tcp + json, auth on (guard + token)',
    target: 'micro-auth',
    variant: 'json',
  },
  {
    key: 'micro-trace',
    label: 'micro tcp + json, tracing 100%',
    target: 'micro-trace',
    variant: 'json',
  },
  {
    key: 'micro-trace-1',
    label: 'micro tcp + json, tracing 1%',
    target: 'micro-trace-1',
    variant: 'json',
  },
  {
    key: 'micro-trace-m',
    label: 'micro tcp + json, tracing 100% + metrics',
    target: 'micro-trace-metrics',
    variant: 'json',
  },
  {
    key: 'micro-random',
    label: 'micro tcp + json, selector random (3 nodes)',
    target: 'micro',
    variant: 'random',
  },
  {
    key: 'micro-lor',
    label: 'micro tcp + json, selector least-outstanding',
    target: 'micro',
    variant: 'least-outstanding',
  },
  {
    key: 'micro-latency',
    label: 'micro tcp + json, selector latency (P2C)',
    target: 'micro',
    variant: 'latency',
  },
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
/** Auth on against micro-json: the CPU its guard (cached verification) and its wrapper add per call. */
const AUTH_GOAL = { contender: 'micro-auth', maxAddedUsPerCall: 1.5 };

/** Tracing (and metrics) against micro-json: CPU added per call (both sides), as a share of it. */
const TRACE_GOALS = [
  { contender: 'micro-trace', maxAddedShare: 0.15 },
  { contender: 'micro-trace-1', maxAddedShare: 0.03 },
  { contender: 'micro-trace-m', maxAddedShare: 0.15 },
];

/** Settings from flags, then the environment, then defaults (see the top of this file). */
function config(argv: string[]) {
  const s = readSettings(argv, loadOptions);
  return {
    ...roundSettings(s, contenders),
    ...callSettings(s),
  };
}

/** One contender's measured window in one round, with derived figures. */
type Sample = ResultMessage & PerCall;

const script = (name: string): string => new URL(name, import.meta.url).pathname;

/** Starts a contender's server and client; resolves once the client is ready to be measured. */
async function start(children: Children, c: Contender, run: RunMessage): Promise<Entrant<Sample>> {
  const server = await startServer(children, `${c.key} server`, script('server.ts'), [c.target]);
  const args = [c.target, c.variant, server.address, String(server.pid)];
  return clientEntrant(children, c.key, { script: script('client.ts'), args }, run, (m) => ({
    ...m,
    ...perCall(m),
  }));
}

/** Runs the RPC benchmark and prints its table and the goal verdicts. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const cfg = config(argv);
  console.log(loadHeader('rpc', cfg.contenders.length, cfg, `${cfg.inflight} calls in flight`));
  const load = runMessage(cfg, cfg.inflight, cfg.maxCalls);
  const series = await measureRounds(
    (children) => allStarted(cfg.contenders.map((c) => start(children, c, load))),
    {
      rounds: cfg.rounds,
      keyWidth: 14,
      describe: (s) => perCallLine(s, 'calls/s', 9, 'call', 'server'),
      ratios: {
        baseline: { baseline: GOAL.baseline, value: (s) => s.callsPerSec },
        floor: { baseline: 'floor', value: (s) => s.callsPerSec },
      },
    },
  );
  report(cfg.contenders, series, cfg.rounds);
}

function report(list: Contender[], series: Map<string, Series<Sample>>, rounds: number): void {
  printTable(
    rounds,
    'ratios are calls/s against the contender measured in the same round.',
    list,
    series,
    [
      ...perCallColumns<Sample>('calls/s', 'call'),
      ratioColumn('x moleculer', 'baseline'),
      ratioColumn('x floor', 'floor'),
      errorsColumn(),
    ],
  );

  const goals = series.get(GOAL.contender);
  const goalRatio = medianRatio(goals, 'baseline');
  const server = medianOf(goals, (s) => s.serverUsPerCall);
  const client = medianOf(goals, (s) => s.clientUsPerCall);
  const cpuOk = (v: number): boolean => v <= GOAL.maxCpuUsPerCall;
  console.log(`\nGoals for ${GOAL.contender}:`);
  for (const line of [
    goal(
      `calls/s >= ${GOAL.minRatio}x ${GOAL.baseline}`,
      ratio(goalRatio),
      goalRatio,
      (v) => v >= GOAL.minRatio,
    ),
    goal(`server CPU <= ${GOAL.maxCpuUsPerCall} us/call`, fmt(server, 1), server, cpuOk),
    goal(`client CPU <= ${GOAL.maxCpuUsPerCall} us/call`, fmt(client, 1), client, cpuOk),
  ])
    console.log(`  ${line}`);

  traceGoals(series);
  printStrategyCost(series);
  const auth = series.get(AUTH_GOAL.contender);
  if (!auth || !goals) return;
  const added = (pick: (s: Sample) => number): number =>
    medianOf(auth, pick) - medianOf(goals, pick);
  const addedOk = (v: number): boolean => v <= AUTH_GOAL.maxAddedUsPerCall;
  const addedServer = added((s) => s.serverUsPerCall);
  const addedClient = added((s) => s.clientUsPerCall);
  console.log(
    `\nGoals for ${AUTH_GOAL.contender} (CPU added over ${GOAL.contender}, same rounds):`,
  );
  for (const line of [
    goal(
      `server <= ${AUTH_GOAL.maxAddedUsPerCall} us/call`,
      fmt(addedServer, 2),
      addedServer,
      addedOk,
    ),
    goal(
      `client <= ${AUTH_GOAL.maxAddedUsPerCall} us/call`,
      fmt(addedClient, 2),
      addedClient,
      addedOk,
    ),
  ])
    console.log(`  ${line}`);
}

/** The CPU tracing adds per call over micro-json (server + client), in us and as a share of it. */
function traceGoals(series: Map<string, Series<Sample>>): void {
  const plain = series.get(GOAL.contender);
  if (!plain) return;
  const cpu = (list: Series<Sample>): number =>
    medianOf(list, (s) => s.serverUsPerCall) + medianOf(list, (s) => s.clientUsPerCall);
  const base = cpu(plain);
  const lines = TRACE_GOALS.flatMap((g) => {
    const traced = series.get(g.contender);
    if (!traced) return [];
    const added = cpu(traced) - base;
    const share = added / base;
    return [
      goal(
        `${g.contender}: CPU added <= ${g.maxAddedShare * 100}% per call`,
        `${fmt(added, 2)} us (${fmt(share * 100, 1)}% of ${fmt(base, 1)} us)`,
        share,
        (v) => v <= g.maxAddedShare,
      ),
    ];
  });
  if (lines.length === 0) return;
  console.log(
    `\nGoals for tracing (CPU added over ${GOAL.contender}, server + client, same rounds):`,
  );
  for (const line of lines) console.log(`  ${line}`);
}
