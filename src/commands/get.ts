import type { Argv } from 'yargs';
import type { Schema, Service } from '../registry/registry.ts';
import { defineCommand } from './shared/command.ts';
import { withRegistry } from './shared/connect.ts';
import type { GlobalArgs } from './shared/options.ts';
import { print, table } from './shared/output.ts';

const pairs = (m: Record<string, string>): string =>
  Object.keys(m).length === 0
    ? '-'
    : Object.entries(m)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null;

/** A JSON Schema as a TypeScript-like type: `{ name: string, tags?: string[] }`. */
export function schemaType(schema: Schema | undefined, indent = ''): string {
  if (!schema || Object.keys(schema).length === 0) return 'any';
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in s) return JSON.stringify(s.const);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key];
    if (Array.isArray(options))
      return options.map((o) => schemaType(isSchema(o) ? o : undefined, indent)).join(' | ');
  }
  if (Array.isArray(s.type)) return s.type.map(String).join(' | ');
  if (s.type === 'array') return `${schemaType(isSchema(s.items) ? s.items : undefined, indent)}[]`;
  if (s.type === 'object' || isSchema(s.properties)) {
    const props = isSchema(s.properties) ? Object.entries(s.properties) : [];
    if (props.length === 0) return 'object';
    const required = new Set(Array.isArray(s.required) ? s.required.map(String) : []);
    const inner = `${indent}  `;
    const fields = props.map(
      ([k, v]) =>
        `${k}${required.has(k) ? '' : '?'}: ${schemaType(isSchema(v) ? v : undefined, inner)}`,
    );
    const oneLine = `{ ${fields.join(', ')} }`;
    if (oneLine.length + indent.length <= 72 && !oneLine.includes('\n')) return oneLine;
    return `{\n${fields.map((f) => `${inner}${f}`).join('\n')}\n${indent}}`;
  }
  if (typeof s.type === 'string') return s.type;
  return JSON.stringify(schema);
}

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
    versions.sort((a, b) => a.version.localeCompare(b.version));
    print(args.output, versions, serviceText);
  },
});

/** `micro get service NAME`. */
export const getCommand = defineCommand({
  command: 'get',
  describe: "Show a service's nodes and endpoints (get service NAME)",
  builder: (y: Argv<GlobalArgs>) =>
    y.command(service).demandCommand(1, 'get what? micro get service NAME'),
  handler: async () => {},
});
