// `micro health [SERVICE] [--history]`: each node's health. With a service, its nodes are probed
// directly (Debug.Health, live, as with no control plane), and when the control plane's monitor
// answers, what it saw is added (status and since when). Without one, the monitor's view of every
// node (or, with no monitor, every node probed directly); --history, the monitor's last changes.
import type { CheckResult } from '../platform/monitor/monitor.ts';
import { defineCommand } from './shared/command.ts';
import { withConnection } from './shared/connect.ts';
import { print, table } from './shared/output.ts';
import { probeNodes, probeTimeout, timeoutFlag } from './shared/probe.ts';
import { ago, monitorOf, monitorView } from './health-monitor.ts';
import { answering, checksText, healthOf, type Health } from '../platform/monitor/probe.ts';

export { answering, healthOf, type Health };

/** Health rows as a table, with a line saying how many nodes are healthy. */
export const healthText = (rows: Health[]): string => {
  const healthy = rows.filter((r) => answering(r.status)).length;
  const failed = rows.some((r) => r.error);
  const checks = rows.some((r) => r.checks);
  const watched = rows.some((r) => r.monitor);
  const several = rows.some((r) => r.service !== undefined);
  const header = [
    ...(several ? ['SERVICE'] : []),
    'NODE',
    'ADDRESS',
    'VERSION',
    'STATUS',
    'LATENCY',
    ...(checks ? ['CHECKS'] : []),
    ...(failed ? ['ERROR'] : []),
    // Last, so that the columns before keep their places whether a monitor answers or not.
    ...(watched ? ['MONITOR'] : []),
  ];
  const cells = rows.map((r) => [
    ...(several ? [r.service ?? ''] : []),
    r.node,
    r.address,
    r.version,
    r.status,
    `${r.ms} ms`,
    ...(checks ? [checksText(r.checks ?? [])] : []),
    ...(failed ? [r.error ? `${r.error.code} ${r.error.detail}` : '-'] : []),
    ...(watched ? [r.monitor ? `${r.monitor.status} ${ago(r.monitor.since)}` : '-'] : []),
  ]);
  return `${table(header, cells)}\n${healthy} of ${rows.length} node${rows.length === 1 ? '' : 's'} healthy`;
};

/** `micro health [SERVICE] [--history]`. */
export const healthCommand = defineCommand({
  command: 'health [service]',
  describe: "Check nodes' health, or the monitor's history",
  builder: (y) =>
    y
      .positional('service', { type: 'string', describe: 'one service (default: every one)' })
      .option('history', {
        type: 'boolean',
        default: false,
        describe: "the control plane monitor's last status changes",
      })
      .option('limit', {
        alias: 'n',
        type: 'number',
        default: 20,
        describe: 'changes shown with --history (at most 1000)',
      })
      .option('timeout', timeoutFlag())
      .example('micro health greeter', 'probe each node of greeter now')
      .example('micro health', "every node as the control plane's monitor sees it")
      .example('micro health greeter --history', "greeter's last status changes"),
  handler: async (args) => {
    const timeout = probeTimeout(args.timeout);
    await withConnection(args, async (c) => {
      if (args.history || args.service === undefined) {
        const shown = await monitorView(c.client, args, timeout);
        if (shown) {
          print(args.output, shown.data, shown.text);
          if (shown.failed) process.exitCode = 1;
          return;
        }
      }
      // Probed directly: one service's nodes, or (no monitor) every service's.
      const versions = args.service
        ? await c.registry.getService(args.service)
        : (await c.registry.listServices()).filter((s) => !s.name.startsWith('topic:'));
      const rows: Health[] = [];
      for (const name of new Set(versions.map((v) => v.name))) {
        const probes = await probeNodes<{ status?: string; checks?: CheckResult[] }>(
          c.client,
          versions.filter((v) => v.name === name),
          'Debug.Health',
          timeout,
        );
        rows.push(...probes.map((p) => healthOf(p, args.service ? undefined : name)));
      }
      const seen = args.service ? await monitorOf(c.client, args.service, timeout) : undefined;
      for (const r of rows) {
        const m = seen?.find((n) => n.node === r.node && n.version === r.version);
        // A node the monitor has not made up its mind about (`unknown`) adds nothing.
        if (m && m.status !== 'unknown')
          r.monitor = { status: m.status, since: m.since, ...(m.detail && { detail: m.detail }) };
      }
      print(args.output, rows, healthText);
      if (rows.length === 0 || rows.some((r) => !answering(r.status))) process.exitCode = 1;
    });
  },
});
