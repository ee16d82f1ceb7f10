import type { Service } from '../registry/registry.ts';
import { DEFAULT_LIMITS } from '../registry/validate.ts';
import { defineCommand, defineGroup } from './shared/command.ts';
import { withRegistry } from './shared/connect.ts';
import { formatDuration, parseDuration, readServices } from './shared/input.ts';
import { print } from './shared/output.ts';

const nodes = (s: Service): string => `${s.nodes.length} node${s.nodes.length === 1 ? '' : 's'}`;

const service = defineCommand({
  command: 'service [json]',
  describe: 'Register a service record (JSON) in the registry',
  builder: (y) =>
    y
      .positional('json', {
        type: 'string',
        describe: 'the Service JSON; else -d, or stdin when it is not a terminal',
      })
      .option('data', {
        alias: 'd',
        type: 'string',
        describe: 'the record as JSON, or @file [MICRO_DATA]',
      })
      .option('ttl', {
        type: 'string',
        describe:
          'lease: the registration expires unless renewed within it (30s, 5m; at most 24h); 24h by default [MICRO_TTL]',
      })
      .example(
        'micro register service \'{"name":"greeter","version":"1.0.0","nodes":[{"id":"greeter-1","address":"127.0.0.1:9090"}]}\' --ttl 1m',
        '',
      ),
  handler: async (args) => {
    const services = await readServices({ argument: args.json, data: args.data });
    const ttl = parseDuration(args.ttl, 'ttl');
    await withRegistry(args, async (registry) => {
      for (const s of services) await registry.register(s, ttl === undefined ? {} : { ttl });
    });
    const lease = `expires in ${formatDuration(ttl ?? DEFAULT_LIMITS.defaultTtl)} unless registered again`;
    print(args.output, services, (list: Service[]) =>
      list.map((s) => `registered ${s.name} ${s.version} (${nodes(s)}; ${lease})`).join('\n'),
    );
  },
});

/** `micro register service JSON`. */
export const registerCommand = defineGroup({
  command: 'register',
  describe: 'Register a service by hand (register service JSON)',
  subcommands: [service],
  missing: 'register what? micro register service JSON',
});
