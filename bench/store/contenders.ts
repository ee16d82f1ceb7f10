// The store benchmark's contenders: which client, against which server, and the settings.
import { callSettings, loadOptions, roundSettings } from '../lib/load-bench.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../lib/binary.ts';
import { readSettings } from '../lib/settings.ts';
import type { Op } from './messages.ts';
import type { ServerKind } from './servers.ts';

/** The version of the package name installed at the root (its package.json there); `?` when unread. */
function packageVersion(name: string): string {
  try {
    const file = join(ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** One contender: a client (target of targets/index.ts) against a server. */
export interface Contender {
  key: string;
  label: string;
  target: string;
  server: ServerKind;
}

export const contenders: Contender[] = [
  {
    key: 'cp',
    label: 'micro Store client -> control plane store service (SQLite)',
    target: 'micro-cp',
    server: 'cp',
  },
  {
    key: 'redis',
    label: `raw: ioredis ${packageVersion('ioredis')} GET/SET -> redis-server`,
    target: 'redis',
    server: 'redis',
  },
  {
    key: 'micro-redis',
    label: 'micro redis engine -> redis-server',
    target: 'micro-redis',
    server: 'redis',
  },
  {
    key: 'etcd',
    label: `raw: etcd3 ${packageVersion('etcd3')} get/put -> etcd`,
    target: 'etcd',
    server: 'etcd',
  },
  {
    key: 'micro-etcd',
    label: 'micro etcd engine -> etcd',
    target: 'micro-etcd',
    server: 'etcd',
  },
  {
    key: 'dapr',
    label: `Dapr state HTTP (undici ${packageVersion('undici')}) -> micro sidecar -> control plane`,
    target: 'dapr',
    server: 'sidecar',
  },
];

/** The goals: a control-plane get's CPU (client + server) within 2x a raw Redis GET's; watch p99. */
export const GOAL = {
  contender: 'cp',
  baseline: 'redis',
  maxCpuRatio: 2,
  watchP99Ms: 20,
} as const;

/**
 * Settings from flags (after `npm run bench -- store`, --name=value) or the environment: those of
 * every load bench (see load-bench.ts), plus --ops / BENCH_OPS (get,put: the ops measured), --watchers / BENCH_WATCHERS (100 config watches; 0
 * skips the watch phase) and --sets / BENCH_SETS (config sets timed, 100; 20 with --quick).
 */
export function config(argv: string[]) {
  const s = readSettings(argv, {
    ...loadOptions,
    ops: { type: 'string' },
    watchers: { type: 'string' },
    sets: { type: 'string' },
  });
  const rounds = roundSettings(s, contenders);
  const ops = (s.text('ops', 'BENCH_OPS') ?? 'get,put').split(',').map((o) => o.trim());
  for (const op of ops)
    if (op !== 'get' && op !== 'put') throw new Error(`--ops: unknown op ${op}; use get, put`);
  return {
    ...rounds,
    ...callSettings(s),
    ops: ops as Op[],
    watchers: Math.round(s.number('watchers', 'BENCH_WATCHERS', 100, 0)),
    sets: Math.round(s.number('sets', 'BENCH_SETS', rounds.quick ? 20 : 100, 1)),
  };
}

/** The store benchmark's settings. */
export type Config = ReturnType<typeof config>;
