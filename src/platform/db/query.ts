// The engine-neutral form of a query, what validate.ts makes of a caller's where, sort and cursor,
// and the contract's type order, shared by every engine: memory evaluates it in JavaScript, SQLite
// and PostgreSQL compile it to parameterised SQL.
//
// Type order (sort and cursor): missing/null < false < true < numbers < strings (by code point,
// the UTF-8 byte order) ; objects and arrays sort as missing. A path descends through objects only:
// an array or a scalar on the way makes the field missing. Equality is by type and value (1 is not
// "1"); null equals a missing or null field only (not an object or array); $ne is its negation, so
// it matches a missing field. Range operators and $prefix match only values of their operand's
// type. Ties are broken by id, in the direction of the last sort field (so one index scan,
// forwards or backwards, gives the whole order); the sort keys of a ParsedQuery always end with
// that id key. The cursor is opaque base64url of the sort fields and the last record's sort values
// (id last), so paging needs no server state.
import { compareKeys } from '../store/order.ts';
import type { DbRecord } from './db.ts';
import { invalid } from './errors.ts';
import { isObject } from './json.ts';

/** A JSON scalar, as conditions and sort values hold. */
export type Scalar = string | number | boolean | null;

/** The record's own fields a path may name instead of one in its data. */
export type OwnField = 'id' | 'createdAt' | 'updatedAt';

/** A checked field path. */
export interface FieldPath {
  /** As the caller wrote it (`address.city`). */
  field: string;
  /** Its names, each of [A-Za-z0-9_-] (`['address', 'city']`). */
  names: string[];
  /** Set when it names the record's own field rather than one in its data. */
  own?: OwnField;
}

/** A condition's operator. */
export type Op = 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' | 'prefix' | 'in';

/** One checked condition: eq/ne a scalar or null; lt..gte a number or string; prefix a string; in scalars. */
export interface ParsedCondition {
  path: FieldPath;
  op: Op;
  value: Scalar | Scalar[];
}

/** One sort key. */
export interface SortKey {
  path: FieldPath;
  desc: boolean;
}

/** A query, checked. */
export interface ParsedQuery {
  conditions: ParsedCondition[];
  /** The sort keys, the id key last. */
  sort: SortKey[];
  limit: number;
  /** The sort values (one per sort key) of the record the previous page ended on. */
  after?: Scalar[];
}

/** Rank of a value in the type order: 0 missing/null/object/array, 1 false, 2 true, 3 number, 4 string. */
export function rankOf(v: unknown): number {
  if (v === false) return 1;
  if (v === true) return 2;
  if (typeof v === 'number') return 3;
  if (typeof v === 'string') return 4;
  return 0;
}

/** The value as sorted and put in cursors: null for whatever sorts as missing. */
export const sortValue = (v: unknown): Scalar => (rankOf(v) === 0 ? null : (v as Scalar));

/** Compares two values in the type order. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = rankOf(a);
  const rb = rankOf(b);
  if (ra !== rb) return ra - rb;
  if (ra === 3) return (a as number) - (b as number);
  if (ra === 4) return compareKeys(a as string, b as string);
  return 0;
}

/** A record's value at a path (undefined when missing). */
export function fieldValue(record: DbRecord, path: FieldPath): unknown {
  if (path.own) return record[path.own];
  let v: unknown = record.data;
  for (const name of path.names) {
    if (!isObject(v) || !Object.hasOwn(v, name)) return undefined;
    v = v[name];
  }
  return v;
}

const same = (v: unknown, want: Scalar): boolean =>
  want === null ? v === undefined || v === null : v === want;

/** Whether a record's value meets one condition. */
export function meets(v: unknown, c: ParsedCondition): boolean {
  const want = c.value;
  switch (c.op) {
    case 'eq':
      return same(v, want as Scalar);
    case 'ne':
      return !same(v, want as Scalar);
    case 'in':
      return (want as Scalar[]).some((w) => same(v, w));
    case 'prefix':
      return typeof v === 'string' && v.startsWith(want as string);
  }
  if (typeof v !== typeof want) return false;
  const d = compareValues(v, want);
  return c.op === 'lt' ? d < 0 : c.op === 'lte' ? d <= 0 : c.op === 'gt' ? d > 0 : d >= 0;
}

/** Whether a record meets every condition. */
export const matches = (record: DbRecord, conditions: ParsedCondition[]): boolean =>
  conditions.every((c) => meets(fieldValue(record, c.path), c));

/** A record's sort values, one per sort key. */
export const sortValuesOf = (record: DbRecord, sort: SortKey[]): Scalar[] =>
  sort.map((k) => sortValue(fieldValue(record, k.path)));

/** Compares two lists of sort values in the sort's order. */
export function compareSorted(a: Scalar[], b: Scalar[], sort: SortKey[]): number {
  for (let i = 0; i < sort.length; i++) {
    const d = compareValues(a[i], b[i]);
    if (d !== 0) return sort[i]!.desc ? -d : d;
  }
  return 0;
}

/** The sort as written in cursors (`-age`, `name`, `id`). */
const sortText = (sort: SortKey[]): string[] =>
  sort.map((k) => (k.desc ? `-${k.path.field}` : k.path.field));

/** The cursor naming the record whose sort values these are. */
export const encodeCursor = (sort: SortKey[], values: Scalar[]): string =>
  Buffer.from(JSON.stringify({ s: sortText(sort), k: values })).toString('base64url');

/** The sort values a cursor names; a 400 for a cursor that is not a next of a query with this sort. */
export function decodeCursor(cursor: string, sort: SortKey[]): Scalar[] {
  const bad = () => invalid('cursor is not a next of this query (give the same where and sort)');
  let parsed: unknown;
  try {
    const text = Buffer.from(cursor, 'base64url').toString();
    if (Buffer.from(text).toString('base64url') !== cursor) throw bad();
    parsed = JSON.parse(text);
  } catch {
    throw bad();
  }
  if (!isObject(parsed) || !Array.isArray(parsed.k) || !Array.isArray(parsed.s)) throw bad();
  const s = parsed.s as unknown[];
  const k = parsed.k as unknown[];
  const want = sortText(sort);
  if (s.length !== want.length || s.some((f, i) => f !== want[i]) || k.length !== sort.length)
    throw bad();
  for (let i = 0; i < k.length; i++) {
    const v = k[i];
    if (v !== null && rankOf(v) === 0) throw bad();
    if (typeof v === 'string' && (v.includes('\0') || !v.isWellFormed())) throw bad();
    if (sort[i]!.path.own && rankOf(v) !== (sort[i]!.path.own === 'id' ? 4 : 3)) throw bad();
  }
  return k as Scalar[];
}

/** The SQL/JSON path of a data path (`$."address"."city"`), as SQLite and PostgreSQL read it. */
export const jsonPath = (path: FieldPath): string =>
  `$${path.names.map((n) => `."${n}"`).join('')}`;

/**
 * The least string after every string starting with `prefix` (in code point order), for a range
 * scan; undefined when there is none (an empty prefix, or only U+10FFFF).
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last === 0x10ffff) continue;
    const next = last === 0xd7ff ? 0xe000 : last + 1;
    return points.join('') + String.fromCodePoint(next);
  }
  return undefined;
}
