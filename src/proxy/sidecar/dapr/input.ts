/** Dapr request bodies and parameters checked for shape: a 400 (ERR_MALFORMED_REQUEST) naming the field, before any store is touched. */
import { malformed } from './errors.ts';

/** Bounds of the Dapr paths, past which a request is a 400 (the store's own bounds apply too). */
export const DAPR_LIMITS = {
  /** State items in one save, keys in one bulk get, operations in one transaction. */
  items: 1000,
  /** Keys in one configuration get or subscription. */
  keys: 100,
  /** Configuration subscriptions one sidecar keeps. */
  subscriptions: 100,
  /** Locks one sidecar holds for its app. */
  locks: 1000,
  /** Longest lock expiry and state TTL, in seconds (one year). */
  maxSeconds: 365 * 24 * 3600,
  /** Longest lock owner, resource id and metadata value. */
  text: 1024,
  /** Metadata attributes (PUT /v1.0/metadata/{name}). */
  attributes: 100,
} as const;

/** A plain object (not an array, not null). */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Refuses fields other than `allowed`, naming the first. */
export function only(v: Record<string, unknown>, allowed: readonly string[], at: string): void {
  for (const k of Object.keys(v))
    if (!allowed.includes(k))
      throw malformed(`${at} has an unknown field ${JSON.stringify(k.slice(0, 100))}`);
}

/** A component (store) name from the path: 1 to 128 of [A-Za-z0-9._-], as micro names namespaces. */
export function componentName(v: string, what: string): string {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(v))
    throw malformed(`the ${what} name must be 1 to 128 of A-Z a-z 0-9 . _ -`);
  return v;
}

/** A non-empty string of at most `max` characters. */
export function text(v: unknown, field: string, max: number = DAPR_LIMITS.text): string {
  if (typeof v !== 'string' || v === '') throw malformed(`${field} must be a non-empty string`);
  if (v.length > max) throw malformed(`${field} must be at most ${max} characters`);
  return v;
}

/** A state key: a non-empty string without Dapr's reserved `||` (the store bounds its size). */
export function stateKey(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw malformed(`${field} must be a non-empty string`);
  if (v.includes('||')) throw malformed(`${field} may not contain "||" (reserved by Dapr)`);
  return v;
}

/** Whole seconds from 1 to a year, given as a number or a numeric string. */
export function seconds(v: unknown, field: string): number {
  const n = typeof v === 'string' && /^\d{1,12}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > DAPR_LIMITS.maxSeconds)
    throw malformed(
      `${field} must be a whole number of seconds from 1 to ${DAPR_LIMITS.maxSeconds}`,
    );
  return n;
}

/** An object of strings (Dapr's metadata maps). */
export function strings(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw malformed(`${field} must be an object of strings`);
  for (const [k, x] of Object.entries(v))
    if (typeof x !== 'string' || x.length > DAPR_LIMITS.text)
      throw malformed(
        `${field}.${k.slice(0, 100)} must be a string of at most ${DAPR_LIMITS.text} characters`,
      );
  return v as Record<string, string>;
}

/** An array of at most `max` items. */
export function array(v: unknown, field: string, max: number = DAPR_LIMITS.items): unknown[] {
  if (!Array.isArray(v)) throw malformed(`${field} must be an array`);
  if (v.length > max) throw malformed(`${field} may have at most ${max} items`);
  return v;
}

/** Dapr's `metadata.X` query parameters as `{X: value}` (a repeated one is a 400). */
export function queryMetadata(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(query)) return out;
  for (const [k, v] of Object.entries(query)) {
    if (!k.startsWith('metadata.')) continue;
    if (typeof v !== 'string')
      throw malformed(`the query parameter ${k.slice(0, 100)} must be given once`);
    out[k.slice('metadata.'.length)] = v;
  }
  return out;
}

/** A query parameter given zero or more times, as a list of at most `max`. */
export function queryList(query: unknown, name: string, max: number): string[] {
  const v = isObject(query) ? query[name] : undefined;
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
  if (list.length > max) throw malformed(`at most ${max} ${name} parameters`);
  return list.map((x, i) => text(x, `${name}[${i}]`));
}
