import type { Argv } from 'yargs';
import type { Entry, Store } from '../platform/store/store.ts';
import { badRequest } from '../runtime/errors.ts';
import { defineCommand, defineGroup, type Args } from './shared/command.ts';
import { parseDuration, parseValue } from './shared/input.ts';
import { json, JsonArrayWriter, print, TableWriter } from './shared/output.ts';

/** The options every `micro store` command takes, besides the global --store and --store-address. */
interface StoreArgs {
  database: string;
  table: string;
}

const storeOptions = <T>(y: Argv<T>): Argv<T & StoreArgs> =>
  y
    .option('database', {
      type: 'string',
      default: 'micro',
      describe: 'namespace: database [MICRO_DATABASE]',
    })
    .option('table', {
      type: 'string',
      default: 'default',
      describe: 'namespace: table [MICRO_TABLE]',
    });

/** Runs fn with the store the flags name, then closes it; an unknown name is a 400 listing the valid ones. */
async function withStore<T>(
  args: Args<StoreArgs>,
  fn: (store: Store, ns: { database: string; table: string }) => Promise<T>,
): Promise<T> {
  const [{ stores }, { pickPlugin }] = await Promise.all([
    import('../platform/store/index.ts'),
    import('../runtime/plugins.ts'),
  ]);
  let make;
  try {
    make = pickPlugin(stores, 'store', args.store, '--store or MICRO_STORE');
  } catch (err) {
    throw badRequest('micro.cli', (err as Error).message);
  }
  const ns = { database: args.database, table: args.table };
  const run = async (store: Store): Promise<T> => {
    try {
      return await fn(store, ns);
    } finally {
      await store.close();
    }
  };
  // The control plane's store goes through this command's client, which sends the CLI's token.
  if (args.store === 'micro' && !args.storeAddress) {
    const { withConnection } = await import('./shared/connect.ts');
    return withConnection(args, ({ client }) => run(make({ client })));
  }
  return run(make({ ...(args.storeAddress && { address: args.storeAddress }) }));
}

/** A --limit or --count, when given, is a whole number of at least 1: else a 400. */
const positiveWhole = (n: number | undefined, flag: string): void => {
  if (n !== undefined && !(Number.isInteger(n) && n >= 1))
    throw badRequest('micro.cli', `--${flag} must be a whole number of at least 1, not ${n}`);
};

const where = (a: { database: string; table: string }) => `${a.database}/${a.table}`;

const notFound = async (key: string, a: { database: string; table: string }) => {
  const { notFound } = await import('../runtime/errors.ts');
  return notFound('store', `key ${JSON.stringify(key)} not found in ${where(a)}`);
};

const oneLine = (v: unknown): string => {
  const text = JSON.stringify(v) ?? '';
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

const get = defineCommand({
  command: 'get <key>',
  describe: "Print a key's value (-o json: the entry with its version)",
  builder: (y) =>
    storeOptions(y.positional('key', { type: 'string', demandOption: true })).example(
      'micro store get user/1',
      '',
    ),
  handler: async (args) => {
    const entry = await withStore(args, (s, ns) => s.get(args.key, ns));
    if (!entry) throw await notFound(args.key, args);
    print(args.output, entry, (e: Entry) => json(e.value));
  },
});

const put = defineCommand({
  command: 'put <key> <value>',
  describe: 'Store a JSON value under a key (a bare word is a string)',
  builder: (y) =>
    storeOptions(
      y
        .positional('key', { type: 'string', demandOption: true })
        .positional('value', {
          type: 'string',
          demandOption: true,
          describe: 'JSON, or a bare word taken as a string',
        })
        .option('ttl', { type: 'string', describe: 'lease: 30s, 5m, 1h (at least 1s) [MICRO_TTL]' })
        .option('if-version', {
          type: 'string',
          describe: 'write only if the key is at this version (409 otherwise) [MICRO_IF_VERSION]',
        })
        .option('if-absent', {
          type: 'boolean',
          describe: 'write only if the key does not exist (409 otherwise) [MICRO_IF_ABSENT]',
        }),
    )
      .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
      .example('micro store put user/1 \'{"name":"Ann"}\' --ttl 1h', '')
      .example('micro store put greeting hello --database greeter', ''),
  handler: async (args) => {
    const ttl = parseDuration(args.ttl, 'ttl');
    const value = await parseValue(args.value);
    const entry = await withStore(args, (s, ns) =>
      s.put(args.key, value, {
        ...ns,
        ...(ttl !== undefined && { ttl }),
        ...(args.ifVersion !== undefined && { ifVersion: String(args.ifVersion) }),
        ...(args.ifAbsent && { ifAbsent: true }),
      }),
    );
    print(args.output, entry, (e: Entry) => `${e.key} is at version ${e.version}`);
  },
});

const del = defineCommand({
  command: 'delete <key>',
  describe: 'Delete a key (404 when there was none)',
  builder: (y) =>
    storeOptions(
      y.positional('key', { type: 'string', demandOption: true }).option('if-version', {
        type: 'string',
        describe: 'delete only if the key is at this version [MICRO_IF_VERSION]',
      }),
    ),
  handler: async (args) => {
    const ifVersion = args.ifVersion === undefined ? {} : { ifVersion: String(args.ifVersion) };
    const deleted = await withStore(args, (s, ns) => s.delete(args.key, { ...ns, ...ifVersion }));
    if (!deleted) throw await notFound(args.key, args);
    print(args.output, { deleted }, () => `deleted ${args.key}`);
  },
});

const list = defineCommand({
  command: 'list [prefix]',
  describe: 'List keys (all, or those under a prefix) in byte order',
  builder: (y) =>
    storeOptions(
      y
        .positional('prefix', { type: 'string', describe: 'only keys starting with this' })
        .option('limit', {
          type: 'number',
          describe: 'at most this many entries; all by default [MICRO_LIMIT]',
        }),
    ).example('micro store list user/ --limit 20', ''),
  handler: async (args) => {
    positiveWhole(args.limit, 'limit');
    const text = new TableWriter(['KEY', 'VERSION', 'EXPIRES', 'VALUE']);
    const arr = new JsonArrayWriter();
    let left = args.limit ?? Number.POSITIVE_INFINITY;
    await withStore(args, async (s, ns) => {
      let cursor: string | undefined;
      do {
        const page = await s.list({
          ...ns,
          prefix: args.prefix ?? '',
          limit: Math.max(1, Math.min(1000, left)),
          ...(cursor && { cursor }),
        });
        const entries = page.entries.slice(0, left);
        left -= entries.length;
        cursor = page.next;
        if (args.output === 'json') process.stdout.write(arr.items(entries));
        else if (entries.length > 0)
          for (const line of text.lines(entries.map(row))) process.stdout.write(`${line}\n`);
      } while (cursor !== undefined && left > 0);
    });
    if (args.output === 'json') process.stdout.write(arr.end());
    else if (!text.started)
      process.stdout.write(
        `no keys in ${where(args)}${args.prefix ? ` under ${JSON.stringify(args.prefix)}` : ''}\n`,
      );
  },
});

const row = (e: Entry): string[] => [
  e.key,
  e.version,
  e.expiresAt ? new Date(e.expiresAt).toISOString() : '-',
  oneLine(e.value),
];

const watch = defineCommand({
  command: 'watch [prefix]',
  describe: 'Print changes to keys (under a prefix, or one --key) as they happen, a JSON line each',
  builder: (y) =>
    storeOptions(
      y
        .positional('prefix', { type: 'string', describe: 'only keys starting with this' })
        .option('key', { type: 'string', describe: 'only this key [MICRO_KEY]' })
        .option('count', {
          type: 'number',
          describe: 'stop after this many changes [MICRO_COUNT]',
        }),
    ).example('micro store watch jobs/', ''),
  handler: async (args) => {
    positiveWhole(args.count, 'count');
    await withStore(args, async (s, ns) => {
      const w = s.watch({
        ...ns,
        ...(args.key !== undefined ? { key: args.key } : { prefix: args.prefix ?? '' }),
      });
      process.once('SIGINT', () => w.stop());
      let seen = 0;
      for await (const event of w) {
        process.stdout.write(`${json(event, false)}\n`);
        if (++seen === args.count) break;
      }
    });
  },
});

/** `micro store get|put|delete|list|watch`. */
export const storeCommand = defineGroup({
  command: 'store',
  describe: 'Get, put, list and watch keys in the key-value store',
  subcommands: [get, put, del, list, watch],
  missing: 'store what? micro store get|put|delete|list|watch',
});
