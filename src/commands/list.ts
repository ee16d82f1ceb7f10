import type { Service } from '../registry/registry.ts';
import type { TopicSummary } from '../registry/topics.ts';
import { defineCommand, defineGroup } from './shared/command.ts';
import { withRegistry } from './shared/connect.ts';
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

/** One line per topic: its subscriber count, queue groups and subscribing services. */
export function topicsTable(topics: TopicSummary[]): string {
  if (topics.length === 0) return 'no topics have subscribers';
  const or = (list: string[]): string => (list.length > 0 ? list.join(', ') : '-');
  return table(
    ['TOPIC', 'SUBSCRIBERS', 'QUEUES', 'SERVICES'],
    topics.map((t) => [t.topic, String(t.subscribers), or(t.queues), or(t.services)]),
  );
}

const services = defineCommand({
  command: 'services',
  describe: 'List the services in the registry: name, versions, node count',
  builder: (y) =>
    y.option('all', {
      alias: 'a',
      type: 'boolean',
      default: false,
      describe: "also the http broker's topic:<name> entries [MICRO_ALL]",
    }),
  handler: async (args) => {
    const { servicesOnly } = await import('../registry/topics.ts');
    const found = await withRegistry(args, (registry) => registry.listServices());
    found.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
    print(args.output, servicesOnly(found, args.all), servicesTable);
  },
});

const topics = defineCommand({
  command: 'topics',
  describe: 'List the topics subscribed to: subscribers, queue groups, services',
  builder: (y) => y,
  handler: async (args) => {
    const { summarizeTopics } = await import('../registry/topics.ts');
    const found = await withRegistry(args, (registry) => registry.listServices());
    print(args.output, summarizeTopics(found), topicsTable);
  },
});

/** `micro list services`, `micro list topics`. */
export const listCommand = defineGroup({
  command: 'list',
  describe: 'List the registry: list services, list topics',
  subcommands: [services, topics],
  missing: 'list what? micro list services, or micro list topics',
});
