// API gateway benchmark: HTTP clients through micro's gateway to a greeter in another process,
// against a hand-written fastify + undici proxy to the same greeter, moleculer-web in front of a
// Moleculer service over its TCP transporter, and a bare node:http server answering by itself (the
// floor). The gateway runs twice, auth off and on (a Bearer token verified, cached, and the rules
// applied on every request), so the CPU auth adds per request is read off one run. Every server and every load generator runs in its own process; rounds are interleaved.
//
// Flags (after `npm run bench -- api`, in --name=value form) or environment: --rounds / BENCH_ROUNDS
// (3), --warmup / BENCH_WARMUP_SECONDS (2), --seconds / BENCH_SECONDS (8, measured per round),
// --connections / BENCH_CONNECTIONS (50 keep-alive connections, one request in flight on each),
// --only / BENCH_ONLY (contender keys, comma separated), --quick (a smoke run: 1 round, 1 s warm-up,
// 3 s measured). BENCH_NODE_ARGS: extra node flags for every child.
// The default run takes about 3 minutes: 5 contenders x 3 rounds x 10 s, plus start-up.
import {
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
  type RoundSettings,
} from '../lib/load-bench.ts';
import type { Children } from '../lib/processes.ts';
import { perCall, type PerCall, type ResultMessage } from '../lib/protocol.ts';
import {
  errorsColumn,
  medianOf,
  medianRatio,
  perCallColumns,
  ratio,
  type Column,
} from '../lib/report.ts';
import type { Entrant, Series } from '../lib/rounds.ts';
import { readSettings } from '../lib/settings.ts';

/** What this benchmark measures, for `npm run bench`'s list. */
export const describe =
  'HTTP through the API gateway to a greeter vs a fastify + undici proxy, moleculer-web, and bare node:http';

/** One column: its server processes (the first is the entry point) and their arguments. */
interface Contender {
  key: string;
  label: string;
  /** Server kinds from servers.ts; `@kind` as an argument is that server's address. */
  servers: [kind: string, upstream?: string][];
  /** The client sends `Authorization: Bearer` with the shared token (auth.ts). */
  auth?: boolean;
}

const contenders: Contender[] = [
  {
    key: 'micro',
    label: 'micro api gateway -> greeter',
    servers: [['gateway', '@greeter'], ['greeter']],
  },
  {
    key: 'micro-auth',
    label: 'micro api gateway, auth on -> greeter',
    servers: [['gateway-auth', '@greeter'], ['greeter']],
    auth: true,
  },
  {
    key: 'fastify',
    label: 'fastify + undici proxy -> greeter',
    servers: [['fastify', '@greeter'], ['greeter']],
  },
  {
    key: 'moleculer-web',
    label: 'moleculer-web -> moleculer TCP',
    servers: [['moleculer-web', '@moleculer'], ['moleculer']],
  },
  { key: 'bare', label: 'floor: bare node:http', servers: [['bare']] },
];

/** The goals: CPU per request against the floor, and throughput against moleculer-web. */
const GOAL = {
  contender: 'micro',
  cpuBaseline: 'bare',
  maxCpuRatio: 2,
  rateBaseline: 'moleculer-web',
  minRateRatio: 2,
};

/** Settings from flags, then the environment, then defaults (see the top of this file). */
function config(argv: string[]) {
  const s = readSettings(argv, { ...loadOptions, connections: { type: 'string' } });
  return {
    ...roundSettings(s, contenders),
    connections: Math.round(s.number('connections', 'BENCH_CONNECTIONS', 50, 1)),
  };
}

type Sample = ResultMessage & PerCall;

const script = (name: string): string => new URL(name, import.meta.url).pathname;

/** Starts each server kind once (shared between contenders: micro and fastify front the same greeter). */
async function startServers(
  children: Children,
  list: Contender[],
): Promise<Map<string, { pid: number; address: string }>> {
  const started = new Map<string, { pid: number; address: string }>();
  const start = async (kind: string, upstream?: string): Promise<void> => {
    if (started.has(kind)) return;
    let arg = '';
    if (upstream?.startsWith('@')) {
      const dep = upstream.slice(1);
      await start(dep);
      arg = started.get(dep)?.address ?? '';
    }
    started.set(kind, await startServer(children, kind, script('server.ts'), [kind, arg], 60_000));
  };
  // Back ends first, then the gateways that dial them.
  for (const c of list) for (const [kind] of c.servers.slice(1)) await start(kind);
  await Promise.all(list.map((c) => start(...c.servers[0]!)));
  return started;
}

/** Starts every contender's servers, then their clients one at a time; resolves with the entrants. */
async function startAll(
  children: Children,
  list: Contender[],
  connections: number,
  r: RoundSettings,
): Promise<Entrant<Sample>[]> {
  const servers = await startServers(children, list);
  const load = runMessage(r, connections, 50_000_000);
  const entrants: Entrant<Sample>[] = [];
  for (const c of list) {
    const entry = servers.get(c.servers[0]![0])!;
    const pids = c.servers.map(([kind]) => servers.get(kind)!.pid).join(',');
    const client = {
      script: script('client.ts'),
      args: [entry.address, pids, ...(c.auth ? ['auth'] : [])],
    };
    entrants.push(
      await clientEntrant(children, c.key, client, load, (m) => ({ ...m, ...perCall(m) })),
    );
  }
  return entrants;
}

/** Runs the API gateway benchmark and prints its table and the goal verdicts. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const cfg = config(argv);
  if (cfg.contenders.some((c) => c.auth)) await (await import('./auth.ts')).shareBenchAuth();
  console.log(loadHeader('api', cfg.contenders.length, cfg, `${cfg.connections} connections`));
  const series = await measureRounds(
    (children) => startAll(children, cfg.contenders, cfg.connections, cfg),
    {
      rounds: cfg.rounds,
      keyWidth: 14,
      describe: (s) => perCallLine(s, 'req/s', 7, 'req', 'servers'),
      ratios: {
        rate: { baseline: GOAL.rateBaseline, value: (s) => s.callsPerSec },
        cpu: { baseline: GOAL.cpuBaseline, value: (s) => s.serverUsPerCall },
      },
    },
  );
  report(cfg.contenders, series, cfg.rounds);
}

function report(list: Contender[], series: Map<string, Series<Sample>>, rounds: number): void {
  // The table's ratios are of medians; the goals' are medians of the per-round ratios.
  const against = (head: string, baseline: string, pick: (s: Sample) => number): Column<Sample> => {
    const base = medianOf(series.get(baseline), pick);
    return { head, cell: (x) => ratio(medianOf(x, pick) / base) };
  };
  printTable(
    rounds,
    'server CPU is every process behind the entry point, per request.',
    list,
    series,
    [
      ...perCallColumns<Sample>('req/s', 'req'),
      against('CPU x floor', GOAL.cpuBaseline, (s) => s.serverUsPerCall),
      against('req/s x moleculer-web', GOAL.rateBaseline, (s) => s.callsPerSec),
      errorsColumn(),
    ],
  );
  const off = medianOf(series.get('micro'), (s) => s.serverUsPerCall);
  const on = medianOf(series.get('micro-auth'), (s) => s.serverUsPerCall);
  if (Number.isFinite(off) && Number.isFinite(on))
    console.log(
      `\nAuth on adds ${(on - off).toFixed(1)} us of server CPU per request (${on.toFixed(1)} vs ${off.toFixed(1)} us, medians).`,
    );
  const micro = series.get(GOAL.contender);
  const cpu = medianRatio(micro, 'cpu');
  const rate = medianRatio(micro, 'rate');
  console.log(`\nGoals for the micro gateway (medians of the per-round ratios):`);
  for (const line of [
    goal(
      `server CPU per request <= ${GOAL.maxCpuRatio}x bare node:http`,
      ratio(cpu),
      cpu,
      (v) => v <= GOAL.maxCpuRatio,
    ),
    goal(
      `req/s >= ${GOAL.minRateRatio}x moleculer-web`,
      ratio(rate),
      rate,
      (v) => v >= GOAL.minRateRatio,
    ),
  ])
    console.log(`  ${line}`);
}
