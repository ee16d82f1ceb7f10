// The PostgreSQL engine's SQL: table and index names, and queries compiled to SQL text plus bound
// parameters. No value reaches the text: values are `$n` parameters; what the text holds besides
// is generated here (table and index names from a hash of validated names) or validated field
// names (1 to 64 of [A-Za-z0-9_-], checked before they get here), quoted as jsonb keys.
// Records are rows (id, version, created_at, updated_at, data jsonb). The contract's type order
// (missing/null < false < true < numbers < strings; objects and arrays as missing) is a rank from
// jsonb_typeof, then the number or the string (COLLATE "C": UTF-8 byte order) within the rank.
import { createHash } from 'node:crypto';

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

/** The jsonb value of a field path: the record's own fields, or a path into its data. */
export function field(path: string): string {
  if (path === 'id') return 'to_jsonb(id)';
  if (path === 'createdAt') return 'to_jsonb(created_at)';
  if (path === 'updatedAt') return 'to_jsonb(updated_at)';
  // Names are validated ([A-Za-z0-9_-]) before they get here; this check keeps that promise local.
  const names = path.split('.');
  if (!names.every((n) => /^[A-Za-z0-9_-]{1,64}$/.test(n)))
    throw new TypeError(`invalid field path ${JSON.stringify(path)}`);
  return `(data${names.map((n) => `->'${n}'`).join('')})`;
}

/** Creates an index: expression indexes on the fields; a unique one counts records having them all. */
export function createIndex(table: string, name: string, fields: string[], unique: boolean) {
  const expressions = fields.map(field);
  const having = expressions.map((e) => `jsonb_typeof(${e}) <> 'null'`).join(' AND ');
  return `CREATE ${unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${indexOf(table, name)}
    ON ${table} (${expressions.join(', ')})${unique ? ` WHERE ${having}` : ''}`;
}

/** A JSON value's rank in the type order, as rank() computes it in SQL. */
export function rankOf(v: unknown): number {
  if (v === false) return 1;
  if (v === true) return 2;
  if (typeof v === 'number') return 3;
  if (typeof v === 'string') return 4;
  return 0;
}

const rank = (e: string) =>
  `(CASE jsonb_typeof(${e}) WHEN 'boolean' THEN CASE WHEN ${e} = 'true'::jsonb THEN 2 ELSE 1 END WHEN 'number' THEN 3 WHEN 'string' THEN 4 ELSE 0 END)`;
const num = (e: string) => `(CASE WHEN jsonb_typeof(${e}) = 'number' THEN (${e})::numeric END)`;
const str = (e: string) =>
  `(CASE WHEN jsonb_typeof(${e}) = 'string' THEN ${e} #>> '{}' END COLLATE "C")`;

/** One condition, as the query representation gives it. */
export interface SqlCondition {
  path: string;
  op: 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' | 'prefix' | 'in';
  value: unknown;
}

/** One sort key. */
export interface SqlSort {
  path: string;
  descending: boolean;
}

/** Where the previous page ended: its last record's sort values and id. */
export interface SqlAfter {
  values: unknown[];
  id: string;
}

/** SQL text with its parameters, built left to right. */
export class Sql {
  readonly params: unknown[] = [];
  /** A parameter's placeholder, cast to `type`. */
  param(value: unknown, type: string): string {
    this.params.push(value);
    return `$${this.params.length}::${type}`;
  }
}

const RANGE = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

/** One condition as SQL. */
function condition(sql: Sql, c: SqlCondition): string {
  const e = field(c.path);
  switch (c.op) {
    case 'eq':
      return c.value === null
        ? `(${e} IS NULL OR ${e} = 'null'::jsonb)`
        : `${e} = ${sql.param(JSON.stringify(c.value), 'jsonb')}`;
    case 'ne':
      return c.value === null
        ? `(${e} IS NOT NULL AND ${e} <> 'null'::jsonb)`
        : `(${e} IS NULL OR ${e} <> ${sql.param(JSON.stringify(c.value), 'jsonb')})`;
    case 'prefix':
      return `starts_with(${str(e)}, ${sql.param(c.value, 'text')})`;
    case 'in':
      return `${e} = ANY(${sql.param(
        (c.value as unknown[]).map((v) => JSON.stringify(v)),
        'jsonb[]',
      )})`;
    default:
      return typeof c.value === 'number'
        ? `${num(e)} ${RANGE[c.op]} ${sql.param(c.value, 'numeric')}`
        : `${str(e)} ${RANGE[c.op]} ${sql.param(c.value, 'text')}`;
  }
}

/** The comparison of a sort key with a cursor's value: `>`/`<` past it, or `=`. */
function compare(sql: Sql, e: string, value: unknown, op: '>' | '<' | '='): string {
  const r = rankOf(value);
  const within =
    r === 3
      ? (o: string) => `${num(e)} ${o} ${sql.param(value, 'numeric')}`
      : r === 4
        ? (o: string) => `${str(e)} ${o} ${sql.param(value, 'text')}`
        : undefined;
  if (op === '=') return within ? `(${rank(e)} = ${r} AND ${within('=')})` : `${rank(e)} = ${r}`;
  const past = `${rank(e)} ${op} ${r}`;
  return within ? `(${past} OR (${rank(e)} = ${r} AND ${within(op)}))` : past;
}

/** The keyset condition: records after `after` in the order of `sort`, ties by id ascending. */
function keyset(sql: Sql, sort: SqlSort[], after: SqlAfter): string {
  const alternatives: string[] = [];
  const equal: string[] = [];
  sort.forEach((s, i) => {
    const e = field(s.path);
    alternatives.push(
      [...equal, compare(sql, e, after.values[i], s.descending ? '<' : '>')].join(' AND '),
    );
    equal.push(compare(sql, e, after.values[i], '='));
  });
  alternatives.push([...equal, `id > ${sql.param(after.id, 'text')}`].join(' AND '));
  return `(${alternatives.map((a) => `(${a})`).join(' OR ')})`;
}

/** The WHERE clause of conditions (and a cursor's position): `TRUE` when there are none. */
export function whereClause(
  sql: Sql,
  conditions: SqlCondition[],
  sort: SqlSort[] = [],
  after?: SqlAfter,
): string {
  const parts = conditions.map((c) => condition(sql, c));
  if (after) parts.push(keyset(sql, sort, after));
  return parts.length === 0 ? 'TRUE' : parts.join(' AND ');
}

/** The ORDER BY of a sort: each key by rank, number and string, then id. */
export function orderBy(sort: SqlSort[]): string {
  const keys = sort.flatMap((s) => {
    const e = field(s.path);
    const dir = s.descending ? ' DESC' : '';
    return [`${rank(e)}${dir}`, `${num(e)}${dir}`, `${str(e)}${dir}`];
  });
  return [...keys, 'id'].join(', ');
}
