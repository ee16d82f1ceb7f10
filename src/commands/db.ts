// `micro db ...`: records, indexes and collections of the db (the control plane's by default,
// --db and --db-address for another engine). Every command prints a table or a line for people and
// JSON with -o json; failures print the error JSON and exit 1.
import type { CollectionInfo, IndexSpec } from '../platform/db/db.ts';
import { notFound } from '../runtime/errors.ts';
import { recordCommands } from './db/records.ts';
import { coll, named, ns, withDatabase, withDb } from './db/shared.ts';
import { defineCommand, defineGroup } from './shared/command.ts';
import { print, table } from './shared/output.ts';
import { singleValued } from './shared/once.ts';

/** The options taken as lists when repeated. */
const LISTS = ['fields', 'sort'];

const described = (i: Required<IndexSpec>): string =>
  `${i.name} (${i.fields.join(', ')})${i.unique ? ' unique' : ''}`;

const index = defineCommand({
  command: 'index <collection> <fields..>',
  describe: 'Declare an index on one to four field paths (idempotent)',
  builder: (y) =>
    withDatabase(
      y
        .positional('collection', coll)
        .positional('fields', { type: 'string', array: true, demandOption: true })
        .option('unique', { type: 'boolean', describe: 'one record per value [MICRO_UNIQUE]' })
        .option('name', {
          type: 'string',
          describe: 'default: the fields joined by _ [MICRO_NAME]',
        }),
    ).example('micro db index users email --unique', ''),
  handler: async (args) => {
    singleValued(args, LISTS);
    const spec: IndexSpec = {
      fields: args.fields.map(String),
      ...(args.unique && { unique: true }),
      ...(args.name !== undefined && { name: args.name }),
    };
    const made = await withDb(args, (db) => db.createIndex(args.collection, spec, ns(args)));
    print(
      args.output,
      made,
      (i: Required<IndexSpec>) => `index ${described(i)} on ${args.collection}`,
    );
  },
});

const indexes = defineCommand({
  command: 'indexes <collection>',
  describe: "List a collection's indexes",
  builder: (y) => withDatabase(y.positional('collection', coll)),
  handler: async (args) => {
    singleValued(args, LISTS);
    const database = args.database ?? 'micro';
    const all = await withDb(args, (db) => db.collections(database));
    const found = all.find((c) => c.collection === args.collection);
    if (!found) throw notFound('db', `collection ${named(args)} not found`);
    print(args.output, found.indexes, (list: Required<IndexSpec>[]) =>
      list.length === 0
        ? `no indexes on ${named(args)}`
        : table(
            ['NAME', 'FIELDS', 'UNIQUE'],
            list.map((i) => [i.name, i.fields.join(','), i.unique ? 'yes' : 'no']),
          ),
    );
  },
});

const dropIndex = defineCommand({
  command: 'drop-index <collection> <name>',
  describe: 'Drop an index (404 when there was none)',
  builder: (y) =>
    withDatabase(
      y.positional('collection', coll).positional('name', { type: 'string', demandOption: true }),
    ),
  handler: async (args) => {
    singleValued(args, LISTS);
    const dropped = await withDb(args, (db) => db.dropIndex(args.collection, args.name, ns(args)));
    if (!dropped)
      throw notFound('db', `index ${JSON.stringify(args.name)} not found on ${named(args)}`);
    print(args.output, { dropped }, () => `dropped index ${args.name}`);
  },
});

const collections = defineCommand({
  command: 'collections',
  describe: 'List the collections (of --database, or all) with their record counts',
  builder: (y) => withDatabase(y, 'all'),
  handler: async (args) => {
    singleValued(args, LISTS);
    const list = await withDb(args, (db) => db.collections(args.database));
    print(args.output, list, (l: CollectionInfo[]) =>
      l.length === 0
        ? 'no collections'
        : table(
            ['DATABASE', 'COLLECTION', 'RECORDS', 'INDEXES'],
            l.map((c) => [
              c.database,
              c.collection,
              String(c.count),
              c.indexes.map((i) => i.name).join(',') || '-',
            ]),
          ),
    );
  },
});

const drop = defineCommand({
  command: 'drop <collection>',
  describe: 'Remove a collection with its records and indexes (404 when there was none)',
  builder: (y) => withDatabase(y.positional('collection', coll)),
  handler: async (args) => {
    singleValued(args, LISTS);
    const dropped = await withDb(args, (db) => db.dropCollection(args.collection, ns(args)));
    if (!dropped) throw notFound('db', `collection ${named(args)} not found`);
    print(args.output, { dropped }, () => `dropped collection ${args.collection}`);
  },
});

/** `micro db create|get|update|delete|query|count|index|indexes|drop-index|collections|drop`. */
export const dbCommand = defineGroup({
  command: 'db',
  describe: 'Create, query and index JSON records in collections',
  subcommands: [...recordCommands, index, indexes, dropIndex, collections, drop],
  missing:
    'db what? micro db create|get|update|delete|query|count|index|indexes|drop-index|collections|drop',
});
