import type { Service } from '../registry/registry.ts';
import { defineCommand, defineGroup } from './shared/command.ts';
import { withRegistry } from './shared/connect.ts';
import { readServices } from './shared/input.ts';
import { print } from './shared/output.ts';

const service = defineCommand({
  command: 'service [json]',
  describe: "Remove a service record's nodes (JSON) from the registry",
  builder: (y) =>
    y
      .positional('json', {
        type: 'string',
        describe: 'the Service JSON naming the nodes to remove; else -d, or stdin',
      })
      .option('data', {
        alias: 'd',
        type: 'string',
        describe: 'the record as JSON, or @file [MICRO_DATA]',
      }),
  handler: async (args) => {
    const services = await readServices({ argument: args.json, data: args.data });
    await withRegistry(args, async (registry) => {
      for (const s of services) await registry.deregister(s);
    });
    print(args.output, services, (list: Service[]) =>
      list
        .map((s) => `deregistered ${s.nodes.map((n) => n.id).join(', ')} of ${s.name} ${s.version}`)
        .join('\n'),
    );
  },
});

/** `micro deregister service JSON`. */
export const deregisterCommand = defineGroup({
  command: 'deregister',
  describe: 'Remove nodes from the registry (deregister service JSON)',
  subcommands: [service],
  missing: 'deregister what? micro deregister service JSON',
});
