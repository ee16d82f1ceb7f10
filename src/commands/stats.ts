import { table } from './shared/output.ts';
import { defineProbeCommand, type Probe } from './shared/probe.ts';

/** What Debug.Stats answers (src/runtime/server/debug.ts). */
interface Stats {
  uptime?: number;
  requests?: number;
  errors?: number;
  cancelled?: number;
  inflight?: number;
  memory?: number;
  heapUsed?: number;
  eventLoopDelayP99Ms?: number;
}

/** One node's stats as printed. */
interface Row {
  node: string;
  address: string;
  version: string;
  stats?: Stats;
  error?: { id: string; code: number; detail: string; status: string };
}

const duration = (s: number | undefined): string => {
  if (s === undefined) return '-';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
};

const bytes = (n: number | undefined): string =>
  n === undefined ? '-' : `${(n / 1024 / 1024).toFixed(1)} MB`;

const num = (n: number | undefined): string => (n === undefined ? '-' : String(n));

const text = (rows: Row[]): string =>
  table(
    [
      'NODE',
      'ADDRESS',
      'VERSION',
      'UPTIME',
      'REQUESTS',
      'ERRORS',
      'CANCELLED',
      'INFLIGHT',
      'MEMORY',
      'HEAP',
      'LOOP P99',
    ],
    rows.map((r) => {
      const s = r.stats;
      if (!s)
        return [
          r.node,
          r.address,
          r.version,
          r.error
            ? `failed: ${r.error.code} ${r.error.detail}`
            : 'no Debug.Stats: an app behind a sidecar',
        ];
      return [
        r.node,
        r.address,
        r.version,
        duration(s.uptime),
        num(s.requests),
        num(s.errors),
        num(s.cancelled),
        num(s.inflight),
        bytes(s.memory),
        bytes(s.heapUsed),
        s.eventLoopDelayP99Ms === undefined ? '-' : `${s.eventLoopDelayP99Ms} ms`,
      ];
    }),
  );

/** `micro stats SERVICE`: Debug.Stats on every node, as a table or JSON. */
export const statsCommand = defineProbeCommand({
  command: 'stats <service>',
  describe: 'Show Debug.Stats of every node of a service',
  endpoint: 'Debug.Stats',
  row: (p: Probe<Stats>): Row => ({
    node: p.node.id,
    address: p.node.address,
    version: p.version,
    ...(p.body ? { stats: p.body } : {}),
    ...(p.error ? { error: p.error } : {}),
  }),
  text,
  failed: (rows) => rows.some((r) => r.error),
});
