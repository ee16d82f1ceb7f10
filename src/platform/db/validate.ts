// The one check of what the db is given (names, ids, records, options, where, sort, limit, cursor,
// index specs) against DB_LIMITS. Every engine calls it before touching its store, so memory,
// SQLite, PostgreSQL and the control plane's client give the same 400, naming the field, and store
// nothing. Field paths come out as FieldPath (names of [A-Za-z0-9_-] only), queries as ParsedQuery.
import { shownKey } from '../../runtime/server/closed.ts';
import {
  DB_LIMITS,
  type DbDeleteOptions,
  type DbNamespace,
  type IndexSpec,
  type QueryOptions,
  type UpdateOptions,
} from './db.ts';
import { invalid, kind, shown } from './errors.ts';
import { checkText, isObject } from './json.ts';
import {
  decodeCursor,
  type FieldPath,
  type Op,
  type OwnField,
  type ParsedCondition,
  type ParsedQuery,
  type Scalar,
  type SortKey,
} from './query.ts';

/** The database of a bare client, when a call names none. */
export const DEFAULT_DATABASE = 'micro';
/** Records per page when a query names no limit. */
export const DEFAULT_PAGE = 100;

const NAME = /^[A-Za-z0-9_-]+$/;
const OWN: readonly string[] = ['id', 'createdAt', 'updatedAt'] satisfies OwnField[];

/** A database, collection or index name: 1 to 64 of [A-Za-z0-9_-]. */
export function checkName(name: unknown, field: string): string {
  if (typeof name !== 'string') throw invalid(`${field} must be a string, not ${kind(name)}`);
  if (name.length < 1 || name.length > DB_LIMITS.nameLength || !NAME.test(name))
    throw invalid(
      `${field} must be 1 to ${DB_LIMITS.nameLength} of A-Z a-z 0-9 _ -, not ${shown(name)}`,
    );
  return name;
}

/** A record id: 1 to 256 bytes of well-formed UTF-8 without NUL. */
export function checkId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string') throw invalid(`${field} must be a string, not ${kind(id)}`);
  if (id === '') throw invalid(`${field} must not be empty`);
  checkText(id, field);
  const bytes = Buffer.byteLength(id);
  if (bytes > DB_LIMITS.idBytes)
    throw invalid(`${field} is ${bytes} bytes of UTF-8; the limit is ${DB_LIMITS.idBytes}`);
  return id;
}

/** An options object: undefined, or an object with only these fields (a typo is a 400). */
export function checkFields(
  o: unknown,
  field: string,
  known: readonly string[],
): Record<string, unknown> {
  if (o === undefined) return {};
  if (!isObject(o)) throw invalid(`${field} must be an object, not ${kind(o)}`);
  for (const [k, v] of Object.entries(o))
    if (v !== undefined && !known.includes(k))
      throw invalid(`${shownKey(k)} is not a field of ${field}; it takes ${known.join(', ')}`);
  return o;
}

/** The database a call names (or the default) and its collection. */
export function checkPlace(
  collection: unknown,
  options: DbNamespace | undefined,
  database = DEFAULT_DATABASE,
): { database: string; collection: string } {
  return {
    database: checkName(options?.database ?? database, 'database'),
    collection: checkName(collection, 'collection'),
  };
}

/** An expected version: a whole number from 1, or undefined. */
export function checkVersion(v: unknown, field = 'ifVersion'): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw invalid(`${field} must be a record's version (a whole number from 1), not ${kind(v)}`);
  return v;
}

/** An update's options, checked. */
export function checkUpdate(options: UpdateOptions | undefined): {
  mode: 'merge' | 'replace';
  ifVersion?: number;
  upsert: boolean;
} {
  const o = checkFields(options, 'the update options', ['database', 'mode', 'ifVersion', 'upsert']);
  if (o.mode !== undefined && o.mode !== 'merge' && o.mode !== 'replace')
    throw invalid(`mode must be "merge" or "replace", not ${kind(o.mode)}`);
  if (o.upsert !== undefined && typeof o.upsert !== 'boolean')
    throw invalid(`upsert must be true or false, not ${kind(o.upsert)}`);
  const ifVersion = checkVersion(o.ifVersion);
  return {
    mode: o.mode ?? 'merge',
    upsert: o.upsert === true,
    ...(ifVersion !== undefined && { ifVersion }),
  };
}

/** A delete's options, checked. */
export function checkDelete(options: DbDeleteOptions | undefined): { ifVersion?: number } {
  const o = checkFields(options, 'the delete options', ['database', 'ifVersion']);
  const ifVersion = checkVersion(o.ifVersion);
  return ifVersion === undefined ? {} : { ifVersion };
}

/** A field path: 1 to 8 dot-separated names of [A-Za-z0-9_-]; `id`, `createdAt`, `updatedAt` are the record's. */
export function checkPath(path: unknown, field: string): FieldPath {
  if (typeof path !== 'string') throw invalid(`${field} must be a field path, not ${kind(path)}`);
  const names = path.split('.');
  if (
    path.length > DB_LIMITS.pathDepth * (DB_LIMITS.nameLength + 1) ||
    names.length > DB_LIMITS.pathDepth ||
    names.some((n) => n.length === 0 || n.length > DB_LIMITS.nameLength || !NAME.test(n))
  )
    throw invalid(
      `${field} must be 1 to ${DB_LIMITS.pathDepth} dot-separated names of A-Z a-z 0-9 _ -, not ${shown(path)}`,
    );
  if (OWN.includes(names[0]!)) {
    if (names.length > 1)
      throw invalid(`${field}: ${names[0]} is the record's own, with no fields`);
    return { field: path, names, own: names[0] as OwnField };
  }
  return { field: path, names };
}

function checkScalar(v: unknown, field: string, types: string[], nullable: boolean): Scalar {
  if (v === null && nullable) return null;
  if (!types.includes(typeof v))
    throw invalid(
      `${field} must be ${[...types, ...(nullable ? ['null'] : [])].join(' or ')}, not ${kind(v)}`,
    );
  if (typeof v === 'number' && !Number.isFinite(v)) throw invalid(`${field} must be finite`);
  if (typeof v === 'string') {
    checkText(v, field);
    if (Buffer.byteLength(v) > DB_LIMITS.recordBytes) throw invalid(`${field} is too long`);
  }
  return v as Scalar;
}

const SCALAR = ['string', 'number', 'boolean'];
const RANGE = ['string', 'number'];
const OPS: Record<string, Op> = {
  $eq: 'eq',
  $ne: 'ne',
  $lt: 'lt',
  $lte: 'lte',
  $gt: 'gt',
  $gte: 'gte',
  $prefix: 'prefix',
  $in: 'in',
};

/** A where, checked: one ParsedCondition per operator, at most 32. */
export function checkWhere(where: unknown): ParsedCondition[] {
  if (where === undefined) return [];
  if (!isObject(where)) throw invalid(`where must be an object of conditions, not ${kind(where)}`);
  const out: ParsedCondition[] = [];
  for (const [field, cond] of Object.entries(where)) {
    const at = `where[${shown(field)}]`;
    const path = checkPath(field, `where: the field path ${shown(field)}`);
    if (!isObject(cond)) {
      if (Array.isArray(cond))
        throw invalid(`${at} must be a scalar or operators; for a list use $in`);
      out.push({ path, op: 'eq', value: checkScalar(cond, at, SCALAR, true) });
    } else {
      const ops = Object.entries(cond);
      if (ops.length === 0)
        throw invalid(`${at} has no operator; give one of ${Object.keys(OPS).join(', ')}`);
      for (const [name, value] of ops) {
        const op = Object.hasOwn(OPS, name) ? OPS[name] : undefined;
        const f = `${at}.${shownKey(name)}`;
        if (op === undefined)
          throw invalid(`${f} is not an operator; give one of ${Object.keys(OPS).join(', ')}`);
        out.push({ path, op, value: checkOperand(op, value, f) });
      }
    }
    if (out.length > DB_LIMITS.conditions)
      throw invalid(`where has more than ${DB_LIMITS.conditions} conditions`);
  }
  return out;
}

function checkOperand(op: Op, value: unknown, field: string): Scalar | Scalar[] {
  if (op === 'eq' || op === 'ne') return checkScalar(value, field, SCALAR, true);
  if (op === 'prefix') return checkScalar(value, field, ['string'], false);
  if (op !== 'in') return checkScalar(value, field, RANGE, false);
  if (!Array.isArray(value) || value.length === 0 || value.length > DB_LIMITS.inValues)
    throw invalid(
      `${field} must be an array of 1 to ${DB_LIMITS.inValues} values, not ${kind(value)}`,
    );
  return value.map((v, i) => checkScalar(v, `${field}[${i}]`, SCALAR, false));
}

/** A sort, checked, the id key appended (in the last key's direction) unless it is there. */
export function checkSort(sort: unknown): SortKey[] {
  if (sort === undefined) sort = [];
  if (!Array.isArray(sort))
    throw invalid(`sort must be an array of field paths, not ${kind(sort)}`);
  if (sort.length > DB_LIMITS.sortFields)
    throw invalid(`sort has ${sort.length} fields; the limit is ${DB_LIMITS.sortFields}`);
  const keys = sort.map((s: unknown, i): SortKey => {
    const desc = typeof s === 'string' && s.startsWith('-');
    return { path: checkPath(desc ? s.slice(1) : s, `sort[${i}]`), desc };
  });
  const seen = new Set<string>();
  for (const [i, k] of keys.entries()) {
    if (seen.has(k.path.field)) throw invalid(`sort[${i}] repeats ${shown(k.path.field)}`);
    seen.add(k.path.field);
  }
  if (!seen.has('id'))
    keys.push({
      path: { field: 'id', names: ['id'], own: 'id' },
      desc: keys.at(-1)?.desc ?? false,
    });
  return keys;
}

/** A query's options, checked. */
export function checkQuery(options: QueryOptions | undefined): ParsedQuery {
  const o = checkFields(options, 'the query options', [
    'database',
    'where',
    'sort',
    'limit',
    'cursor',
  ]);
  const limit = o.limit ?? DEFAULT_PAGE;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > DB_LIMITS.page)
    throw invalid(`limit must be a whole number from 1 to ${DB_LIMITS.page}, not ${kind(limit)}`);
  const query: ParsedQuery = { conditions: checkWhere(o.where), sort: checkSort(o.sort), limit };
  if (o.cursor !== undefined) {
    if (
      typeof o.cursor !== 'string' ||
      o.cursor === '' ||
      o.cursor.length > 3 * DB_LIMITS.recordBytes
    )
      throw invalid(`cursor must be a previous page's next, not ${kind(o.cursor)}`);
    query.after = decodeCursor(o.cursor, query.sort);
  }
  return query;
}

/** A count's options, checked. */
export function checkCount(
  options: Pick<QueryOptions, 'where' | 'database'> | undefined,
): ParsedCondition[] {
  return checkWhere(checkFields(options, 'the count options', ['database', 'where']).where);
}

/** An index spec, checked, with its default name and unique flag filled in. */
export function checkIndex(index: unknown): Required<IndexSpec> {
  const o = checkFields(index, 'index', ['name', 'fields', 'unique']);
  if (index === undefined) throw invalid('index must be an object {fields, name?, unique?}');
  const fields = o.fields;
  if (Array.isArray(fields) && fields.length > DB_LIMITS.indexFields)
    throw invalid(`index.fields has ${fields.length} fields; at most ${DB_LIMITS.indexFields}`);
  if (!Array.isArray(fields) || fields.length < 1)
    throw invalid(
      `index.fields must be an array of 1 to ${DB_LIMITS.indexFields} field paths, not ${kind(fields)}`,
    );
  const paths = fields.map((f: unknown, i) => checkPath(f, `index.fields[${i}]`).field);
  const dup = paths.findIndex((p, i) => paths.indexOf(p) !== i);
  if (dup >= 0) throw invalid(`index.fields[${dup}] repeats ${shown(paths[dup]!)}`);
  if (o.unique !== undefined && typeof o.unique !== 'boolean')
    throw invalid(`index.unique must be true or false, not ${kind(o.unique)}`);
  const fallback = paths.map((p) => p.replaceAll('.', '-')).join('_');
  if (o.name === undefined && fallback.length > DB_LIMITS.nameLength)
    throw invalid(`index.name must be given: the default ${shown(fallback)} is too long`);
  return {
    name: checkName(o.name ?? fallback, 'index.name'),
    fields: paths,
    unique: o.unique === true,
  };
}
