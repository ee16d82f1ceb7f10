// `micro db create|get|update|delete|query|count`: a collection's records.
import type { DbRecord, RecordPage, Where } from '../../platform/db/db.ts';
import { notFound } from '../../runtime/errors.ts';
import { defineCommand } from '../shared/command.ts';
import { print, table } from '../shared/output.ts';
import {
  coll,
  idArg,
  ifVersion,
  json,
  named,
  ns,
  object,
  oneLine,
  withDatabase,
  withDb,
  written,
} from './shared.ts';
import { singleValued } from '../shared/once.ts';

/** The options taken as lists when repeated. */
const LISTS = ['sort'];

const create = defineCommand({
  command: 'create <collection> <data>',
  describe: 'Store a new record (DATA: a JSON object, - for stdin)',
  builder: (y) =>
    withDatabase(
      y
        .positional('collection', coll)
        .positional('data', json('the record, a JSON object'))
        .option('id', { type: 'string', describe: 'its id (default: a new UUID) [MICRO_ID]' }),
    ).example('micro db create users \'{"name":"Ann","age":41}\' --id ann', ''),
  handler: async (args) => {
    singleValued(args, LISTS);
    const data = await object(args.data, 'DATA');
    const id = args.id === undefined ? {} : { id: String(args.id) };
    const r = await withDb(args, (db) => db.create(args.collection, data, { ...id, ...ns(args) }));
    print(args.output, r, written('created'));
  },
});

const get = defineCommand({
  command: 'get <collection> <id>',
  describe: "Print a record's data (-o json: the record with its version and times)",
  builder: (y) => withDatabase(y.positional('collection', coll).positional('id', idArg)),
  handler: async (args) => {
    singleValued(args, LISTS);
    const r = await withDb(args, (db) => db.read(args.collection, args.id, ns(args)));
    if (!r) throw notFound('db', `record ${JSON.stringify(args.id)} not found in ${named(args)}`);
    print(args.output, r, (x: DbRecord) => JSON.stringify(x.data, null, 2));
  },
});

const update = defineCommand({
  command: 'update <collection> <id> <data>',
  describe: 'Merge DATA into a record (null removes a field), or --replace it',
  builder: (y) =>
    withDatabase(
      y
        .positional('collection', coll)
        .positional('id', idArg)
        .positional('data', json('a JSON merge patch, or the whole record with --replace'))
        .option('replace', {
          type: 'boolean',
          describe: 'replace the whole record [MICRO_REPLACE]',
        })
        .option('upsert', { type: 'boolean', describe: 'create it when missing [MICRO_UPSERT]' })
        .option('if-version', ifVersion),
    ).example('micro db update users ann \'{"age":42}\' --if-version 1', ''),
  handler: async (args) => {
    singleValued(args, LISTS);
    const data = await object(args.data, 'DATA');
    const r = await withDb(args, (db) =>
      db.update(args.collection, args.id, data, {
        ...ns(args),
        ...(args.replace && { mode: 'replace' }),
        ...(args.upsert && { upsert: true }),
        ...(args.ifVersion !== undefined && { ifVersion: args.ifVersion }),
      }),
    );
    print(args.output, r, written('updated'));
  },
});

const del = defineCommand({
  command: 'delete <collection> <id>',
  describe: 'Delete a record (404 when there was none)',
  builder: (y) =>
    withDatabase(
      y.positional('collection', coll).positional('id', idArg).option('if-version', ifVersion),
    ),
  handler: async (args) => {
    singleValued(args, LISTS);
    const options = {
      ...ns(args),
      ...(args.ifVersion !== undefined && { ifVersion: args.ifVersion }),
    };
    const deleted = await withDb(args, (db) => db.delete(args.collection, args.id, options));
    if (!deleted)
      throw notFound('db', `record ${JSON.stringify(args.id)} not found in ${named(args)}`);
    print(args.output, { deleted }, () => `deleted ${args.id}`);
  },
});

/** --sort's fields: `a,-b`, or the flag repeated (yargs gives an array). */
const sortFields = (sort: string | string[]): string[] =>
  [sort]
    .flat()
    .flatMap((s) => String(s).split(','))
    .filter((s) => s !== '');

const query = defineCommand({
  command: 'query <collection> [where]',
  describe: 'One page of the records that match WHERE (JSON), sorted; --cursor for the next',
  builder: (y) =>
    withDatabase(
      y
        .positional('collection', coll)
        .positional('where', {
          type: 'string',
          describe: 'conditions: {"field": value | {"$gt": n, "$prefix": s, "$in": [...]}}',
        })
        .option('sort', {
          type: 'string',
          describe: 'fields, - first for descending: --sort=-age,name [MICRO_SORT]',
        })
        .option('limit', {
          type: 'number',
          describe: 'records per page (default 100) [MICRO_LIMIT]',
        })
        .option('cursor', { type: 'string', describe: "a previous page's next [MICRO_CURSOR]" }),
    ).example('micro db query users \'{"age":{"$gte":18}}\' --sort=-age --limit 20', ''),
  handler: async (args) => {
    singleValued(args, LISTS);
    const where =
      args.where === undefined ? {} : { where: (await object(args.where, 'WHERE')) as Where };
    const page = await withDb(args, (db) =>
      db.query(args.collection, {
        ...ns(args),
        ...where,
        ...(args.sort !== undefined && { sort: sortFields(args.sort) }),
        ...(args.limit !== undefined && { limit: args.limit }),
        ...(args.cursor !== undefined && { cursor: args.cursor }),
      }),
    );
    print(args.output, page, (p: RecordPage) => {
      if (p.records.length === 0) return `no records in ${named(args)}`;
      const rows = p.records.map((r) => [
        r.id,
        String(r.version),
        new Date(r.updatedAt).toISOString(),
        oneLine(r.data),
      ]);
      const text = table(['ID', 'VERSION', 'UPDATED', 'DATA'], rows);
      return p.next === undefined ? text : `${text}\nnext page: --cursor ${p.next}`;
    });
  },
});

const count = defineCommand({
  command: 'count <collection> [where]',
  describe: 'How many records match WHERE (JSON; all by default)',
  builder: (y) =>
    withDatabase(y.positional('collection', coll).positional('where', { type: 'string' })),
  handler: async (args) => {
    singleValued(args, LISTS);
    const where =
      args.where === undefined ? {} : { where: (await object(args.where, 'WHERE')) as Where };
    const n = await withDb(args, (db) => db.count(args.collection, { ...ns(args), ...where }));
    print(args.output, { count: n }, () => String(n));
  },
});

/** The record commands. */
export const recordCommands = [create, get, update, del, query, count];
