// The `micro` db, every service's default: the Db interface served by the control plane's `db`
// service, called through a runtime Client (the service's own, or one made here that finds the
// control plane at `address`, 127.0.0.1:8000 by default). Input is checked here first with the
// check every engine runs (validate.ts), so a bad call fails at once with the error the server
// would give; the served Db's errors (400, 404, 409) come back as they were raised; a control plane that does not answer is a
// 503 saying where it looked and what to do. Guarantees are the served engine's (SQLite: durable
// once acknowledged). A call naming no database uses `database` (a service's own name), else the
// server's default: the calling service's name, or `micro`.
import type { Client } from '../../runtime/client/client.ts';
import { MicroError, toMicroError } from '../../runtime/errors.ts';
import { connect, CONTROL_PLANE_ADDRESS } from '../store/client.ts';
import type { CollectionInfo, Db, DbRecord, IndexSpec, RecordPage } from './db.ts';
import { DB_ID } from './errors.ts';
import { checkRecord } from './json.ts';
import {
  checkCount,
  checkDelete,
  checkFields,
  checkId,
  checkIndex,
  checkName,
  checkQuery,
  checkUpdate,
} from './validate.ts';

/** Options of the control plane's db client. */
export interface MicroDbOptions {
  /** The client to call through (a service's own); without it one is made for `address`. */
  client?: Client;
  /** The control plane's registry address (default 127.0.0.1:8000), when no client is given. */
  address?: string;
  /** The database of calls that name none (default: the server's: the caller's name, or `micro`). */
  database?: string;
  /** Milliseconds a call may take (default 10,000). */
  timeout?: number;
}

/**
 * The database named after a service: its name with each character a database name cannot hold
 * (`.`, `/`, spaces...) made `_`, cut to 64 (`go.micro.greeter` keeps its records in `go_micro_greeter`).
 */
export const serviceDatabase = (service: string): string =>
  service.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'micro';

/** A Db that calls the control plane's `db` service. */
export function createMicroDb(options: MicroDbOptions = {}): Db {
  const address = options.address ?? CONTROL_PLANE_ADDRESS;
  const timeout = options.timeout ?? 10_000;
  let own: Promise<Client> | undefined;
  const client = (): Promise<Client> =>
    options.client ? Promise.resolve(options.client) : (own ??= connect(address));
  const where = options.client ? 'the db service' : `the db service at ${address}`;

  const call = async <T>(endpoint: string, body: object): Promise<T> => {
    try {
      return await (await client()).call<T>('db', `Db.${endpoint}`, body, { timeout });
    } catch (err) {
      throw explain(toMicroError(err, DB_ID), where);
    }
  };
  /** The call's database, checked: the one named, else this client's default, else none (the server's). */
  const db = (o: { database?: unknown } | undefined) => {
    const database = o?.database ?? options.database;
    return database === undefined ? {} : { database: checkName(database, 'database') };
  };
  const named = (collection: unknown) => checkName(collection, 'collection');

  return {
    name: 'micro',
    address,
    async create(collection, data, opts) {
      const o = checkFields(opts, 'the create options', ['database', 'id']);
      const body = { collection: named(collection), data, ...db(opts) };
      checkRecord(data);
      return call<DbRecord>('Create', o.id === undefined ? body : { ...body, id: checkId(o.id) });
    },
    async read(collection, id, opts) {
      checkFields(opts, 'the read options', ['database']);
      const body = { collection: named(collection), id: checkId(id), ...db(opts) };
      return (await call<{ record?: DbRecord }>('Read', body)).record;
    },
    async update(collection, id, data, opts) {
      const o = checkUpdate(opts);
      const body = { collection: named(collection), id: checkId(id), data, ...o, ...db(opts) };
      checkRecord(data);
      return call<DbRecord>('Update', body);
    },
    async delete(collection, id, opts) {
      const o = checkDelete(opts);
      const body = { collection: named(collection), id: checkId(id), ...o, ...db(opts) };
      return (await call<{ deleted: boolean }>('Delete', body)).deleted;
    },
    async query(collection, opts) {
      checkQuery(opts);
      const { where, sort, limit, cursor } = opts ?? {};
      const body = { collection: named(collection), where, sort, limit, cursor, ...db(opts) };
      return call<RecordPage>('Query', body);
    },
    async count(collection, opts) {
      checkCount(opts);
      const body = { collection: named(collection), where: opts?.where, ...db(opts) };
      return (await call<{ count: number }>('Count', body)).count;
    },
    async createIndex(collection, index, opts) {
      checkFields(opts, 'the index options', ['database']);
      const body = { collection: named(collection), index: checkIndex(index), ...db(opts) };
      return (await call<{ index: Required<IndexSpec> }>('CreateIndex', body)).index;
    },
    async dropIndex(collection, name, opts) {
      checkFields(opts, 'the index options', ['database']);
      const body = { collection: named(collection), name: checkName(name, 'name'), ...db(opts) };
      return (await call<{ dropped: boolean }>('DropIndex', body)).dropped;
    },
    async collections(database) {
      const body = database === undefined ? {} : { database: checkName(database, 'database') };
      return (await call<{ collections: CollectionInfo[] }>('Collections', body)).collections;
    },
    async dropCollection(collection, opts) {
      checkFields(opts, 'the drop options', ['database']);
      const body = { collection: named(collection), ...db(opts) };
      return (await call<{ dropped: boolean }>('DropCollection', body)).dropped;
    },
    async close() {
      if (own) await (await own).close();
    },
  };
}

/** The db's own errors as they were raised; failures to reach it say where and what to do. */
function explain(err: MicroError, where: string): MicroError {
  if (err.id === DB_ID || err.code < 404 || err.code === 409) return err;
  // The registry's own error already says where it looked and what to do.
  const hint = /micro run/.test(err.detail)
    ? ''
    : '; start the control plane with "micro run", or set MICRO_DB and MICRO_DB_ADDRESS';
  return new MicroError(
    DB_ID,
    err.code === 404 ? 503 : err.code,
    `no answer from ${where} (${err.detail})${hint}`,
  );
}
