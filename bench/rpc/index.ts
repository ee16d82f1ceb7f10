// RPC benchmark: micro (framed TCP with JSON and msgpack, HTTP), Moleculer's TCP transporter and a bare
// framed-TCP floor, each server and each client in its own process, run in interleaved rounds.
//
// Environment: BENCH_ROUNDS (3), BENCH_WARMUP_SECONDS (2), BENCH_SECONDS (8, measured per round),
// BENCH_INFLIGHT (100), BENCH_MAX_CALLS (5,000,000 per window), BENCH_ONLY (contender keys, comma
// separated), BENCH_NODE_ARGS (extra node flags for every child, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`).
// The default run takes about 2.7 minutes: 5 contenders x 3 rounds x 10 s, plus start-up.
import { readFileSync } from 'node:fs';
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
} from './messages.ts';

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
    label: `moleculer ${moleculerVersion()} tcp`,
    target: 'moleculer',
    variant: '',
  },
  { key: 'floor', label: 'floor: bare 4-byte length + json', target: 'floor', variant: '' },
];

/** What the goals are checked against, and the limits they set. */
const GOAL = { contender: 'micro-json', baseline: 'moleculer', minRatio: 2, maxCpuUsPerCall: 15 };

/** Settings from the environment (see the top of this file). */
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
  for (const k of only ?? []) {
    if (!contenders.some((c) => c.key === k))
      throw new Error(
        `BENCH_ONLY: unknown contender ${k}; use ${contenders.map((c) => c.key).join(', ')}`,
      );
  }
  return {
    rounds: Math.round(num('BENCH_ROUNDS', 3, 1)),
    warmupMs: num('BENCH_WARMUP_SECONDS', 2, 0) * 1000,
    measureMs: num('BENCH_SECONDS', 8, 0.5) * 1000,
    inflight: Math.round(num('BENCH_INFLIGHT', 100, 1)),
    maxCalls: Math.round(num('BENCH_MAX_CALLS', 5_000_000, 1)),
    contenders: only ? contenders.filter((c) => only.includes(c.key)) : contenders,
  };
}

function moleculerVersion(): string {
  try {
    const pkg = new URL('package.json', import.meta.resolve('moleculer'));
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** One contender's processes once both are up. */
interface Running {
  contender: Contender;
  server: Child;
  client: Child;
}

/** One contender's measured window in one round, with derived figures. */
interface Sample extends ResultMessage {
  callsPerSec: number;
  serverUsPerCall: number;
  clientUsPerCall: number;
}

const script = (name: string): string => new URL(name, import.meta.url).pathname;
const isReadyOrFailed = (m: unknown): m is ReadyMessage | FailedMessage =>
  isReady(m) || isFailed(m);
const isResultOrFailed = (m: unknown): m is ResultMessage | FailedMessage =>
  isResult(m) || isFailed(m);

/** The address in a server child's `{"address": ...}` line. */
const addressIn = (line: string): string | undefined => {
  if (!line.startsWith('{"address":')) return undefined;
  const { address } = JSON.parse(line) as { address?: unknown };
  return typeof address === 'string' ? address : undefined;
};

async function start(children: Children, c: Contender): Promise<Running> {
  const server = children.spawn(`${c.key} server`, script('server.ts'), [c.target]);
  const address = await server.line(addressIn, 30_000);
  const client = children.spawn(`${c.key} client`, script('client.ts'), [
    c.target,
    c.variant,
    address,
    String(server.pid),
  ]);
  // Moleculer's TCP transporter finds peers by gossip, which takes a few seconds.
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
  };
}

/** Runs the RPC benchmark and prints its table and the goal verdicts. */
export async function run(): Promise<void> {
  const cfg = config();
  const children = new Children();
  const offInterrupt = onInterrupt(() => children.stopAll());
  const samples = new Map<string, Sample[]>(cfg.contenders.map((c) => [c.key, []]));
  const ratios = new Map<string, { baseline: number[]; floor: number[] }>(
    cfg.contenders.map((c) => [c.key, { baseline: [], floor: [] }]),
  );
  console.log(
    `rpc: ${cfg.contenders.length} contenders, ${cfg.rounds} rounds, warm-up ${cfg.warmupMs / 1000} s, measure ${cfg.measureMs / 1000} s, ` +
      `${cfg.inflight} calls in flight; Node ${process.version}, ${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  try {
    // Wait for every start to settle, so that no child is spawned after stopAll on a failure.
    const started = await Promise.allSettled(cfg.contenders.map((c) => start(children, c)));
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
          `  round ${round + 1}/${cfg.rounds} ${r.contender.key.padEnd(14)} ${fmt(s.callsPerSec).padStart(9)} calls/s  ` +
            `p50 ${fmt(s.p50Ms, 2)} p99 ${fmt(s.p99Ms, 2)} ms  cpu us/call server ${fmt(s.serverUsPerCall, 1)} client ${fmt(s.clientUsPerCall, 1)}` +
            (s.errors > 0 ? `  ${s.errors} errors, first: ${s.firstError ?? '?'}` : ''),
        );
      }
      for (const [key, s] of inRound) {
        const base = inRound.get(GOAL.baseline);
        const floor = inRound.get('floor');
        if (base) ratios.get(key)?.baseline.push(s.callsPerSec / base.callsPerSec);
        if (floor) ratios.get(key)?.floor.push(s.callsPerSec / floor.callsPerSec);
      }
    }
  } finally {
    offInterrupt();
    await children.stopAll();
  }
  report(cfg.contenders, samples, ratios, cfg.rounds);
}

function report(
  list: Contender[],
  samples: Map<string, Sample[]>,
  ratios: Map<string, { baseline: number[]; floor: number[] }>,
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
    ratio(median(ratios.get(c.key)?.baseline ?? [])),
    ratio(median(ratios.get(c.key)?.floor ?? [])),
    fmt((samples.get(c.key) ?? []).reduce((n, s) => n + s.errors, 0)),
  ]);
  console.log(
    `\nMedian of ${rounds} interleaved rounds; ratios are calls/s against the contender measured in the same round.\n`,
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
        'x moleculer',
        'x floor',
        'errors',
      ],
      rows,
    ),
  );

  const goalRatio = median(ratios.get(GOAL.contender)?.baseline ?? []);
  const server = med(GOAL.contender, (s) => s.serverUsPerCall);
  const client = med(GOAL.contender, (s) => s.clientUsPerCall);
  const check = (value: number, ok: (v: number) => boolean): string =>
    !Number.isFinite(value) ? 'n/a (not measured)' : ok(value) ? 'MET' : 'NOT MET';
  console.log(`\nGoals for ${GOAL.contender}:`);
  console.log(
    `  calls/s >= ${GOAL.minRatio}x ${GOAL.baseline}: ${ratio(goalRatio)} -> ${check(goalRatio, (v) => v >= GOAL.minRatio)}`,
  );
  console.log(
    `  server CPU <= ${GOAL.maxCpuUsPerCall} us/call: ${fmt(server, 1)} -> ${check(server, (v) => v <= GOAL.maxCpuUsPerCall)}`,
  );
  console.log(
    `  client CPU <= ${GOAL.maxCpuUsPerCall} us/call: ${fmt(client, 1)} -> ${check(client, (v) => v <= GOAL.maxCpuUsPerCall)}`,
  );
}

const ratio = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-');
