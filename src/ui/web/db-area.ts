// The dashboard's routes to the db area, its collection browser's reads and writes, through the Db
// interface: GET /_/api/db/collections, /query (where as JSON text, sort as `a,-b`, paged by the
// cursor), /count and /read (a 404 for no such record, as `micro db get`); POST /_/api/db/create, /update and /delete, admitted only from the
// dashboard's pages (the POST guard). A page of a query holds at most MAX_QUERY records, and a
// record longer than LIST_VALUE_BYTES as JSON is listed with empty data and `dataBytes` set: open
// it (db/read) to see it whole. The Db checks names, where, sort and data, and its 400s and 409s
// reach the page as they were. A request naming no database uses `micro`, as the CLI does.
import type { Db, DbRecord, JsonObject, Where } from '../../platform/db/db.ts';
import { DB_ID } from '../../platform/db/errors.ts';
import { DEFAULT_DATABASE } from '../../platform/db/validate.ts';
import { badRequest, notFound } from '../../runtime/index.ts';
import {
  areaGet,
  areaPost,
  defined,
  needObject,
  needText,
  optBool,
  optInt,
  optJsonObject,
  optText,
  tooLong,
  type AreaRoute,
  type Fields,
} from './area-routes.ts';
import { WEB_ID } from './web.ts';

/** Records per page of a query in the dashboard. */
export const MAX_QUERY = 200;

/** A record as a listing shows it: whole, or with empty data when long (`dataBytes` says how long). */
export type ListedRecord = DbRecord & { dataBytes?: number };

const listed = (r: DbRecord): ListedRecord => {
  const bytes = tooLong(r.data);
  return bytes === undefined ? r : { ...r, data: {}, dataBytes: bytes };
};

/** The database a request names, else `micro` as in the CLI (not the dashboard's own service's). */
const database = (r: Fields) => optText(r, 'database', 64) ?? DEFAULT_DATABASE;
const collection = (r: Fields) => needText(r, 'collection');
const VERSION = Number.MAX_SAFE_INTEGER;

/** `a, -b` as ['a', '-b']; at most 4 fields (the Db checks the names). */
function sortOf(r: Fields): string[] | undefined {
  const text = optText(r, 'sort', 1024);
  if (text === undefined) return undefined;
  const fields = text
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (fields.length > 4) throw badRequest(WEB_ID, 'sort takes at most 4 fields');
  return fields;
}

/** An update's mode: merge or replace. */
function modeOf(r: Fields): 'merge' | 'replace' | undefined {
  const mode = optText(r, 'mode', 16);
  if (mode === undefined || mode === 'merge' || mode === 'replace') return mode;
  throw badRequest(WEB_ID, `mode must be merge or replace, not ${mode}`);
}

/** The db area's routes, by path under /_/api/. */
export const DB_ROUTES: Readonly<Record<string, AreaRoute<Db>>> = {
  'db/collections': areaGet({ database: 'text' }, async (db, r) => ({
    collections: await db.collections(optText(r, 'database', 64)),
  })),
  'db/query': areaGet(
    {
      collection: 'text',
      database: 'text',
      where: 'text',
      sort: 'text',
      limit: 'number',
      cursor: 'text',
    },
    async (db, r) => {
      const page = await db.query(
        collection(r),
        defined({
          database: database(r),
          where: optJsonObject(r, 'where') as Where | undefined,
          sort: sortOf(r),
          limit: optInt(r, 'limit', 1, MAX_QUERY) ?? 50,
          cursor: optText(r, 'cursor', 4096),
        }),
      );
      return { ...page, records: page.records.map(listed) };
    },
  ),
  'db/count': areaGet({ collection: 'text', database: 'text', where: 'text' }, async (db, r) => ({
    count: await db.count(
      collection(r),
      defined({ database: database(r), where: optJsonObject(r, 'where') as Where | undefined }),
    ),
  })),
  'db/read': areaGet({ collection: 'text', database: 'text', id: 'text' }, async (db, r) => {
    const [name, id, space] = [collection(r), needText(r, 'id'), database(r)];
    const record = await db.read(name, id, { database: space });
    if (!record)
      throw notFound(DB_ID, `record ${JSON.stringify(id)} not found in ${space}/${name}`);
    return { record };
  }),
  'db/create': areaPost(
    { collection: 'text', database: 'text', id: 'text', data: 'json' },
    async (db, r) =>
      db.create(
        collection(r),
        needObject(r, 'data') as JsonObject,
        defined({ database: database(r), id: optText(r, 'id', 1024) }),
      ),
  ),
  'db/update': areaPost(
    {
      collection: 'text',
      database: 'text',
      id: 'text',
      data: 'json',
      mode: 'text',
      ifVersion: 'number',
      upsert: 'boolean',
    },
    async (db, r) => {
      return db.update(
        collection(r),
        needText(r, 'id'),
        needObject(r, 'data'),
        defined({
          database: database(r),
          mode: modeOf(r),
          ifVersion: optInt(r, 'ifVersion', 1, VERSION),
          upsert: optBool(r, 'upsert'),
        }),
      );
    },
  ),
  'db/delete': areaPost(
    { collection: 'text', database: 'text', id: 'text', ifVersion: 'number' },
    async (db, r) => ({
      deleted: await db.delete(
        collection(r),
        needText(r, 'id'),
        defined({ database: database(r), ifVersion: optInt(r, 'ifVersion', 1, VERSION) }),
      ),
    }),
  ),
};
