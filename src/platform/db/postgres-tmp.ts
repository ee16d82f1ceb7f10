// TEMPORARY until db-core's validate/query are merged.
import { badRequest } from '../../runtime/errors.ts';
import type { DbRecord, IndexSpec, JsonObject, QueryOptions } from './db.ts';
import type { SqlAfter, SqlCondition, SqlSort } from './postgres-sql.ts';

export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v)) {
      const t = out[k];
      out[k] = mergePatch(
        typeof t === 'object' && t !== null && !Array.isArray(t) ? (t as JsonObject) : {},
        v as JsonObject,
      );
    } else out[k] = v;
  }
  return out;
}
export const checkSize = (d: JsonObject) => {
  if (JSON.stringify(d).length > 1024 * 1024) throw badRequest('db', 'record too big');
};
export const versionConflict = (id: string, where: string, want: number, have?: number) =>
  have === undefined
    ? `record ${JSON.stringify(id)} does not exist in ${where} (expected version ${want})`
    : `record ${JSON.stringify(id)} in ${where} is at version ${have}, not ${want}`;
export const checkIndex = (i: IndexSpec): Required<IndexSpec> => ({
  name: i.name ?? i.fields.join('_'),
  fields: i.fields,
  unique: i.unique ?? false,
});
const OPS = {
  $eq: 'eq',
  $ne: 'ne',
  $lt: 'lt',
  $lte: 'lte',
  $gt: 'gt',
  $gte: 'gte',
  $prefix: 'prefix',
  $in: 'in',
} as const;
const valueAt = (r: DbRecord, path: string): unknown => {
  if (path === 'id') return r.id;
  if (path === 'createdAt') return r.createdAt;
  if (path === 'updatedAt') return r.updatedAt;
  let v: unknown = r.data;
  for (const n of path.split('.'))
    v = v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject)[n] : undefined;
  return v === undefined ? null : v;
};
export function planQuery(o: QueryOptions) {
  const conditions: SqlCondition[] = [];
  for (const [path, c] of Object.entries(o.where ?? {})) {
    if (c === null || typeof c !== 'object') conditions.push({ path, op: 'eq', value: c });
    else
      for (const [op, value] of Object.entries(c))
        conditions.push({ path, op: OPS[op as keyof typeof OPS], value });
  }
  const sort: SqlSort[] = (o.sort ?? []).map((s) =>
    s.startsWith('-') ? { path: s.slice(1), descending: true } : { path: s, descending: false },
  );
  const after = o.cursor
    ? (JSON.parse(Buffer.from(o.cursor, 'base64url').toString()) as SqlAfter)
    : undefined;
  return {
    conditions,
    sort,
    after,
    limit: o.limit ?? 100,
    cursorAfter: (r: DbRecord) =>
      Buffer.from(
        JSON.stringify({ values: sort.map((s) => valueAt(r, s.path)), id: r.id }),
      ).toString('base64url'),
  };
}
