// A load benchmark (rpc, api, nats): contenders that are each a server child and a client child,
// measured in interleaved rounds of a closed-loop load, then one table of medians and the goals.
import type { ParseArgsOptionsConfig } from 'node:util';
import type { LoopStats } from './closed-loop.ts';
import { withChildren, type Children } from './processes.ts';
import {
  clientReady,
  isResult,
  runOnce,
  serverAddress,
  type PerCall,
  type ResultMessage,
  type RunMessage,
} from './protocol.ts';
import { machine, seriesTable, verdict, type Column } from './report.ts';
import { runRounds, type Entrant, type RoundsOptions, type Series } from './rounds.ts';
import { pickContenders, type Settings } from './settings.ts';
import { fmt } from './stats.ts';

/** How many rounds, and each contender's warm-up and measured window in one. */
export interface RoundSettings {
  rounds: number;
  warmupMs: number;
  measureMs: number;
}

/** The flags every load benchmark takes (see roundSettings), for readSettings. */
export const loadOptions: ParseArgsOptionsConfig = {
  quick: { type: 'boolean' },
  rounds: { type: 'string' },
  warmup: { type: 'string' },
  seconds: { type: 'string' },
  inflight: { type: 'string' },
  'max-calls': { type: 'string' },
  only: { type: 'string' },
};

/**
 * --rounds / BENCH_ROUNDS (3), --warmup / BENCH_WARMUP_SECONDS (2), --seconds / BENCH_SECONDS (8);
 * --quick / BENCH_QUICK=1 (a smoke run) makes the defaults 1 round, 1 s and 3 s; --only /
 * BENCH_ONLY (keys, comma separated) picks from contenders.
 */
export function roundSettings<C extends { key: string }>(
  s: Settings,
  contenders: C[],
): RoundSettings & { quick: boolean; contenders: C[] } {
  const quick = s.on('quick', 'BENCH_QUICK');
  return {
    rounds: Math.round(s.number('rounds', 'BENCH_ROUNDS', quick ? 1 : 3, 1)),
    warmupMs: s.number('warmup', 'BENCH_WARMUP_SECONDS', quick ? 1 : 2, 0) * 1000,
    measureMs: s.number('seconds', 'BENCH_SECONDS', quick ? 3 : 8, 0.5) * 1000,
    quick,
    contenders: pickContenders(contenders, s.text('only', 'BENCH_ONLY'), '--only'),
  };
}

/** --inflight / BENCH_INFLIGHT (100 calls in flight), --max-calls / BENCH_MAX_CALLS (5,000,000 per window). */
export const callSettings = (s: Settings): { inflight: number; maxCalls: number } => ({
  inflight: Math.round(s.number('inflight', 'BENCH_INFLIGHT', 100, 1)),
  maxCalls: Math.round(s.number('max-calls', 'BENCH_MAX_CALLS', 5_000_000, 1)),
});

/** The run message for rounds of inflight calls in flight, a window ending early after maxCalls. */
export const runMessage = (r: RoundSettings, inflight: number, maxCalls: number): RunMessage => ({
  type: 'run',
  inflight,
  warmupMs: r.warmupMs,
  measureMs: r.measureMs,
  maxCalls,
});

/** A load benchmark's first line: its name, contenders, rounds, window, load (`...calls in flight`) and the machine. */
export const loadHeader = (name: string, contenders: number, r: RoundSettings, load: string) =>
  `${name}: ${contenders} contenders, ${r.rounds} rounds, warm-up ${r.warmupMs / 1000} s, measure ${r.measureMs / 1000} s, ` +
  `${load}; ${machine()}`;

/** Spawns `node script ...args` as the server named name; resolves with it and its address. */
export async function startServer(
  children: Children,
  name: string,
  script: string,
  args: string[],
  ms = 30_000,
): Promise<{ pid: number; address: string }> {
  const server = children.spawn(name, script, args);
  return { pid: server.pid, address: await serverAddress(server, ms) };
}

/**
 * Spawns `node script ...args` as key's client and resolves, once it says ready, with an entrant
 * whose measure is one run message: the result that accept takes, through sample.
 */
export async function clientEntrant<R extends ResultMessage, S>(
  children: Children,
  key: string,
  client: { script: string; args: string[] },
  run: RunMessage,
  sample: (m: R) => S,
  accept: (m: unknown) => m is R = isResult as (m: unknown) => m is R,
): Promise<Entrant<S>> {
  const child = children.spawn(`${key} client`, client.script, client.args);
  // Peers that find each other by gossip (Moleculer's TCP transporter) take a few seconds.
  await clientReady(child, 60_000, `${key} client`);
  return { key, measure: async () => sample(await runOnce(child, run, key, accept)) };
}

/** Prints the table of medians over rounds, under a line saying what its ratios are (note). */
export function printTable<S>(
  rounds: number,
  note: string,
  contenders: { key: string; label: string }[],
  series: Map<string, Series<S>>,
  columns: Column<S>[],
): void {
  console.log(`\nMedian of ${rounds} interleaved rounds; ${note}\n`);
  console.log(seriesTable<S>(contenders, series, columns));
}

/** One goal's line: what it asks, what was measured (shown), and the verdict on value. */
export const goal = (
  asks: string,
  shown: string,
  value: number,
  ok: (v: number) => boolean,
): string => `${asks}: ${shown} -> ${verdict(value, ok)}`;

/**
 * Starts the contenders' children (start resolves with their entrants), measures them in rounds
 * and stops every child; resolves with the series by key.
 */
export const measureRounds = <S extends LoopStats>(
  start: (children: Children) => Promise<Entrant<S>[]>,
  o: RoundsOptions<S>,
): Promise<Map<string, Series<S>>> =>
  withChildren(async (children) => runRounds(await start(children), o));

/** A progress line's figures: rate (`calls/s`), latency, and CPU in us per unit of servers and client. */
export const perCallLine = (
  s: LoopStats & PerCall,
  rate: string,
  width: number,
  unit: string,
  servers: string,
): string =>
  `${fmt(s.callsPerSec).padStart(width)} ${rate}  p50 ${fmt(s.p50Ms, 2)} p99 ${fmt(s.p99Ms, 2)} ms  ` +
  `cpu us/${unit} ${servers} ${fmt(s.serverUsPerCall, 1)} client ${fmt(s.clientUsPerCall, 1)}`;
