// The PostgreSQL engine's SQL: table and index names, and queries compiled to SQL text plus bound
// parameters. No value reaches the text: values are `$n` parameters; what the text holds besides
// is generated here (table and index names from a hash of validated names) or validated field
// names (1 to 64 of [A-Za-z0-9_-], checked before they get here), quoted as jsonb keys.
// Records are rows (id, version, created_at, updated_at, data jsonb). The contract's type order
// (missing/null < false < true < numbers < strings; objects and arrays as missing) is a rank from
// jsonb_typeof, then the number or the string (COLLATE "C": UTF-8 byte order) within the rank.
import { createHash } from 'node:crypto';
import type { IndexSpec } from './db.ts';
import {
  rankOf,
  type FieldPath,
  type ParsedCondition,
  type ParsedQuery,
  type Scalar,
  type SortKey,
} from './query.ts';

/** The catalog of collections. */
export const COLLECTIONS = 'micro_db_collections';
/** The catalog of indexes. */
export const INDEXES = 'micro_db_indexes';

/** Creates the catalogs. */
export const CATALOG = [
  `CREATE TABLE IF NOT EXISTS ${COLLECTIONS} (database text COLLATE "C" NOT NULL,
    collection text COLLATE "C" NOT NULL, created_at bigint NOT NULL,
    PRIMARY KEY (database, collection))`,
  `CREATE TABLE IF NOT EXISTS ${INDEXES} (database text COLLATE "C" NOT NULL,
    collection text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL, fields jsonb NOT NULL,
    is_unique boolean NOT NULL, PRIMARY KEY (database, collection, name))`,
];

const hash = (...parts: string[]): string =>
  createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 24);

/** The table of a collection: a name made here, the same in every process. */
export const tableOf = (database: string, collection: string): string =>
  `micro_db_r_${hash(database, collection)}`;

/** The PostgreSQL name of an index of a table. */
export const indexOf = (table: string, name: string): string => `micro_db_i_${hash(table, name)}`;

/** Creates a collection's table. */
export const createTable = (table: string): string =>
  `CREATE TABLE IF NOT EXISTS ${table} (id text COLLATE "C" PRIMARY KEY,
    version integer NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL,
    data jsonb NOT NULL)`;

/** The columns a record is read from. */
export const RECORD =
  'id, version, created_at::float8 AS created_at, updated_at::float8 AS updated_at, data';

/** The jsonb value of a field path: the record's own field, or the path into its data. */
function value(path: FieldPath): string {
  if (path.own) return `to_jsonb(${OWN[path.own]})`;
  // Names are checked ([A-Za-z0-9_-]) before they get here; this keeps that promise local.
  if (!path.names.every((n) => /^[A-Za-z0-9_-]{1,64}$/.test(n)))
    throw new TypeError(`invalid field path ${JSON.stringify(path.field)}`);
  return `(data${path.names.map((n) => `->'${n}'`).join('')})`;
}

const OWN = { id: 'id', createdAt: 'created_at', updatedAt: 'updated_at' } as const;

/** Creates an index: expression indexes on the fields; a unique one counts records having them all. */
export function createIndex(table: string, spec: Required<IndexSpec>, paths: FieldPath[]): string {
  // The record's own fields are columns (to_jsonb is not immutable, so no index may use it).
  const expressions = paths.map((p) => (p.own ? OWN[p.own] : value(p)));
  // As every engine: a record whose value of a field sorts as missing (null, object, array) is not counted.
  const having =
    paths
      .filter((p) => !p.own)
      .map((p) => `jsonb_typeof(${value(p)}) IN ('string', 'number', 'boolean')`)
      .join(' AND ') || 'TRUE';
  return `CREATE ${spec.unique ? 'UNIQUE ' : ''}INDEX ${indexOf(table, spec.name)}
    ON ${table} (${expressions.join(', ')})${spec.unique ? ` WHERE ${having}` : ''}`;
}

/** A sort key's rank in the type order, and its value within the rank, as SQL. */
function key(path: FieldPath): { rank: string; num: string; str: string } {
  if (path.own === 'id') return { rank: '4', num: 'NULL::numeric', str: 'id' };
  if (path.own) return { rank: '3', num: OWN[path.own], str: 'NULL::text' };
  const e = value(path);
  return {
    rank: `(CASE jsonb_typeof(${e}) WHEN 'boolean' THEN CASE WHEN ${e} = 'true'::jsonb THEN 2 ELSE 1 END WHEN 'number' THEN 3 WHEN 'string' THEN 4 ELSE 0 END)`,
    num: `(CASE WHEN jsonb_typeof(${e}) = 'number' THEN (${e})::numeric END)`,
    str: `(CASE WHEN jsonb_typeof(${e}) = 'string' THEN ${e} #>> '{}' END COLLATE "C")`,
  };
}

/** SQL text's parameters, numbered as they are added. */
export class Params {
  readonly values: unknown[] = [];
  /** A parameter's placeholder, cast to `type`. */
  add(v: unknown, type: string): string {
    this.values.push(v);
    return `$${this.values.length}::${type}`;
  }
}

const RANGE = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

/** One condition as SQL. */
function condition(p: Params, c: ParsedCondition): string {
  const e = value(c.path);
  switch (c.op) {
    case 'eq':
      return c.value === null
        ? `(${e} IS NULL OR ${e} = 'null'::jsonb)`
        : `${e} = ${p.add(JSON.stringify(c.value), 'jsonb')}`;
    case 'ne':
      return c.value === null
        ? `(${e} IS NOT NULL AND ${e} <> 'null'::jsonb)`
        : `(${e} IS NULL OR ${e} <> ${p.add(JSON.stringify(c.value), 'jsonb')})`;
    case 'prefix':
      return `starts_with(${key(c.path).str}, ${p.add(c.value, 'text')})`;
    case 'in':
      return `${e} = ANY(${p.add(
        (c.value as Scalar[]).map((v) => JSON.stringify(v)),
        'jsonb[]',
      )})`;
    default:
      return typeof c.value === 'number'
        ? `${key(c.path).num} ${RANGE[c.op]} ${p.add(c.value, 'numeric')}`
        : `${key(c.path).str} ${RANGE[c.op]} ${p.add(c.value, 'text')}`;
  }
}

/** A sort key against a cursor's value: past it (`>` or `<`), or equal to it (`=`). */
function compare(p: Params, path: FieldPath, v: Scalar, op: '>' | '<' | '='): string {
  const k = key(path);
  const r = rankOf(v);
  const within =
    r === 3
      ? (o: string) => `${k.num} ${o} ${p.add(v, 'numeric')}`
      : r === 4
        ? (o: string) => `${k.str} ${o} ${p.add(v, 'text')}`
        : undefined;
  if (op === '=') return within ? `(${k.rank} = ${r} AND ${within('=')})` : `${k.rank} = ${r}`;
  const past = `${k.rank} ${op} ${r}`;
  return within ? `(${past} OR (${k.rank} = ${r} AND ${within(op)}))` : past;
}

/** Records after the cursor's values in the sort's order (whose last key is the unique id). */
function keyset(p: Params, sort: SortKey[], after: Scalar[]): string {
  const alternatives: string[] = [];
  const equal: string[] = [];
  sort.forEach((s, i) => {
    const v = after[i] ?? null;
    alternatives.push([...equal, compare(p, s.path, v, s.desc ? '<' : '>')].join(' AND '));
    // Every parameter added must appear in the text: the last key's equality is never needed.
    if (i < sort.length - 1) equal.push(compare(p, s.path, v, '='));
  });
  return `(${alternatives.map((a) => `(${a})`).join(' OR ')})`;
}

/** The WHERE clause of a query's conditions and cursor: `TRUE` when there are none. */
export function whereClause(p: Params, q: Pick<ParsedQuery, 'conditions'> & Partial<ParsedQuery>) {
  const parts = q.conditions.map((c) => condition(p, c));
  if (q.after && q.sort) parts.push(keyset(p, q.sort, q.after));
  return parts.length === 0 ? 'TRUE' : parts.join(' AND ');
}

/** The ORDER BY of a sort: each key by rank, then number, then string. */
export function orderBy(sort: SortKey[]): string {
  return sort
    .flatMap((s) => {
      const k = key(s.path);
      const dir = s.desc ? ' DESC' : '';
      return [k.rank, k.num, k.str]
        .filter((x) => !x.startsWith('NULL') && !/^\d$/.test(x))
        .map((x) => `${x}${dir}`);
    })
    .join(', ');
}
