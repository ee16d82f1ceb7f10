import { pageOf, type ServiceSummary } from '../registry/listing.ts';
import type { Service } from '../registry/registry.ts';
import type { TopicSummary } from '../registry/topics.ts';
import { defineCommand, defineGroup } from './shared/command.ts';
import { withRegistry } from './shared/connect.ts';
import { JsonArrayWriter, print, table, TableWriter } from './shared/output.ts';

const HEADER = ['NAME', 'VERSIONS', 'NODES'];
const NONE = 'no services registered';
const NO_MATCH = 'no service matches';

/** A table row of one service name: its versions and how many nodes serve it. */
const row = (s: ServiceSummary): string[] => [s.name, s.versions.join(', '), String(s.nodes)];

/** One line per service name: its versions and how many nodes serve it, in natural order. */
export function servicesTable(services: Service[]): string {
  const { summaries } = pageOf(services, { summary: true });
  return summaries.length === 0 ? NONE : table(HEADER, summaries.map(row));
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

/** Entries asked for per page of `micro list services`. */
const PAGE = 500;

const services = defineCommand({
  command: 'services',
  describe: 'List the services in the registry: name, versions, node count',
  builder: (y) =>
    y
      .option('all', {
        alias: 'a',
        type: 'boolean',
        default: false,
        describe: "also the http broker's topic:<name> entries [MICRO_ALL]",
      })
      .option('prefix', {
        type: 'string',
        describe: 'only services whose name starts with this [MICRO_PREFIX]',
      })
      .option('contains', {
        type: 'string',
        describe: 'only services whose name contains this, ignoring case [MICRO_CONTAINS]',
      })
      .option('limit', {
        type: 'number',
        describe:
          'at most this many services (versions with -o json); all by default [MICRO_LIMIT]',
      })
      .example('micro list services --prefix billing- --limit 20', '')
      .epilog(
        `Services are read ${PAGE} at a time and printed as they arrive, in natural order (svc-2 before svc-10). -o json prints an array of full records (one per version), written a page at a time.`,
      ),
  handler: async (args) => {
    const [{ listPages }, { isTopic }, { badRequest }] = await Promise.all([
      import('../registry/listing.ts'),
      import('../registry/topics.ts'),
      import('../runtime/errors.ts'),
    ]);
    const max = args.limit ?? Number.POSITIVE_INFINITY;
    if (!(max > 0 && (Number.isInteger(max) || max === Number.POSITIVE_INFINITY)))
      throw badRequest('micro.cli', '--limit must be a whole number above 0');
    const shown = (name: string): boolean =>
      args.all || !isTopic(name) || (args.prefix !== undefined && isTopic(args.prefix));
    // No more per page than --limit wants.
    const filter = { prefix: args.prefix, contains: args.contains, limit: Math.min(PAGE, max) };
    const out = (text: string): void => {
      if (text) process.stdout.write(text);
    };
    let left = max;
    await withRegistry(args, async (registry) => {
      if (args.output === 'json') {
        const writer = new JsonArrayWriter();
        for await (const page of listPages(registry, filter)) {
          const found = page.services.filter((s) => shown(s.name)).slice(0, left);
          left -= found.length;
          out(writer.items(found));
          if (left <= 0) break;
        }
        return out(writer.end());
      }
      const writer = new TableWriter(['NAME', 'VERSIONS', 'NODES']);
      for await (const page of listPages(registry, { ...filter, summary: true })) {
        const found = page.summaries.filter((s) => shown(s.name)).slice(0, left);
        left -= found.length;
        if (found.length > 0) out(`${[...writer.lines(found.map(row))].join('\n')}\n`);
        if (left <= 0) break;
      }
      const narrowed = args.prefix !== undefined || args.contains !== undefined;
      if (!writer.started) out(`${narrowed ? NO_MATCH : NONE}\n`);
    });
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
