import type { Argv } from 'yargs';
import type { Service } from '../registry/registry.ts';
import { defineCommand } from './shared/command.ts';
import { withRegistry } from './shared/connect.ts';
import type { GlobalArgs } from './shared/options.ts';
import { print, table } from './shared/output.ts';

/** One line per service name: its versions and how many nodes serve it. */
export function servicesTable(services: Service[]): string {
  const byName = new Map<string, { versions: string[]; nodes: number }>();
  for (const s of services) {
    const row = byName.get(s.name) ?? { versions: [], nodes: 0 };
    row.versions.push(s.version);
    row.nodes += s.nodes.length;
    byName.set(s.name, row);
  }
  if (byName.size === 0) return 'no services registered';
  const rows = [...byName]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, r]) => [name, r.versions.sort().join(', '), String(r.nodes)]);
  return table(['NAME', 'VERSIONS', 'NODES'], rows);
}

const services = defineCommand({
  command: 'services',
  describe: 'List the services in the registry: name, versions, node count',
  builder: (y) => y,
  handler: async (args) => {
    const found = await withRegistry(args, (registry) => registry.listServices());
    found.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
    print(args.output, found, servicesTable);
  },
});

/** `micro list services`. */
export const listCommand = defineCommand({
  command: 'list',
  describe: 'List the services in the registry (list services)',
  builder: (y: Argv<GlobalArgs>) =>
    y.command(services).demandCommand(1, 'list what? micro list services'),
  handler: async () => {},
});
