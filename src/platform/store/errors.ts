// The store's errors: every store raises these, with id `store`, so callers tell them apart by
// code (400 bad input, 409 a failed condition) whatever the engine.
import { printable } from '../../registry/printable.ts';
import { badRequest, conflict, type MicroError } from '../../runtime/errors.ts';

/** The id of the store's errors, on the wire and in TypeScript. */
export const STORE_ID = 'store';

/** A 400 from the store. */
export const invalid = (detail: string): MicroError => badRequest(STORE_ID, detail);

/** A key as messages show it: JSON, control characters escaped, long ones cut. */
export const shown = (key: string): string =>
  printable(JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}...` : key), false);

/** A 409 naming the key whose condition failed. */
export const conflictOn = (key: string, why: string): MicroError =>
  conflict(STORE_ID, `key ${shown(key)} ${why}`);

/** The 409 a write's condition (ifVersion, ifAbsent) gets given the key's current version, if any. */
export function conditionFailure(
  op: { key: string; ifVersion?: string; ifAbsent?: boolean },
  current: string | undefined,
): Error | undefined {
  if (op.ifAbsent && current !== undefined)
    return conflictOn(op.key, `already exists (version ${current})`);
  if (op.ifVersion !== undefined) {
    if (current === undefined)
      return conflictOn(op.key, `does not exist (expected version ${op.ifVersion})`);
    if (current !== op.ifVersion)
      return conflictOn(op.key, `is at version ${current}, not ${op.ifVersion}`);
  }
  return undefined;
}

/** What a wrong value is, for messages: `a number`, `null`, `an array`... */
export function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? 'a long string' : shown(v);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'object') {
    const name = v.constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return typeof v === 'undefined' ? 'undefined' : `a ${typeof v}`;
}
