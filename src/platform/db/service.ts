// The control plane's `db` service: any Db served over RPC as the `Db` handler (Create, Read,
// Update, Delete, Query, Count, CreateIndex, DropIndex, Collections, DropCollection; shapes in the
// platform contract). Requests are closed (an unknown or missing field is a 400 naming it) and then
// checked by the Db's own validation, so `micro call db Db.Query '{"collection":"users"}'` gets the
// answers a Db gives in-process. A call that names no database uses the calling service's name
// (Micro-From-Service, `.` and other characters a name cannot hold made `_`), else `micro`; Collections naming none lists every database's. hostDb serves
// SQLite in micro.db (tables prefixed `db_`), or the engine MICRO_DB names in the control plane's
// environment (postgres at MICRO_DB_ADDRESS, memory). With auth on, a call needs
// `db:<database>/<collection>:read|write` (Collections: `db:<database or *>/*:read`).
import type { Context } from '../../runtime/context.ts';
import { closed } from '../../runtime/server/closed.ts';
import { endpoint } from '../../runtime/server/declare.ts';
import type { Handler } from '../../runtime/server/handler.ts';
import { accessCheck, type Check } from '../access.ts';
import { servedEngine } from '../served.ts';
import type { HostContext, Hosted } from '../hosting.ts';
import { serviceDatabase } from './client.ts';
import type { Db, IndexSpec, JsonObject, QueryOptions, UpdateOptions, Where } from './db.ts';
import { DB_LIMITS } from './db.ts';
import { DB_ID } from './errors.ts';
import { DEFAULT_DATABASE } from './validate.ts';

type Req = Record<string, unknown>;

const NAME = `^[A-Za-z0-9_-]{1,${DB_LIMITS.nameLength}}$`;
const database = {
  type: 'string',
  pattern: NAME,
  description: "the collection's database; the caller's service name by default",
};
const collection = { type: 'string', pattern: NAME, description: 'the collection' };
const id = { type: 'string', minLength: 1, description: `up to ${DB_LIMITS.idBytes} bytes` };
const data = {
  type: 'object',
  description: `the record's fields, up to ${DB_LIMITS.recordBytes} bytes as JSON`,
};
const version = { type: 'integer', minimum: 1, description: 'write only at this version' };
const where = {
  type: 'object',
  description: 'conditions by field path: a value, or {$eq,$ne,$lt,$lte,$gt,$gte,$prefix,$in}',
};
const index = {
  type: 'object',
  required: ['fields'],
  properties: {
    name: { type: 'string', pattern: NAME },
    fields: { type: 'array', items: { type: 'string' }, minItems: 1 },
    unique: { type: 'boolean' },
  },
};

/** The request as is, once closed() found only its fields (the Db checks their values). */
const request = (name: string, properties: Record<string, object>, required: string[] = []) =>
  closed(
    DB_ID,
    `Db.${name}`,
    { type: 'object', required, properties, additionalProperties: false },
    (req: Req) => req,
  );

/** The database of a call: the one it names, else the caller's (serviceDatabase), else `micro`. */
const callDatabase = (req: Req, ctx: Context): string =>
  req.database !== undefined
    ? (req.database as string)
    : ctx.from
      ? serviceDatabase(ctx.from)
      : DEFAULT_DATABASE;

/** Only the fields that were given, so the Db sees no `undefined` options. */
const given = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The Db handler: any Db, served to other processes as the `db` service. */
export function dbHandler(db: Db, check: Check = accessCheck(undefined)): Handler {
  const c = (req: Req) => req.collection as string;
  /** The call's database, once its caller may read (or write) the collection it names there. */
  const databaseOf = (req: Req, ctx: Context, action: 'read' | 'write' = 'write'): string => {
    const database = callDatabase(req, ctx);
    check(ctx, 'db', `${database}/${c(req)}`, action);
    return database;
  };
  return {
    Create: endpoint(
      { request: request('Create', { collection, data, id, database }, ['collection', 'data']) },
      (req, ctx) =>
        db.create(
          c(req),
          req.data as JsonObject,
          given({ id: req.id as string | undefined, database: databaseOf(req, ctx) }),
        ),
    ),
    Read: endpoint(
      { request: request('Read', { collection, id, database }, ['collection', 'id']) },
      async (req, ctx) => {
        const record = await db.read(c(req), req.id as string, {
          database: databaseOf(req, ctx, 'read'),
        });
        return record ? { record } : {};
      },
    ),
    Update: endpoint(
      {
        request: request(
          'Update',
          {
            collection,
            id,
            data,
            mode: { enum: ['merge', 'replace'], description: 'merge (the default) or replace' },
            ifVersion: version,
            upsert: { type: 'boolean', description: 'create the record when there is none' },
            database,
          },
          ['collection', 'id', 'data'],
        ),
      },
      (req, ctx) => {
        const { collection: _c, id: i, data: d, database: _d, ...rest } = req;
        const options = given({ ...(rest as UpdateOptions), database: databaseOf(req, ctx) });
        return db.update(c(req), i as string, d as JsonObject, options);
      },
    ),
    Delete: endpoint(
      {
        request: request('Delete', { collection, id, ifVersion: version, database }, [
          'collection',
          'id',
        ]),
      },
      async (req, ctx) => {
        const options = given({
          ifVersion: req.ifVersion as number | undefined,
          database: databaseOf(req, ctx),
        });
        return { deleted: await db.delete(c(req), req.id as string, options) };
      },
    ),
    Query: endpoint(
      {
        request: request(
          'Query',
          {
            collection,
            where,
            sort: {
              type: 'array',
              items: { type: 'string' },
              description: 'field paths, `-` first for descending; ties by id',
            },
            limit: { type: 'integer', minimum: 1, maximum: DB_LIMITS.page },
            cursor: { type: 'string', description: "a previous page's next" },
            database,
          },
          ['collection'],
        ),
      },
      (req, ctx) => {
        const { collection: _c, database: _d, ...rest } = req;
        return db.query(
          c(req),
          given({ ...(rest as QueryOptions), database: databaseOf(req, ctx, 'read') }),
        );
      },
    ),
    Count: endpoint(
      { request: request('Count', { collection, where, database }, ['collection']) },
      async (req, ctx) => {
        const options = given({
          where: req.where as Where | undefined,
          database: databaseOf(req, ctx, 'read'),
        });
        return { count: await db.count(c(req), options) };
      },
    ),
    CreateIndex: endpoint(
      {
        request: request('CreateIndex', { collection, index, database }, ['collection', 'index']),
      },
      async (req, ctx) => ({
        index: await db.createIndex(c(req), req.index as IndexSpec, {
          database: databaseOf(req, ctx),
        }),
      }),
    ),
    DropIndex: endpoint(
      {
        request: request('DropIndex', { collection, name: { type: 'string' }, database }, [
          'collection',
          'name',
        ]),
      },
      async (req, ctx) => ({
        dropped: await db.dropIndex(c(req), req.name as string, { database: databaseOf(req, ctx) }),
      }),
    ),
    Collections: endpoint({ request: request('Collections', { database }) }, async (req, ctx) => {
      check(ctx, 'db', `${typeof req.database === 'string' ? req.database : '*'}/*`, 'read');
      return { collections: await db.collections(req.database as string | undefined) };
    }),
    DropCollection: endpoint(
      { request: request('DropCollection', { collection, database }, ['collection']) },
      async (req, ctx) => ({
        dropped: await db.dropCollection(c(req), { database: databaseOf(req, ctx) }),
      }),
    ),
  };
}

/** Hosts the db service: SQLite in micro.db, or the engine MICRO_DB names (not `micro`). */
export async function hostDb(context: HostContext): Promise<Hosted> {
  const db: Db = await servedEngine(context, {
    name: 'db',
    variable: 'MICRO_DB',
    sqlite: async () =>
      (await import('./sqlite.ts')).createSqliteDb({
        path: context.dbPath,
        nativeBinding: context.nativeBinding,
      }),
    table: async () => (await import('./index.ts')).databases,
    options: { database: DEFAULT_DATABASE },
  });
  return {
    handlers: { Db: dbHandler(db, accessCheck(context.authorize)) },
    close: () => db.close(),
  };
}
