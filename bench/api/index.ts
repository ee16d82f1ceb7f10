// API gateway benchmark: HTTP clients through micro's gateway to a greeter in another process,
// against a hand-written fastify + undici proxy to the same greeter, moleculer-web in front of a
// Moleculer service over its TCP transporter, and a bare node:http server answering by itself (the
// floor). Every server and every load generator runs in its own process; rounds are interleaved.
//
// Environment: BENCH_ROUNDS (3), BENCH_WARMUP_SECONDS (2), BENCH_SECONDS (8, measured per round),
// BENCH_CONNECTIONS (50 keep-alive connections, one request in flight on each), BENCH_ONLY
// (contender keys, comma separated), BENCH_NODE_ARGS (extra node flags for every child).
// The default run takes about 2.5 minutes: 4 contenders x 3 rounds x 10 s, plus start-up.
import { Children, onInterrupt, type Child } from '../lib/processes.ts';
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
  ratio,
  seriesTable,
  verdict,
  type Column,
} from '../lib/report.ts';
import { runRounds, type Entrant, type Series } from '../lib/rounds.ts';
import { envNumber, pickContenders } from '../lib/settings.ts';
import { fmt } from '../lib/stats.ts';

/** One column: its server processes (the first is the entry point) and their arguments. */
interface Contender {
  key: string;
  label: string;
  /** Server kinds from servers.ts; `@kind` as an argument is that server's address. */
  servers: [kind: string, upstream?: string][];
}

const contenders: Contender[] = [
  {
    key: 'micro',
    label: 'micro api gateway -> greeter',
    servers: [['gateway', '@greeter'], ['greeter']],
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

function config() {
  const list = pickContenders(contenders, process.env.BENCH_ONLY, 'BENCH_ONLY');
  return {
    rounds: Math.round(envNumber('BENCH_ROUNDS', 3, 1)),
    warmupMs: envNumber('BENCH_WARMUP_SECONDS', 2, 0) * 1000,
    measureMs: envNumber('BENCH_SECONDS', 8, 0.5) * 1000,
    connections: Math.round(envNumber('BENCH_CONNECTIONS', 50, 1)),
    contenders: list,
  };
}

type Sample = ResultMessage & PerCall;

const script = (name: string): string => new URL(name, import.meta.url).pathname;

/** Starts each server kind once (shared between contenders: micro and fastify front the same greeter). */
async function startServers(
  children: Children,
  list: Contender[],
): Promise<Map<string, { child: Child; address: string }>> {
  const started = new Map<string, { child: Child; address: string }>();
  const start = async (kind: string, upstream?: string): Promise<void> => {
    if (started.has(kind)) return;
    let arg = '';
    if (upstream?.startsWith('@')) {
      const dep = upstream.slice(1);
      await start(dep);
      arg = started.get(dep)?.address ?? '';
    }
    const child = children.spawn(kind, script('server.ts'), [kind, arg]);
    started.set(kind, { child, address: await serverAddress(child, 60_000) });
  };
  // Back ends first, then the gateways that dial them.
  for (const c of list) for (const [kind] of c.servers.slice(1)) await start(kind);
  await Promise.all(list.map((c) => start(...c.servers[0]!)));
  return started;
}

/** Runs the API gateway benchmark and prints its table and the goal verdicts. */
export async function run(): Promise<void> {
  const cfg = config();
  const children = new Children();
  const offInterrupt = onInterrupt(() => children.stopAll());
  console.log(
    `api: ${cfg.contenders.length} contenders, ${cfg.rounds} rounds, warm-up ${cfg.warmupMs / 1000} s, measure ${cfg.measureMs / 1000} s, ` +
      `${cfg.connections} connections; ${machine()}`,
  );
  let series: Map<string, Series<Sample>>;
  try {
    const servers = await startServers(children, cfg.contenders);
    const run: RunMessage = {
      type: 'run',
      inflight: cfg.connections,
      warmupMs: cfg.warmupMs,
      measureMs: cfg.measureMs,
      maxCalls: 50_000_000,
    };
    const entrants: Entrant<Sample>[] = [];
    for (const c of cfg.contenders) {
      const entry = servers.get(c.servers[0]![0])!;
      const pids = c.servers.map(([kind]) => servers.get(kind)!.child.pid).join(',');
      const client = children.spawn(`${c.key} client`, script('client.ts'), [entry.address, pids]);
      await clientReady(client, 60_000, c.key);
      entrants.push({
        key: c.key,
        measure: async () => {
          const m = await runOnce(client, run, c.key);
          return { ...m, ...perCall(m) };
        },
      });
    }
    series = await runRounds(entrants, {
      rounds: cfg.rounds,
      keyWidth: 14,
      describe: (s) =>
        `${fmt(s.callsPerSec).padStart(7)} req/s  p50 ${fmt(s.p50Ms, 2)} p99 ${fmt(s.p99Ms, 2)} ms  ` +
        `cpu us/req servers ${fmt(s.serverUsPerCall, 1)} client ${fmt(s.clientUsPerCall, 1)}`,
      ratios: {
        rate: { baseline: GOAL.rateBaseline, value: (s) => s.callsPerSec },
        cpu: { baseline: GOAL.cpuBaseline, value: (s) => s.serverUsPerCall },
      },
    });
  } finally {
    offInterrupt();
    await children.stopAll();
  }
  report(cfg.contenders, series, cfg.rounds);
}

function report(list: Contender[], series: Map<string, Series<Sample>>, rounds: number): void {
  // The table's ratios are of medians; the goals' are medians of the per-round ratios.
  const against = (head: string, baseline: string, pick: (s: Sample) => number): Column<Sample> => {
    const base = medianOf(series.get(baseline), pick);
    return { head, cell: (x) => ratio(medianOf(x, pick) / base) };
  };
  console.log(
    `\nMedian of ${rounds} interleaved rounds; server CPU is every process behind the entry point, per request.\n`,
  );
  console.log(
    seriesTable<Sample>(list, series, [
      ...perCallColumns<Sample>('req/s', 'req'),
      against('CPU x floor', GOAL.cpuBaseline, (s) => s.serverUsPerCall),
      against('req/s x moleculer-web', GOAL.rateBaseline, (s) => s.callsPerSec),
      errorsColumn(),
    ]),
  );
  const micro = series.get(GOAL.contender);
  const cpu = medianRatio(micro, 'cpu');
  const rate = medianRatio(micro, 'rate');
  console.log(`\nGoals for the micro gateway (medians of the per-round ratios):`);
  console.log(
    `  server CPU per request <= ${GOAL.maxCpuRatio}x bare node:http: ${ratio(cpu)} -> ${verdict(cpu, (v) => v <= GOAL.maxCpuRatio)}`,
  );
  console.log(
    `  req/s >= ${GOAL.minRateRatio}x moleculer-web: ${ratio(rate)} -> ${verdict(rate, (v) => v >= GOAL.minRateRatio)}`,
  );
}
