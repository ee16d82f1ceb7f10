// The one check of what a store is given (keys, namespaces, values, leases, conditions, options)
// against STORE_LIMITS. Every implementation calls it before touching its engine, so memory,
// SQLite, the control plane's client, etcd, Redis and NATS give the same 400, naming the field, and
// store nothing. Values are checked as JSON by walking them (JSON.stringify would drop undefined and
// functions and turn NaN into null silently), and measured as the JSON text the store keeps.
import { shownKey } from '../../runtime/server/closed.ts';
import { invalid, kind, shown } from './errors.ts';
import { checkValue } from './value.ts';
import {
  STORE_LIMITS,
  type DeleteOptions,
  type ListOptions,
  type Namespace,
  type Operation,
  type PutOptions,
  type WatchOptions,
} from './store.ts';

/** The default table, when a call names none. */
export const DEFAULT_TABLE = 'default';
/** The default database of a bare client, when a call names none. */
export const DEFAULT_DATABASE = 'micro';

const NAME = /^[A-Za-z0-9._-]+$/;

/** A key or prefix: a well-formed string without NUL, within the byte limit (empty only for a prefix). */
export function checkKey(key: unknown, field = 'key', empty = false): string {
  if (typeof key !== 'string') throw invalid(`${field} must be a string, not ${kind(key)}`);
  if (key === '' && !empty) throw invalid(`${field} must not be empty`);
  if (key.includes('\0')) throw invalid(`${field} must not contain NUL (\\u0000)`);
  if (!key.isWellFormed()) throw invalid(`${field} must be well-formed Unicode (a lone surrogate)`);
  const bytes = Buffer.byteLength(key);
  if (bytes > STORE_LIMITS.keyBytes)
    throw invalid(`${field} is ${bytes} bytes of UTF-8; the limit is ${STORE_LIMITS.keyBytes}`);
  return key;
}

/** The namespace a call names, with the defaults filled in. */
export function checkNamespace(
  options: Namespace | undefined,
  database = DEFAULT_DATABASE,
): Required<Namespace> {
  return {
    database: checkName(options?.database ?? database, 'database'),
    table: checkName(options?.table ?? DEFAULT_TABLE, 'table'),
  };
}

function checkName(name: unknown, field: string): string {
  if (typeof name !== 'string') throw invalid(`${field} must be a string, not ${kind(name)}`);
  if (name.length < 1 || name.length > STORE_LIMITS.nameLength || !NAME.test(name))
    throw invalid(
      `${field} must be 1 to ${STORE_LIMITS.nameLength} of A-Z a-z 0-9 . _ -, not ${shown(name)}`,
    );
  return name;
}

/** A lease in ms: an integer from minTtl to maxTtl, or undefined. */
export function checkTtl(ttl: unknown, field = 'ttl'): number | undefined {
  if (ttl === undefined) return undefined;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl))
    throw invalid(`${field} must be a whole number of milliseconds, not ${kind(ttl)}`);
  if (ttl < STORE_LIMITS.minTtl || ttl > STORE_LIMITS.maxTtl)
    throw invalid(
      `${field} must be from ${STORE_LIMITS.minTtl} ms (1 s) to ${STORE_LIMITS.maxTtl} ms (1 year), not ${ttl}`,
    );
  return ttl;
}

function checkVersion(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '' || v.length > 128)
    throw invalid(`${field} must be a version a store returned (a string), not ${kind(v)}`);
  return v;
}

function checkFlag(v: unknown, field: string): boolean | undefined {
  if (v === undefined || typeof v === 'boolean') return v;
  throw invalid(`${field} must be true or false, not ${kind(v)}`);
}

/** An options object: undefined, or an object with only these fields (a typo is a 400). */
function fields(o: unknown, field: string, known: readonly string[]): Record<string, unknown> {
  if (o === undefined) return {};
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw invalid(`${field} must be an object, not ${kind(o)}`);
  for (const [k, v] of Object.entries(o))
    if (v !== undefined && !known.includes(k))
      throw invalid(`${shownKey(k)} is not a field of ${field}; it takes ${known.join(', ')}`);
  return o as Record<string, unknown>;
}

const NS = ['database', 'table'] as const;

/** A put, checked: key, JSON text, lease and condition. */
export interface CheckedPut {
  key: string;
  json: string;
  ttl?: number;
  ifVersion?: string;
  ifAbsent?: boolean;
}

/** A put's arguments, checked; `where` prefixes field names (`operations[2].`). */
export function checkPut(
  key: unknown,
  value: unknown,
  options: PutOptions | undefined,
  where = '',
): CheckedPut {
  const o = fields(options, where ? where.slice(0, -1) : 'the put options', [
    ...(where ? ['op', 'key', 'value'] : NS),
    'ttl',
    'ifVersion',
    'ifAbsent',
  ]);
  const put: CheckedPut = {
    key: checkKey(key, `${where}key`),
    json: checkValue(value, `${where}value`),
  };
  const ttl = checkTtl(o.ttl, `${where}ttl`);
  const ifVersion = checkVersion(o.ifVersion, `${where}ifVersion`);
  const ifAbsent = checkFlag(o.ifAbsent, `${where}ifAbsent`);
  if (ifVersion !== undefined && ifAbsent)
    throw invalid(`${where}ifVersion and ${where}ifAbsent cannot both be given`);
  if (ttl !== undefined) put.ttl = ttl;
  if (ifVersion !== undefined) put.ifVersion = ifVersion;
  if (ifAbsent) put.ifAbsent = true;
  return put;
}

/** A delete's arguments, checked. */
export function checkDelete(
  key: unknown,
  options: DeleteOptions | undefined,
  where = '',
): { key: string; ifVersion?: string } {
  const o = fields(options, where ? where.slice(0, -1) : 'the delete options', [
    ...(where ? ['op', 'key'] : NS),
    'ifVersion',
  ]);
  const ifVersion = checkVersion(o.ifVersion, `${where}ifVersion`);
  const key2 = checkKey(key, `${where}key`);
  return ifVersion === undefined ? { key: key2 } : { key: key2, ifVersion };
}

/** A transaction's operations, checked: at most `batch`, each key once. */
export type CheckedOperation =
  ({ op: 'put' } & CheckedPut) | { op: 'delete'; key: string; ifVersion?: string };

/** Checks a transaction's operations. */
export function checkOperations(operations: unknown): CheckedOperation[] {
  const list = checkBatch(operations, 'operations');
  const seen = new Map<string, number>();
  return list.map((op, i) => {
    const where = `operations[${i}].`;
    if (typeof op !== 'object' || op === null || Array.isArray(op))
      throw invalid(`operations[${i}] must be an object {op, key, ...}, not ${kind(op)}`);
    const o = op as Operation;
    const name: unknown = o.op;
    const checked: CheckedOperation =
      o.op === 'put'
        ? { op: 'put', ...checkPut(o.key, o.value, o, where) }
        : o.op === 'delete'
          ? { op: 'delete', ...checkDelete(o.key, o, where) }
          : fail(`${where}op must be "put" or "delete", not ${kind(name)}`);
    // etcd refuses a key twice in one transaction; every store does, so all give one answer.
    const before = seen.get(checked.key);
    if (before !== undefined)
      throw invalid(`${where}key repeats operations[${before}].key ${shown(checked.key)}`);
    seen.set(checked.key, i);
    return checked;
  });
}

/** The keys of a getMany, checked. */
export function checkKeys(keys: unknown): string[] {
  return checkBatch(keys, 'keys').map((k, i) => checkKey(k, `keys[${i}]`));
}

function checkBatch(list: unknown, field: string): unknown[] {
  if (!Array.isArray(list)) throw invalid(`${field} must be an array, not ${kind(list)}`);
  if (list.length > STORE_LIMITS.batch)
    throw invalid(`${field} has ${list.length} items; the limit is ${STORE_LIMITS.batch}`);
  return list;
}

/** A listing's options, checked. */
export interface CheckedList {
  prefix: string;
  limit: number;
  cursor?: string;
  keysOnly: boolean;
}

/** Checks a listing's options (prefix, limit 1 to `page`, cursor, keysOnly). */
export function checkList(options: ListOptions | undefined): CheckedList {
  const o = fields(options, 'the list options', [...NS, 'prefix', 'limit', 'cursor', 'keysOnly']);
  const limit = o.limit ?? STORE_LIMITS.defaultPage;
  if (
    typeof limit !== 'number' ||
    !Number.isInteger(limit) ||
    limit < 1 ||
    limit > STORE_LIMITS.page
  )
    throw invalid(
      `limit must be a whole number from 1 to ${STORE_LIMITS.page}, not ${kind(limit)}`,
    );
  if (o.cursor !== undefined && (typeof o.cursor !== 'string' || o.cursor.length > 4096))
    throw invalid(`cursor must be a previous page's next, not ${kind(o.cursor)}`);
  const list: CheckedList = {
    prefix: o.prefix === undefined ? '' : checkKey(o.prefix, 'prefix', true),
    limit,
    keysOnly: checkFlag(o.keysOnly, 'keysOnly') ?? false,
  };
  if (o.cursor !== undefined) list.cursor = o.cursor;
  return list;
}

/** Checks a watch's options: a key or a prefix, not both. */
export function checkWatch(options: WatchOptions | undefined): { key?: string; prefix?: string } {
  const o = fields(options, 'the watch options', [...NS, 'key', 'prefix']);
  if (o.key !== undefined && o.prefix !== undefined)
    throw invalid('key and prefix cannot both be given: watch one key or one prefix');
  if (o.key !== undefined) return { key: checkKey(o.key, 'key') };
  if (o.prefix !== undefined) return { prefix: checkKey(o.prefix, 'prefix', true) };
  return {};
}

function fail(message: string): never {
  throw invalid(message);
}

export { checkValue } from './value.ts';
export { compareKeys, decodeCursor, encodeCursor } from './order.ts';
export { conditionFailure, conflictOn, invalid, shown, STORE_ID } from './errors.ts';
