import { table } from './shared/output.ts';
import { defineProbeCommand, type Probe } from './shared/probe.ts';

/** One node's health as printed. */
export interface Health {
  node: string;
  address: string;
  version: string;
  status: string;
  ms: number;
  error?: { id: string; code: number; detail: string; status: string };
}

/** One node's Debug.Health probe as a row. */
export const healthOf = (p: Probe<{ status?: string }>): Health => ({
  node: p.node.id,
  address: p.node.address,
  version: p.version,
  // An app behind a sidecar has no Debug.Health; the sidecar registers it only while it is healthy.
  status: p.error ? 'failed' : p.unsupported ? 'ok' : String(p.body?.status ?? 'unknown'),
  ms: p.ms,
  ...(p.error ? { error: p.error } : {}),
});

/** Health rows as a table, with a line saying how many nodes are healthy. */
export const healthText = (rows: Health[]): string => {
  const healthy = rows.filter((r) => r.status === 'ok').length;
  const failed = rows.some((r) => r.error);
  const header = ['NODE', 'ADDRESS', 'VERSION', 'STATUS', 'LATENCY', ...(failed ? ['ERROR'] : [])];
  const cells = rows.map((r) => [
    r.node,
    r.address,
    r.version,
    r.status,
    `${r.ms} ms`,
    ...(failed ? [r.error ? `${r.error.code} ${r.error.detail}` : '-'] : []),
  ]);
  return `${table(header, cells)}\n${healthy} of ${rows.length} node${rows.length === 1 ? '' : 's'} healthy`;
};

/** `micro health SERVICE`: Debug.Health on every node; exit 1 unless all answer ok. */
export const healthCommand = defineProbeCommand({
  command: 'health <service>',
  describe: 'Check Debug.Health on every node of a service',
  endpoint: 'Debug.Health',
  row: healthOf,
  text: healthText,
  failed: (rows) => rows.length === 0 || rows.some((r) => r.status !== 'ok'),
});
