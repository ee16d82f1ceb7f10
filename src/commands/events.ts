import { defineCommand, defineGroup } from './shared/command.ts';
import {
  line,
  offsetFlag,
  parseStart,
  parseTime,
  positiveWhole,
  withEvents,
} from './shared/events.ts';
import { formatDuration, parseDuration, parseMetadata, parseValue } from './shared/input.ts';
import { json, JsonArrayWriter, print, table } from './shared/output.ts';
import { singleValued } from './shared/once.ts';

/** The options taken as lists when repeated. */
const LISTS = ['metadata'];

const publish = defineCommand({
  command: 'publish <topic> <data>',
  describe: 'Store an event on a topic (DATA is JSON, a bare word a string, - reads stdin)',
  builder: (y) =>
    y
      .positional('topic', { type: 'string', demandOption: true })
      .positional('data', { type: 'string', demandOption: true })
      .option('key', {
        type: 'string',
        describe: 'idempotency key: a publish retried with it is stored once [MICRO_KEY]',
      })
      .option('metadata', {
        alias: 'm',
        type: 'string',
        array: true,
        describe: 'metadata k=v, repeatable [MICRO_METADATA]',
      })
      .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
      .example('micro events publish orders \'{"id":1}\' --key order-1', ''),
  handler: async (args) => {
    singleValued(args, LISTS);
    const data = await parseValue(args.data, 'the data', { refuseEmpty: true });
    const metadata = parseMetadata(args.metadata);
    const published = await withEvents(args, (e) =>
      e.publish(args.topic, data, {
        ...(args.key !== undefined && { key: String(args.key) }),
        ...(Object.keys(metadata).length > 0 && { metadata }),
      }),
    );
    print(args.output, published, (p: typeof published) =>
      p.duplicate
        ? `${p.topic} already has key ${args.key} at offset ${p.offset}: nothing stored`
        : `published to ${p.topic} at offset ${p.offset}`,
    );
  },
});

const subscribe = defineCommand({
  command: 'subscribe <topic>',
  describe: 'Print events as they come, one line each (with --group: acknowledged)',
  builder: (y) =>
    y
      .positional('topic', { type: 'string', demandOption: true })
      .option('group', {
        type: 'string',
        describe:
          'consumer group: share the events, acknowledge them, keep the position [MICRO_GROUP]',
      })
      .option('from', {
        type: 'string',
        describe:
          'latest (default), earliest, an offset, an ISO time or a duration ago (10m) [MICRO_FROM]',
      })
      .option('count', { type: 'number', describe: 'exit after this many events [MICRO_COUNT]' })
      .example('micro events subscribe orders --from earliest --count 10', '')
      .example('micro events subscribe orders --group billing', ''),
  handler: async (args) => {
    singleValued(args, LISTS);
    positiveWhole(args.count, 'count');
    const start = parseStart(args.from);
    await withEvents(args, async (e) => {
      const sub = await e.subscribe(args.topic, {
        ...(args.group !== undefined && { group: args.group }),
        ...(start !== undefined && { start }),
        // No more held than will be printed: what is not printed goes to the group's others at once.
        ...(args.count !== undefined && { maxInFlight: Math.min(args.count, 1000) }),
      });
      const stop = () => void sub.stop();
      process.once('SIGINT', stop);
      try {
        let seen = 0;
        for await (const d of sub) {
          const record = { ...d, ack: undefined, nack: undefined };
          process.stdout.write(
            args.output === 'json' ? `${json(record, false)}\n` : `${line(d)}\n`,
          );
          await d.ack();
          if (++seen === args.count) break;
        }
      } finally {
        process.off('SIGINT', stop);
        await sub.stop();
      }
    });
  },
});

const list = defineCommand({
  command: 'list [prefix]',
  describe: 'List the topics, with their offsets, counts and last event',
  builder: (y) => y.positional('prefix', { type: 'string', describe: 'names starting with this' }),
  handler: async (args) => {
    singleValued(args, LISTS);
    const topics = await withEvents(args, (e) => e.topics(args.prefix));
    print(args.output, topics, (t: typeof topics) =>
      t.length === 0
        ? 'no topics'
        : table(
            ['TOPIC', 'FIRST', 'LAST', 'COUNT', 'LAST EVENT'],
            t.map((x) => [
              x.topic,
              String(x.first),
              String(x.last),
              String(x.count),
              x.lastTime ? new Date(x.lastTime).toISOString() : '-',
            ]),
          ),
    );
  },
});

const replay = defineCommand({
  command: 'replay <topic>',
  describe: "Print a range of a topic's retained events, one line each",
  builder: (y) =>
    y
      .positional('topic', { type: 'string', demandOption: true })
      .option('from', { type: 'number', describe: 'first offset [MICRO_FROM]' })
      .option('to', { type: 'number', describe: 'last offset [MICRO_TO]' })
      .option('since', {
        type: 'string',
        describe: 'stored at or after this time, or this long ago (1h) [MICRO_SINCE]',
      })
      .option('until', {
        type: 'string',
        describe: 'stored at or before this time, or this long ago (10m) [MICRO_UNTIL]',
      })
      .option('limit', { type: 'number', describe: 'at most this many events [MICRO_LIMIT]' })
      .example('micro events replay orders --from 100 --to 200', ''),
  handler: async (args) => {
    singleValued(args, LISTS);
    positiveWhole(args.limit, 'limit');
    const range = {
      ...(args.to !== undefined && { to: offsetFlag(args.to, 'to') }),
      ...(args.since !== undefined && { since: parseTime(args.since, 'since') }),
      ...(args.until !== undefined && { until: parseTime(args.until, 'until') }),
    };
    let from = offsetFlag(args.from, 'from');
    let left = args.limit ?? Number.POSITIVE_INFINITY;
    const arr = new JsonArrayWriter();
    let any = false;
    await withEvents(args, async (e) => {
      do {
        const page = await e.read(args.topic, {
          ...range,
          ...(from !== undefined && { from }),
          limit: Math.max(1, Math.min(1000, left)),
        });
        const events = page.events.slice(0, left);
        left -= events.length;
        from = page.next;
        any ||= events.length > 0;
        if (args.output === 'json') process.stdout.write(arr.items(events));
        else for (const ev of events) process.stdout.write(`${line(ev)}\n`);
      } while (from !== undefined && left > 0);
    });
    if (args.output === 'json') process.stdout.write(arr.end());
    else if (!any) process.stdout.write(`no events in ${args.topic} in that range\n`);
  },
});

const groups = defineCommand({
  command: 'groups [topic]',
  describe: 'List the consumer groups (of one topic, or all), with position, pending and lag',
  builder: (y) => y.positional('topic', { type: 'string', describe: 'only this topic' }),
  handler: async (args) => {
    singleValued(args, LISTS);
    const found = await withEvents(args, (e) => e.groups(args.topic));
    print(args.output, found, (g: typeof found) =>
      g.length === 0
        ? 'no consumer groups'
        : table(
            ['TOPIC', 'GROUP', 'POSITION', 'PENDING', 'LAG', 'MEMBERS', 'DEAD-LETTERED'],
            g.map((x) => [
              x.topic,
              x.group,
              String(x.position),
              String(x.pending),
              String(x.lag),
              String(x.members),
              String(x.deadLettered),
            ]),
          ),
    );
  },
});

const seek = defineCommand({
  command: 'seek <topic> <group> <start>',
  describe:
    "Move a group's position: its next event is the first at START (latest, earliest, an offset, an ISO time)",
  builder: (y) =>
    y
      .positional('topic', { type: 'string', demandOption: true })
      .positional('group', { type: 'string', demandOption: true })
      .positional('start', { type: 'string', demandOption: true })
      .parserConfiguration({ 'parse-positional-numbers': false })
      .example('micro events seek orders billing earliest', ''),
  handler: async (args) => {
    singleValued(args, LISTS);
    const start = parseStart(String(args.start), 'START')!;
    const info = await withEvents(args, (e) => e.seek(args.topic, args.group, start));
    print(
      args.output,
      info,
      (g: typeof info) => `group ${g.group} of ${g.topic} is at position ${g.position}`,
    );
  },
});

const retention = defineCommand({
  command: 'retention <topic>',
  describe: 'Set how long a topic keeps its events (--max-age, --max-count) and print it',
  builder: (y) =>
    y
      .positional('topic', { type: 'string', demandOption: true })
      .option('max-age', {
        type: 'string',
        describe: 'keep events this long: 30m, 24h [MICRO_MAX_AGE]',
      })
      .option('max-count', { type: 'number', describe: 'keep at most this many [MICRO_MAX_COUNT]' })
      .example('micro events retention orders --max-age 24h --max-count 100000', ''),
  handler: async (args) => {
    singleValued(args, LISTS);
    const maxAge = parseDuration(args.maxAge, 'max-age');
    positiveWhole(args.maxCount, 'max-count');
    const info = await withEvents(args, (e) =>
      e.configure(args.topic, {
        ...(maxAge !== undefined && { maxAge }),
        ...(args.maxCount !== undefined && { maxCount: args.maxCount }),
      }),
    );
    print(
      args.output,
      info,
      (t: typeof info) =>
        `${t.topic} keeps events for ${formatDuration(t.retention.maxAge)}, at most ${t.retention.maxCount}`,
    );
  },
});

/** `micro events publish|subscribe|list|replay|groups|seek|retention`. */
export const eventsCommand = defineGroup({
  command: 'events',
  describe: 'Publish, subscribe to, replay and list durable events',
  subcommands: [publish, subscribe, list, replay, groups, seek, retention],
  missing: 'events what? micro events publish|subscribe|list|replay|groups|seek|retention',
});
