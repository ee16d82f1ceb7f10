// Records as the db keeps them: a JSON object checked by walking it (JSON.stringify would drop
// undefined and functions and turn NaN into null silently), whose strings and names are
// well-formed Unicode without NUL (PostgreSQL's jsonb and text hold neither), measured as the JSON
// text stored. Objects made here have own properties only, so `__proto__` is a plain name.
import { DB_LIMITS, type JsonObject } from './db.ts';
import { invalid, kind, shown } from './errors.ts';
import { walkJson, type JsonRules } from '../json-walk.ts';

/** A string a record, an id or a condition may hold; a 400 naming `field` otherwise. */
export function checkText(s: string, field: string): string {
  if (s.includes('\0')) throw invalid(`${field} must not contain NUL (\\u0000)`);
  if (!s.isWellFormed()) throw invalid(`${field} must be well-formed Unicode (a lone surrogate)`);
  return s;
}

/** True for a plain object (not null, not an array). */
export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const rules: JsonRules = {
  depth: DB_LIMITS.depth,
  noun: 'record',
  invalid,
  kind,
  shown,
  text: checkText,
};

/**
 * A record's data as JSON text: a plain object within DB_LIMITS whose top-level names do not start
 * with `$` or `_`. A patch (`patch`) may also hold null, meaning "remove".
 */
export function checkRecord(data: unknown, field = 'data'): string {
  if (!isObject(data)) throw invalid(`${field} must be a JSON object, not ${kind(data)}`);
  for (const name of Object.keys(data))
    if (name.startsWith('$') || name.startsWith('_'))
      throw invalid(`${field}[${shown(name)}]: top-level names must not start with $ or _`);
  walkJson(data, field, rules);
  const text = JSON.stringify(data);
  const bytes = Buffer.byteLength(text);
  if (bytes > DB_LIMITS.recordBytes)
    throw invalid(`${field} is ${bytes} bytes as JSON; the limit is ${DB_LIMITS.recordBytes}`);
  return text;
}

/**
 * RFC 7386 JSON merge patch: `patch`'s members replace the target's, objects merge recursively,
 * null removes a member. Neither argument is changed.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else
      Object.defineProperty(out, k, {
        value: mergePatch(Object.hasOwn(out, k) ? out[k] : undefined, v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}
