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
//   run: 1 round, 1 s warm-up, 3 s measured). BENCH_NODE_ARGS: extra node flags for every child,
//   e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`. NATS_SERVER: the nats-server binary (default on PATH).
// The default run takes about 2.2 minutes: 4 contenders x 3 rounds x 10 s, plus start-up.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startNatsServer, type NatsServer } from '../lib/nats-server.ts';
import { Children, onInterrupt, type Child } from '../lib/processes.ts';
import { fmt, median, table } from '../lib/stats.ts';
import {
  isFailed,
  isNatsResult,
  isReady,
  type FailedMessage,
  type NatsResultMessage,
  type ReadyMessage,
  type RunMessage,
} from './messages.ts';

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
    label: `moleculer ${version('moleculer')} nats transporter + json`,
    target: 'moleculer',
  },
  { key: 'request', label: `nats ${version('nats')} nc.request() + json`, target: 'request' },
  {
    key: 'floor',
    label: `floor: nats ${version('nats')} publish + inbox + json`,
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
  const num = (flag: string, env: string, fallback: number, min: number): number => {
    const raw = pick(flag, env);
    const n = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isFinite(n) || n < min)
      throw new Error(`--${flag} (${env}) must be a number >= ${min}, got "${raw}"`);
    return n;
  };
  const only = pick('only', 'BENCH_ONLY')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const k of only ?? []) {
    if (!contenders.some((c) => c.key === k))
      throw new Error(
        `--only: unknown contender ${k}; use ${contenders.map((c) => c.key).join(', ')}`,
      );
  }
  return {
    rounds: Math.round(num('rounds', 'BENCH_ROUNDS', quick ? 1 : 3, 1)),
    warmupMs: num('warmup', 'BENCH_WARMUP_SECONDS', quick ? 1 : 2, 0) * 1000,
    measureMs: num('seconds', 'BENCH_SECONDS', quick ? 3 : 8, 0.5) * 1000,
    inflight: Math.round(num('inflight', 'BENCH_INFLIGHT', 100, 1)),
    maxCalls: Math.round(num('max-calls', 'BENCH_MAX_CALLS', 5_000_000, 1)),
    contenders: only ? contenders.filter((c) => only.includes(c.key)) : contenders,
  };
}

function version(pkgName: string): string {
  try {
    const pkg = new URL('package.json', import.meta.resolve(pkgName));
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

const loadavg = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** One contender's processes once both are up. */
interface Running {
  contender: Contender;
  server: Child;
  client: Child;
}

/** One contender's measured window in one round, with derived figures. */
interface Sample extends NatsResultMessage {
  callsPerSec: number;
  serverUsPerCall: number;
  clientUsPerCall: number;
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
const isReadyOrFailed = (m: unknown): m is ReadyMessage | FailedMessage =>
  isReady(m) || isFailed(m);
const isResultOrFailed = (m: unknown): m is NatsResultMessage | FailedMessage =>
  isNatsResult(m) || isFailed(m);

/** The address in a server child's `{"address": ...}` line. */
const addressIn = (line: string): string | undefined => {
  if (!line.startsWith('{"address":')) return undefined;
  const { address } = JSON.parse(line) as { address?: unknown };
  return typeof address === 'string' ? address : undefined;
};

async function start(children: Children, nats: NatsServer, c: Contender): Promise<Running> {
  const server = children.spawn(`${c.key} server`, script('server.ts'), [c.target, nats.address]);
  const address = await server.line(addressIn, 30_000);
  const client = children.spawn(`${c.key} client`, script('client.ts'), [
    c.target,
    nats.address,
    address,
    String(server.pid),
    String(nats.child.pid),
  ]);
  const ready = await client.message(isReadyOrFailed, 60_000);
  if (isFailed(ready)) throw new Error(`${c.key} client: ${ready.error}`);
  return { contender: c, server, client };
}

async function measure(r: Running, run: RunMessage): Promise<Sample> {
  r.client.send(run);
  const m = await r.client.message(isResultOrFailed, run.warmupMs + run.measureMs + 30_000);
  if (isFailed(m)) throw new Error(`${r.contender.key}: ${m.error}`);
  const calls = Math.max(m.calls, 1);
  return {
    ...m,
    callsPerSec: m.calls / m.seconds,
    serverUsPerCall: m.serverCpuUs / calls,
    clientUsPerCall: m.clientCpuUs / calls,
    natsUsPerCall: m.natsCpuUs / calls,
    totalUsPerCall: (m.serverCpuUs + m.clientCpuUs + m.natsCpuUs) / calls,
    clientCallsPerWrite: m.calls / m.clientWrites,
    serverCallsPerWrite: m.calls / m.serverWrites,
    clientBytesPerCall: m.clientBytes / calls,
    serverBytesPerCall: m.serverBytes / calls,
  };
}

/** Per contender, per round: calls/s over the baseline's, total CPU per call over the floor's. */
type Ratios = Map<string, { calls: number[]; cpu: number[] }>;

/** Runs the NATS RPC benchmark and prints its table and the goal verdict. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<void> {
  const cfg = config(argv);
  const natsChildren = new Children();
  const children = new Children();
  const offInterrupt = onInterrupt(async () => {
    await children.stopAll();
    await natsChildren.stopAll();
  });
  const samples = new Map<string, Sample[]>(cfg.contenders.map((c) => [c.key, []]));
  const ratios: Ratios = new Map(cfg.contenders.map((c) => [c.key, { calls: [], cpu: [] }]));
  let nats: NatsServer | undefined;
  try {
    nats = await startNatsServer(natsChildren);
    console.log(
      `nats: ${cfg.contenders.length} contenders, ${cfg.rounds} rounds, warm-up ${cfg.warmupMs / 1000} s, measure ${cfg.measureMs / 1000} s, ` +
        `${cfg.inflight} calls in flight, one nats-server ${nats.version} at ${nats.address}; Node ${process.version}, ` +
        `${os.cpus().length} CPUs, load average ${loadavg()}`,
    );
    // Wait for every start to settle, so that no child is spawned after stopAll on a failure.
    const n = nats;
    const started = await Promise.allSettled(cfg.contenders.map((c) => start(children, n, c)));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const running = started.map((s) => (s as PromiseFulfilledResult<Running>).value);
    const run: RunMessage = {
      type: 'run',
      inflight: cfg.inflight,
      warmupMs: cfg.warmupMs,
      measureMs: cfg.measureMs,
      maxCalls: cfg.maxCalls,
    };
    for (let round = 0; round < cfg.rounds; round++) {
      // Rotate the order each round so no contender always runs first or last.
      const order = running.map((_, i) => running[(i + round) % running.length] as Running);
      const inRound = new Map<string, Sample>();
      for (const r of order) {
        const s = await measure(r, run);
        inRound.set(r.contender.key, s);
        samples.get(r.contender.key)?.push(s);
        console.log(
          `  round ${round + 1}/${cfg.rounds} ${r.contender.key.padEnd(10)} ${fmt(s.callsPerSec).padStart(9)} calls/s  ` +
            `p50 ${fmt(s.p50Ms, 2)} p99 ${fmt(s.p99Ms, 2)} ms  cpu us/call server ${fmt(s.serverUsPerCall, 1)} ` +
            `client ${fmt(s.clientUsPerCall, 1)} nats-server ${fmt(s.natsUsPerCall, 1)} total ${fmt(s.totalUsPerCall, 1)}  ` +
            `calls/write client ${fmt(s.clientCallsPerWrite, 1)} server ${fmt(s.serverCallsPerWrite, 1)}  ` +
            `bytes/call client ${fmt(s.clientBytesPerCall)} server ${fmt(s.serverBytesPerCall)}  ` +
            `load ${os.loadavg()[0]?.toFixed(2)}` +
            (s.errors > 0 ? `  ${s.errors} errors, first: ${s.firstError ?? '?'}` : ''),
        );
      }
      for (const [key, s] of inRound) {
        const base = inRound.get(GOAL.baseline);
        const floor = inRound.get(GOAL.cpuBaseline);
        if (base) ratios.get(key)?.calls.push(s.callsPerSec / base.callsPerSec);
        if (floor) ratios.get(key)?.cpu.push(s.totalUsPerCall / floor.totalUsPerCall);
      }
    }
  } finally {
    offInterrupt();
    // Clients and servers first, so none of them sees its nats-server go away.
    await children.stopAll();
    await nats?.stop();
    await natsChildren.stopAll();
  }
  report(cfg.contenders, samples, ratios, cfg.rounds);
}

function report(
  list: Contender[],
  samples: Map<string, Sample[]>,
  ratios: Ratios,
  rounds: number,
): void {
  const med = (key: string, pick: (s: Sample) => number): number =>
    median((samples.get(key) ?? []).map(pick));
  const rows = list.map((c) => [
    c.label,
    fmt(med(c.key, (s) => s.callsPerSec)),
    fmt(
      med(c.key, (s) => s.p50Ms),
      2,
    ),
    fmt(
      med(c.key, (s) => s.p99Ms),
      2,
    ),
    fmt(
      med(c.key, (s) => s.serverUsPerCall),
      1,
    ),
    fmt(
      med(c.key, (s) => s.clientUsPerCall),
      1,
    ),
    fmt(
      med(c.key, (s) => s.natsUsPerCall),
      1,
    ),
    fmt(
      med(c.key, (s) => s.totalUsPerCall),
      1,
    ),
    `${fmt(med(c.key, (s) => s.clientBytesPerCall))} / ${fmt(med(c.key, (s) => s.serverBytesPerCall))}`,
    ratio(median(ratios.get(c.key)?.calls ?? [])),
    ratio(median(ratios.get(c.key)?.cpu ?? [])),
    fmt((samples.get(c.key) ?? []).reduce((n, s) => n + s.errors, 0)),
  ]);
  console.log(
    `\nMedian of ${rounds} interleaved rounds; ratios are against the contender measured in the same round ` +
      `(calls/s against ${GOAL.baseline}, total CPU per call against ${GOAL.cpuBaseline}). Load average ${loadavg()}.\n`,
  );
  console.log(
    table(
      [
        'contender',
        'calls/s',
        'p50 ms',
        'p99 ms',
        'server CPU us/call',
        'client CPU us/call',
        'nats-server CPU us/call',
        'total CPU us/call',
        'bytes/call client / server',
        'calls/s x moleculer',
        'CPU x floor',
        'errors',
      ],
      rows,
    ),
  );

  const goalRatio = median(ratios.get(GOAL.contender)?.calls ?? []);
  const verdict = !Number.isFinite(goalRatio)
    ? 'n/a (not measured)'
    : goalRatio >= GOAL.minRatio
      ? 'MET'
      : 'NOT MET';
  console.log(
    `\nGoal for ${GOAL.contender}: calls/s >= ${GOAL.minRatio}x ${GOAL.baseline}: ${ratio(goalRatio)} -> ${verdict}`,
  );
}

const ratio = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-');

if (import.meta.main) await run();
