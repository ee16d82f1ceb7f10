// What the events benchmark prints after its rounds: one table (a row per contender, medians over
// the rounds, rate ratios against the peer measured in the same round), the contenders skipped and
// why, and the two goals as MET / NOT MET.
import { goal, printTable } from '../lib/load-bench.ts';
import type { LoopStats } from '../lib/closed-loop.ts';
import {
  errorsColumn,
  loadAverage,
  medianColumn,
  medianOf,
  medianRatio,
  ratio,
  ratioColumn,
  type Column,
} from '../lib/report.ts';
import type { Series } from '../lib/rounds.ts';
import { fmt } from '../lib/stats.ts';
import { GOAL, type Config } from './contenders.ts';
import type { EventsResultMessage } from './messages.ts';

/** One phase's figures. */
export interface PhaseFigures {
  /** Events per second. */
  rate: number;
  /** CPU us per event of the client process, of the server(s), and both. */
  clientUs: number;
  serverUs: number;
  cpuUs: number;
  p50Ms: number;
  p99Ms: number;
}

/** One contender's round: both phases, and its errors for the progress line. */
export interface Sample extends LoopStats {
  publish: PhaseFigures;
  consume: PhaseFigures;
}

const figures = (m: EventsResultMessage): PhaseFigures => {
  const n = Math.max(m.calls, 1);
  return {
    rate: m.calls / m.seconds,
    clientUs: m.clientCpuUs / n,
    serverUs: m.serverCpuUs / n,
    cpuUs: (m.clientCpuUs + m.serverCpuUs) / n,
    p50Ms: m.p50Ms,
    p99Ms: m.p99Ms,
  };
};

/** A round's sample from its two phases' results. */
export const sampleOf = (
  published: EventsResultMessage,
  consumed: EventsResultMessage,
): Sample => ({
  calls: published.calls + consumed.calls,
  errors: published.errors + consumed.errors,
  firstError: published.firstError ?? consumed.firstError,
  seconds: published.seconds + consumed.seconds,
  p50Ms: published.p50Ms,
  p99Ms: published.p99Ms,
  publish: figures(published),
  consume: figures(consumed),
});

/** A column of a phase's median CPU us per event: client process / server process. */
const cpuColumn = (head: string, phase: 'publish' | 'consume'): Column<Sample> => ({
  head,
  cell: (x) =>
    `${fmt(
      medianOf(x, (s) => s[phase].clientUs),
      1,
    )} / ${fmt(
      medianOf(x, (s) => s[phase].serverUs),
      1,
    )}`,
});

/** Prints the table, the skipped contenders and the goals. */
export function report(
  cfg: Config,
  series: Map<string, Series<Sample>>,
  skipped: Map<string, string>,
): void {
  printTable(
    cfg.rounds,
    'CPU per event is client process / server process (the control plane, redis-server or ' +
      'nats-server); x peer is the rate over the Moleculer channels row of the same round. ' +
      `Load average ${loadAverage()}.`,
    cfg.contenders,
    series,
    [
      medianColumn('publish/s', (s) => s.publish.rate),
      medianColumn('publish p50 ms', (s) => s.publish.p50Ms, 2),
      cpuColumn('publish CPU us/event', 'publish'),
      medianColumn('consume/s', (s) => s.consume.rate),
      cpuColumn('consume CPU us/event', 'consume'),
      medianColumn('total CPU us/event', (s) => s.publish.cpuUs + s.consume.cpuUs, 1),
      ratioColumn('publish x peer', 'publish'),
      ratioColumn('consume x peer', 'consume'),
      errorsColumn(),
    ],
  );
  for (const [key, why] of skipped) console.log(`skipped ${key}: ${why.split('\n')[0]}`);

  const micro = series.get(GOAL.contender);
  const slowest = Math.min(
    medianOf(micro, (s) => s.publish.rate),
    medianOf(micro, (s) => s.consume.rate),
  );
  console.log(
    `\nGoal: ` +
      goal(
        `the SQLite default (control plane over RPC) publishes and consumes >= ${fmt(GOAL.minRate)} durable events/s`,
        `publish ${fmt(medianOf(micro, (s) => s.publish.rate))}/s, consume ${fmt(medianOf(micro, (s) => s.consume.rate))}/s`,
        slowest,
        (v) => v >= GOAL.minRate,
      ),
  );
  const redis = series.get(GOAL.redis);
  const [pub, con] = [medianRatio(redis, 'publish'), medianRatio(redis, 'consume')];
  console.log(
    `Goal: ` +
      goal(
        `micro on Redis streams >= ${GOAL.minPeerRatio}x Moleculer channels on the same Redis, publishing and consuming (median of per-round rate ratios)`,
        `publish ${ratio(pub)}, consume ${ratio(con)}`,
        Math.min(pub, con),
        (v) => v >= GOAL.minPeerRatio,
      ),
  );
}
