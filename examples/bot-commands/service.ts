// An ops command for `micro bot`, served by a service: `uptime` says how long this host has been up,
// `uptime <service>` how long each node of a service has been up and how many calls it served.
// The bot finds it because it serves Command.Help and Command.Exec (see README.md next to it).
import { hostname, loadavg, uptime } from 'node:os';
import { createService, endpoint, type Node } from '../../src/runtime/index.ts';

// The registry and address come from MICRO_REGISTRY, MICRO_REGISTRY_ADDRESS and MICRO_SERVER_ADDRESS.
const service = createService({ name: 'uptime', version: '1.0.0' });

/** What the bot shows in `help`; readOnly: anyone may run it, it changes nothing. */
const help = {
  name: 'uptime',
  usage: 'uptime [service]',
  description: 'how long this host, or each node of a service, has been up',
  readOnly: true,
};

/** 93784 s -> `1d 2h 3m`. */
function duration(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : `${m}m ${Math.floor(seconds % 60)}s`;
}

/** Rows as aligned columns under their header. */
function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The uptime and call counts of each node of `name` (20 at most), from its Debug.Stats. */
async function nodesOf(
  name: string,
  signal: AbortSignal,
): Promise<{ result?: string; error?: string }> {
  const versions = await service.registry.getService(name).catch(() => []);
  const nodes = versions.flatMap((s) => s.nodes.map((node): [string, Node] => [s.version, node]));
  if (nodes.length === 0) return { error: `no service "${name}" is registered` };
  const rows = await Promise.all(
    nodes.slice(0, 20).map(async ([version, node]) => {
      try {
        const stats = await service.client.call<{
          uptime: number;
          requests: number;
          errors: number;
        }>(name, 'Debug.Stats', {}, { node, timeout: 2000, retries: 0, signal });
        return [
          node.id,
          version,
          duration(stats.uptime),
          String(stats.requests),
          String(stats.errors),
        ];
      } catch (err) {
        return [
          node.id,
          version,
          `unreachable (${(err as { code?: number }).code ?? '?'})`,
          '',
          '',
        ];
      }
    }),
  );
  const more = nodes.length > 20 ? `\n(and ${nodes.length - 20} more nodes)` : '';
  return { result: columns([['NODE', 'VERSION', 'UP', 'CALLS', 'ERRORS'], ...rows]) + more };
}

service.handle('Command', {
  Help: endpoint(
    {
      request: { type: 'object' },
      response: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          usage: { type: 'string' },
          description: { type: 'string' },
          readOnly: { type: 'boolean' },
        },
        required: ['usage', 'description'],
      },
    },
    async () => help,
  ),
  Exec: endpoint(
    {
      request: {
        type: 'object',
        properties: { args: { type: 'array', items: { type: 'string' }, maxItems: 16 } },
        required: ['args'],
      },
      response: {
        type: 'object',
        properties: { result: { type: 'string' }, error: { type: 'string' } },
      },
    },
    async (req: { args: string[] }, ctx) => {
      if (req.args.length === 0) {
        const load = loadavg()
          .map((l) => l.toFixed(2))
          .join(' ');
        return { result: `${hostname()} up ${duration(uptime())}, load ${load}` };
      }
      if (req.args.length > 1) return { error: `usage: ${help.usage}` };
      return nodesOf(req.args[0]!, ctx.signal);
    },
  ),
});

await service.start();
console.log(`uptime ${service.server.id} listening on ${service.server.address}`);
await service.run();
