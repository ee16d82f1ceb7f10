// What `micro health` shows from the control plane's `monitor` service: every node's status as it
// saw it, and its last changes (--history). Absent (no control plane, or one without a monitor),
// the command probes nodes itself.
import type { Client } from '../runtime/client/client.ts';
import type { NodeStatus, StatusChange } from '../platform/monitor/monitor.ts';
import { notFound, toMicroError } from '../runtime/errors.ts';
import { checksText } from '../platform/monitor/probe.ts';
import { table } from './shared/output.ts';

export { checksText };

/** `5s ago`, `3m ago`, `2h ago`, `4d ago`. */
export function ago(time: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - time) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** The monitor's statuses (of one service), or undefined when no monitor answers. */
export async function monitorOf(
  client: Client,
  service: string | undefined,
  timeout: number,
): Promise<NodeStatus[] | undefined> {
  try {
    const r = await client.call<{ nodes: NodeStatus[] }>(
      'monitor',
      'Monitor.Status',
      service ? { service } : {},
      { timeout, retries: 0 },
    );
    return r.nodes;
  } catch (err) {
    // No monitor service (404 from the client's lookup): the command probes nodes itself.
    if ((err as { code?: number; id?: string }).code === 404) return undefined;
    throw err;
  }
}

const statusText = (n: NodeStatus): string => (n.degraded ? `${n.status} (degraded)` : n.status);

/** The monitor's statuses as a table. */
export function statusTable(nodes: NodeStatus[]): string {
  const healthy = nodes.filter((n) => n.status === 'healthy').length;
  const rows = nodes.map((n) => [
    n.service,
    n.version,
    n.node,
    n.address,
    statusText(n),
    ago(n.since),
    n.status === 'unhealthy' && n.checks.every((c) => c.status === 'ok')
      ? (n.detail ?? '-')
      : checksText(n.checks),
  ]);
  return `${table(['SERVICE', 'VERSION', 'NODE', 'ADDRESS', 'STATUS', 'SINCE', 'CHECKS'], rows)}\n${healthy} of ${nodes.length} node${nodes.length === 1 ? '' : 's'} healthy (as the control plane's monitor saw them)`;
}

/** The monitor's changes as a table, newest first. */
export function historyTable(changes: StatusChange[]): string {
  if (changes.length === 0) return 'no status changes';
  return table(
    ['TIME', 'SERVICE', 'VERSION', 'NODE', 'CHANGE', 'DETAIL'],
    changes.map((c) => [
      new Date(c.time).toISOString(),
      c.service,
      c.version,
      c.node,
      `${c.from} -> ${c.to}`,
      c.detail ?? '',
    ]),
  );
}

/** What the monitor shows for the arguments; undefined when there is no monitor (and no --history). */
export async function monitorView(
  client: Client,
  args: { service?: string; history: boolean; limit: number },
  timeout: number,
): Promise<{ data: unknown; text: (d: never) => string; failed: boolean } | undefined> {
  if (args.history) {
    const limit = Math.min(Math.max(1, Math.floor(args.limit) || 20), 1000);
    const r = await client
      .call<{ changes: StatusChange[] }>(
        'monitor',
        'Monitor.History',
        { ...(args.service && { service: args.service }), limit },
        { timeout, retries: 0 },
      )
      .catch((err: unknown) => {
        const e = toMicroError(err, 'micro.cli');
        if (e.code !== 404) throw e;
        throw notFound(
          'micro.cli',
          `${e.detail}; the history is kept by the control plane's monitor: start one with "micro run" or "micro server"`,
        );
      });
    return { data: r.changes, text: historyTable, failed: false };
  }
  const nodes = await monitorOf(client, args.service, timeout);
  if (!nodes) return undefined;
  return {
    data: nodes,
    text: statusTable,
    failed: nodes.some((n) => n.status === 'unhealthy'),
  };
}
