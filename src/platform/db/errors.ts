// The db's errors: every engine raises these, with id `db`, so callers tell them apart by code
// (400 bad input, 404 no such record, 409 a failed condition or a taken unique value).
import { badRequest, conflict, notFound, type MicroError } from '../../runtime/errors.ts';
import { kind, shown } from '../store/errors.ts';

/** The id of the db's errors, on the wire and in TypeScript. */
export const DB_ID = 'db';

/** A 400 from the db. */
export const invalid = (detail: string): MicroError => badRequest(DB_ID, detail);

/** A 409 from the db. */
export const conflictWith = (detail: string): MicroError => conflict(DB_ID, detail);

/** The 404 of an update (without upsert) of a record that is not there. */
export const noRecord = (collection: string, id: string): MicroError =>
  notFound(DB_ID, `no record ${shown(id)} in collection ${collection}`);

/** The 409 a write with `ifVersion` gets when the record is at another version, or gone. */
export function versionConflict(
  id: string,
  expected: number,
  current: number | undefined,
): MicroError {
  return conflict(
    DB_ID,
    current === undefined
      ? `record ${shown(id)} does not exist (expected version ${expected})`
      : `record ${shown(id)} is at version ${current}, not ${expected}`,
  );
}

/** The 409 of a create whose id is taken. */
export const idTaken = (collection: string, id: string): MicroError =>
  conflict(DB_ID, `record ${shown(id)} already exists in collection ${collection}`);

/** The 409 of a write that would give a unique index a second record with the same values. */
export const uniqueTaken = (collection: string, index: string, fields: string[]): MicroError =>
  conflict(
    DB_ID,
    `unique index ${index} of collection ${collection} already has a record with these values of ${fields.join(', ')}`,
  );

export { kind, shown };
