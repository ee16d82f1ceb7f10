// The events benchmark's contenders: which client, against which server, and the settings.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../lib/binary.ts';
import { roundSettings } from '../lib/load-bench.ts';
import { readSettings } from '../lib/settings.ts';

/** The version of the package installed at the root (its package.json there); `?` when unread. */
function packageVersion(name: string): string {
  try {
    const file = join(ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** Which server a contender talks to. */
export type ServerKind = 'cp' | 'redis' | 'nats';

/** One contender: a client (target of targets/index.ts) against a server. */
export interface Contender {
  key: string;
  label: string;
  target: string;
  server: ServerKind;
}

export const contenders: Contender[] = [
  {
    key: 'micro',
    label: 'micro default: events client -> control plane events service (SQLite)',
    target: 'micro-cp',
    server: 'cp',
  },
  {
    key: 'micro-redis',
    label: 'micro redis engine -> redis-server (streams)',
    target: 'micro-redis',
    server: 'redis',
  },
  {
    key: 'micro-jetstream',
    label: 'micro jetstream engine -> nats-server -js',
    target: 'micro-jetstream',
    server: 'nats',
  },
  {
    key: 'moleculer',
    label: `peer: Moleculer ${packageVersion('moleculer')} + @moleculer/channels ${packageVersion('@moleculer/channels')} (Redis streams)`,
    target: 'moleculer',
    server: 'redis',
  },
  {
    key: 'redis',
    label: `raw: ioredis ${packageVersion('ioredis')} XADD / XREADGROUP+XACK -> redis-server`,
    target: 'redis',
    server: 'redis',
  },
];

/** The goals: the SQLite default publishes and consumes >= 20,000 events/s; micro on Redis >= 1.5x the peer. */
export const GOAL = {
  contender: 'micro',
  minRate: 20_000,
  redis: 'micro-redis',
  peer: 'moleculer',
  minPeerRatio: 1.5,
} as const;

/**
 * Settings from flags (after `npm run bench -- events`, --name=value) or the environment: --rounds
 * / BENCH_ROUNDS (3), --only / BENCH_ONLY (keys), --quick / BENCH_QUICK=1 (1 round, fewer events),
 * --events / BENCH_EVENTS (events per round and contender: 50,000; 20,000 with --quick),
 * --inflight / BENCH_INFLIGHT (publishes in flight, 200), --max-in-flight / BENCH_MAX_IN_FLIGHT
 * (unacknowledged events a consumer holds, 1,000), --bound / BENCH_BOUND_SECONDS (each phase's time
 * bound, 120 s).
 */
export function config(argv: string[]) {
  const s = readSettings(argv, {
    quick: { type: 'boolean' },
    rounds: { type: 'string' },
    only: { type: 'string' },
    events: { type: 'string' },
    inflight: { type: 'string' },
    'max-in-flight': { type: 'string' },
    bound: { type: 'string' },
  });
  const rounds = roundSettings(s, contenders);
  return {
    rounds: rounds.rounds,
    quick: rounds.quick,
    contenders: rounds.contenders,
    events: Math.round(s.number('events', 'BENCH_EVENTS', rounds.quick ? 20_000 : 50_000, 1)),
    inflight: Math.round(s.number('inflight', 'BENCH_INFLIGHT', 200, 1)),
    maxInFlight: Math.round(s.number('max-in-flight', 'BENCH_MAX_IN_FLIGHT', 1000, 1)),
    boundMs: s.number('bound', 'BENCH_BOUND_SECONDS', 120, 1) * 1000,
  };
}

/** The events benchmark's settings. */
export type Config = ReturnType<typeof config>;
