// API gateway benchmark: HTTP clients through micro's gateway to a greeter in another process,
// against a hand-written fastify + undici proxy to the same greeter, moleculer-web in front of a
// Moleculer service over its TCP transporter, and a bare node:http server answering by itself (the
// floor). Every server and every load generator runs in its own process; rounds are interleaved.
//
// Environment: BENCH_ROUNDS (3), BENCH_WARMUP_SECONDS (2), BENCH_SECONDS (8, measured per round),
// BENCH_CONNECTIONS (50 keep-alive connections, one request in flight on each), BENCH_ONLY
// (contender keys, comma separated), BENCH_NODE_ARGS (extra node flags for every child).
// The default run takes about 2.5 minutes: 4 contenders x 3 rounds x 10 s, plus start-up.
import os from 'node:os';
import { Children, onInterrupt, type Child } from '../lib/processes.ts';
import { fmt, median, table } from '../lib/stats.ts';
import {
  isFailed,
  isReady,
  isResult,
  type FailedMessage,
  type ReadyMessage,
  type ResultMessage,
  type RunMessage,
} from '../rpc/messages.ts';

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
  const num = (name: string, fallback: number, min: number): number => {
    const raw = process.env[name];
    const n = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isFinite(n) || n < min)
      throw new Error(`${name} must be a number >= ${min}, got "${raw}"`);
    return n;
  };
  const only = process.env.BENCH_ONLY?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const k of only ?? [])
    if (!contenders.some((c) => c.key === k))
      throw new Error(
        `BENCH_ONLY: unknown contender ${k}; use ${contenders.map((c) => c.key).join(', ')}`,
      );
  return {
    rounds: Math.round(num('BENCH_ROUNDS', 3, 1)),
    warmupMs: num('BENCH_WARMUP_SECONDS', 2, 0) * 1000,
    measureMs: num('BENCH_SECONDS', 8, 0.5) * 1000,
    connections: Math.round(num('BENCH_CONNECTIONS', 50, 1)),
    contenders: only ? contenders.filter((c) => only.includes(c.key)) : contenders,
  };
}

interface Sample extends ResultMessage {
  rate: number;
  serverUs: number;
  clientUs: number;
}

const script = (name: string): string => new URL(name, import.meta.url).pathname;
const addressIn = (line: string): string | undefined => {
  if (!line.startsWith('{"address":')) return undefined;
  const { address } = JSON.parse(line) as { address?: unknown };
  return typeof address === 'string' ? address : undefined;
};

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
    started.set(kind, { child, address: await child.line(addressIn, 60_000) });
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
  const samples = new Map<string, Sample[]>(cfg.contenders.map((c) => [c.key, []]));
  const rateRatios: number[] = [];
  const cpuRatios: number[] = [];
  console.log(
    `api: ${cfg.contenders.length} contenders, ${cfg.rounds} rounds, warm-up ${cfg.warmupMs / 1000} s, measure ${cfg.measureMs / 1000} s, ` +
      `${cfg.connections} connections; Node ${process.version}, ${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  try {
    const servers = await startServers(children, cfg.contenders);
    const clients = new Map<string, Child>();
    for (const c of cfg.contenders) {
      const entry = servers.get(c.servers[0]![0])!;
      const pids = c.servers.map(([kind]) => servers.get(kind)!.child.pid).join(',');
      const client = children.spawn(`${c.key} client`, script('client.ts'), [entry.address, pids]);
      const ready = await client.message(
        (m): m is ReadyMessage | FailedMessage => isReady(m) || isFailed(m),
        60_000,
      );
      if (isFailed(ready)) throw new Error(`${c.key}: ${ready.error}`);
      clients.set(c.key, client);
    }
    const run: RunMessage = {
      type: 'run',
      inflight: cfg.connections,
      warmupMs: cfg.warmupMs,
      measureMs: cfg.measureMs,
      maxCalls: 50_000_000,
    };
    for (let round = 0; round < cfg.rounds; round++) {
      const order = cfg.contenders.map(
        (_, i) => cfg.contenders[(i + round) % cfg.contenders.length]!,
      );
      const inRound = new Map<string, Sample>();
      for (const c of order) {
        const client = clients.get(c.key)!;
        client.send(run);
        const m = await client.message(
          (x): x is ResultMessage | FailedMessage => isResult(x) || isFailed(x),
          run.warmupMs + run.measureMs + 30_000,
        );
        if (isFailed(m)) throw new Error(`${c.key}: ${m.error}`);
        const n = Math.max(m.calls, 1);
        const s: Sample = {
          ...m,
          rate: m.calls / m.seconds,
          serverUs: m.serverCpuUs / n,
          clientUs: m.clientCpuUs / n,
        };
        inRound.set(c.key, s);
        samples.get(c.key)?.push(s);
        console.log(
          `  round ${round + 1}/${cfg.rounds} ${c.key.padEnd(14)} ${fmt(s.rate).padStart(7)} req/s  p50 ${fmt(s.p50Ms, 2)} p99 ${fmt(s.p99Ms, 2)} ms  ` +
            `cpu us/req servers ${fmt(s.serverUs, 1)} client ${fmt(s.clientUs, 1)}${s.errors > 0 ? `  ${s.errors} errors, first: ${s.firstError ?? '?'}` : ''}`,
        );
      }
      const micro = inRound.get(GOAL.contender);
      const slow = inRound.get(GOAL.rateBaseline);
      const floor = inRound.get(GOAL.cpuBaseline);
      if (micro && slow) rateRatios.push(micro.rate / slow.rate);
      if (micro && floor) cpuRatios.push(micro.serverUs / floor.serverUs);
    }
  } finally {
    offInterrupt();
    await children.stopAll();
  }
  report(cfg.contenders, samples, cfg.rounds, rateRatios, cpuRatios);
}

function report(
  list: Contender[],
  samples: Map<string, Sample[]>,
  rounds: number,
  rateRatios: number[],
  cpuRatios: number[],
): void {
  const med = (key: string, pick: (s: Sample) => number): number =>
    median((samples.get(key) ?? []).map(pick));
  const floorCpu = med(GOAL.cpuBaseline, (s) => s.serverUs);
  const slowRate = med(GOAL.rateBaseline, (s) => s.rate);
  const rows = list.map((c) => [
    c.label,
    fmt(med(c.key, (s) => s.rate)),
    fmt(
      med(c.key, (s) => s.p50Ms),
      2,
    ),
    fmt(
      med(c.key, (s) => s.p99Ms),
      2,
    ),
    fmt(
      med(c.key, (s) => s.serverUs),
      1,
    ),
    fmt(
      med(c.key, (s) => s.clientUs),
      1,
    ),
    ratio(med(c.key, (s) => s.serverUs) / floorCpu),
    ratio(med(c.key, (s) => s.rate) / slowRate),
    fmt((samples.get(c.key) ?? []).reduce((n, s) => n + s.errors, 0)),
  ]);
  console.log(
    `\nMedian of ${rounds} interleaved rounds; server CPU is every process behind the entry point, per request.\n`,
  );
  console.log(
    table(
      [
        'contender',
        'req/s',
        'p50 ms',
        'p99 ms',
        'server CPU us/req',
        'client CPU us/req',
        'CPU x floor',
        'req/s x moleculer-web',
        'errors',
      ],
      rows,
    ),
  );
  const cpu = median(cpuRatios);
  const rate = median(rateRatios);
  const check = (v: number, ok: (v: number) => boolean): string =>
    !Number.isFinite(v) ? 'n/a (not measured)' : ok(v) ? 'MET' : 'NOT MET';
  console.log(`\nGoals for the micro gateway (medians of the per-round ratios):`);
  console.log(
    `  server CPU per request <= ${GOAL.maxCpuRatio}x bare node:http: ${ratio(cpu)} -> ${check(cpu, (v) => v <= GOAL.maxCpuRatio)}`,
  );
  console.log(
    `  req/s >= ${GOAL.minRateRatio}x moleculer-web: ${ratio(rate)} -> ${check(rate, (v) => v >= GOAL.minRateRatio)}`,
  );
}

const ratio = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-');
