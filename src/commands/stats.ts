// `micro stats [SERVICE]`: each node's Debug.Stats (uptime, requests, memory...) when a service is
// named, and every endpoint's figures from the control plane's `metrics` service: requests and
// errors per second, p50/p99 latency, requests in flight and a sparkline of the rate; then the
// circuits its callers' breakers have open or half-open (--all: closed ones too).
import type { MetricsReport } from '../platform/metrics/metrics.ts';
import type { ErrorShape } from '../runtime/errors.ts';
import { defineCommand } from './shared/command.ts';
import { withConnection, type Connection } from './shared/connect.ts';
import { formatDuration, parseDuration } from './shared/input.ts';
import { circuitTable } from './shared/circuits-table.ts';
import { endpointTable } from './shared/metrics-table.ts';
import { json, table } from './shared/output.ts';
import { probeService, probeTimeout, timeoutFlag, type Probe } from './shared/probe.ts';

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
  error?: ErrorShape;
}

/** What `micro stats` prints: the nodes (a service named), and the metrics or why there are none. */
interface StatsOutput {
  service?: string;
  nodes?: Row[];
  metrics?: MetricsReport;
  metricsError?: ErrorShape;
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

const nodeTable = (rows: Row[]): string =>
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

const rowOf = (p: Probe<Stats>): Row => ({
  node: p.node.id,
  address: p.node.address,
  version: p.version,
  ...(p.body ? { stats: p.body } : {}),
  ...(p.error ? { error: p.error } : {}),
});

/** The output as text: the nodes' table, then the endpoints', then the circuits'. */
function text(out: StatsOutput, all: boolean): string {
  const parts: string[] = [];
  if (out.nodes) parts.push(nodeTable(out.nodes));
  if (out.metrics) {
    parts.push(
      out.metrics.endpoints.length === 0
        ? `no endpoint has figures yet${out.service ? ` for ${out.service}` : ''} (the metrics service calls Debug.Metrics of each node every ${formatDuration(out.metrics.step)})`
        : endpointTable(out.metrics.endpoints, formatDuration(out.metrics.window), out.service),
    );
    const circuits = circuitTable(out.metrics.circuits ?? [], all);
    if (circuits) parts.push(circuits);
    else if (all) parts.push('no circuit yet: no caller has called a node through its breaker');
  } else if (out.metricsError)
    parts.push(`no metrics: ${out.metricsError.code} ${out.metricsError.detail}`);
  return parts.join('\n\n');
}

/** Reads the nodes (a service named) and the metrics once. */
async function collect(
  c: Connection,
  service: string | undefined,
  window: number | undefined,
  timeout: number,
): Promise<StatsOutput> {
  const [{ createMicroMetrics }, { toMicroError }] = await Promise.all([
    import('../platform/metrics/client.ts'),
    import('../runtime/errors.ts'),
  ]);
  const metrics = createMicroMetrics({ client: c.client, timeout: Math.max(timeout, 5000) });
  const [nodes, report] = await Promise.all([
    service ? probeService<Stats>(c, service, 'Debug.Stats', timeout) : undefined,
    metrics.query({ ...(service && { service }), ...(window && { window }) }).then(
      (m) => ({ metrics: m }),
      (err: unknown) => {
        const e = toMicroError(err, 'micro.cli');
        // A window the service does not keep is the user's to fix, not a missing service.
        if (e.code === 400) throw e;
        return { metricsError: e.toJSON() };
      },
    ),
  ]);
  return { ...(service && { service }), ...(nodes && { nodes: nodes.map(rowOf) }), ...report };
}

/** `micro stats [SERVICE]`: Debug.Stats of every node and each endpoint's figures. */
export const statsCommand = defineCommand({
  command: 'stats [service]',
  describe: 'Show request rates, errors and latency per endpoint',
  builder: (y) =>
    y
      .positional('service', { type: 'string', describe: 'one service (every one when left out)' })
      .option('window', {
        alias: 'w',
        type: 'string',
        describe:
          'how far back the figures go (1m, 5m, 15m; default all the metrics service keeps)',
      })
      .option('all', {
        type: 'boolean',
        default: false,
        describe: 'show closed circuits too (open and half-open ones always are)',
      })
      .option('watch', {
        type: 'boolean',
        default: false,
        describe: 'print again every few seconds until interrupted',
      })
      .option('timeout', timeoutFlag())
      .example('$0 stats', 'every endpoint of every service')
      .example('$0 stats greeter --window 5m', "a service's nodes and endpoints over 5 minutes"),
  handler: async (args) => {
    const timeout = probeTimeout(args.timeout);
    const window = parseDuration(args.window, 'window');
    if (window !== undefined && window < 1000)
      throw (await import('../runtime/errors.ts')).badRequest(
        'micro.cli',
        `--window "${args.window}" is too short: at least 1s`,
      );
    await withConnection(args, async (c) => {
      for (;;) {
        const out = await collect(c, args.service, window, timeout);
        const failed =
          out.nodes?.some((r) => r.error) === true ||
          (out.nodes?.length === 0 && out.metrics === undefined) ||
          (out.service === undefined && out.metrics === undefined);
        const rendered =
          args.output === 'json'
            ? json(out, !args.watch)
            : (await import('../registry/printable.ts')).printable(text(out, args.all));
        if (!args.watch) {
          process.stdout.write(`${rendered}\n`);
          if (failed) process.exitCode = 1;
          return;
        }
        process.stdout.write(`${args.output === 'json' ? '' : '\x1b[H\x1b[2J'}${rendered}\n`);
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(1000, out.metrics?.step ?? 2000)),
        );
      }
    });
  },
});
