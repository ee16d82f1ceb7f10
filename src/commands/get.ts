import { compareNatural } from '../registry/listing.ts';
import type { Service } from '../registry/registry.ts';
import { schemaType } from '../ui/schema.ts';
import { defineCommand, defineGroup } from './shared/command.ts';
import { withRegistry } from './shared/connect.ts';
import { print, table } from './shared/output.ts';

export { schemaType };

const pairs = (m: Record<string, string>): string =>
  Object.keys(m).length === 0
    ? '-'
    : Object.entries(m)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');

/** A service's versions as readable text: metadata, nodes, and endpoints with their schemas. */
export function serviceText(versions: Service[]): string {
  const out: string[] = [];
  for (const s of versions) {
    if (out.length > 0) out.push('');
    out.push(`service   ${s.name}`, `version   ${s.version}`, `metadata  ${pairs(s.metadata)}`);
    out.push('', `nodes (${s.nodes.length})`);
    if (s.nodes.length > 0)
      out.push(
        table(
          ['ID', 'ADDRESS', 'METADATA'],
          s.nodes.map((n) => [n.id, n.address, pairs(n.metadata)]),
        ),
      );
    out.push('', `endpoints (${s.endpoints.length})`);
    for (const e of s.endpoints) {
      const md = Object.keys(e.metadata ?? {}).length > 0 ? `  [${pairs(e.metadata)}]` : '';
      out.push(`${e.name}${md}`);
      if (e.metadata?.subscriber === 'true') continue;
      out.push(`  request   ${schemaType(e.request, '  ')}`);
      out.push(`  response  ${schemaType(e.response, '  ')}`);
    }
  }
  return out.join('\n');
}

const service = defineCommand({
  command: 'service <name>',
  describe: "Show a service's versions, metadata, nodes and endpoints with their schemas",
  builder: (y) =>
    y.positional('name', { type: 'string', demandOption: true, describe: 'the service name' }),
  handler: async (args) => {
    const versions = await withRegistry(args, (registry) => registry.getService(args.name));
    versions.sort((a, b) => compareNatural(a.version, b.version));
    print(args.output, versions, serviceText);
  },
});

/** `micro get service NAME`. */
export const getCommand = defineGroup({
  command: 'get',
  describe: "Show a service's nodes and endpoints (get service NAME)",
  subcommands: [service],
  missing: 'get what? micro get service NAME',
});
