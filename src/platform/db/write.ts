// What every engine does between reading a record and writing it back: the checks of an update or
// a delete against the record found (ifVersion, upsert) and the row to write (merge or replace,
// version, times). Engines call these inside their transaction, so the answer holds when written.
import type { DbRecord } from './db.ts';
import { noRecord, versionConflict } from './errors.ts';
import { checkRecord, mergePatch } from './json.ts';
import type { checkUpdate } from './validate.ts';

/** A record as stored, its data as JSON text. */
export interface StoredRow {
  id: string;
  /** The data as JSON text. */
  data: string;
  version: number;
  created: number;
  updated: number;
}

/** The row an update writes given the row found (undefined: none); throws its 409 or 404. */
export function updatedRow(
  collection: string,
  id: string,
  before: { data: string | DbRecord['data']; version: number; created: number } | undefined,
  patch: { data: unknown; text: string; options: ReturnType<typeof checkUpdate> },
  now: number,
): StoredRow {
  const o = patch.options;
  if (o.ifVersion !== undefined && before?.version !== o.ifVersion)
    throw versionConflict(id, o.ifVersion, before?.version);
  if (!before && !o.upsert) throw noRecord(collection, id);
  const old =
    typeof before?.data === 'string' ? (JSON.parse(before.data) as unknown) : before?.data;
  const data = o.mode === 'replace' ? patch.text : checkRecord(mergePatch(old ?? {}, patch.data));
  return before
    ? { id, data, version: before.version + 1, created: before.created, updated: now }
    : { id, data, version: 1, created: now, updated: now };
}

/** Throws a delete's 409 when the record found is not at the version asked for. */
export function checkDeleteVersion(
  id: string,
  ifVersion: number | undefined,
  before: { version: number } | undefined,
): void {
  if (ifVersion !== undefined && before?.version !== ifVersion)
    throw versionConflict(id, ifVersion, before?.version);
}

/** A stored row as the record callers get. */
export const toRecord = (r: StoredRow): DbRecord => ({
  id: r.id,
  version: r.version,
  createdAt: r.created,
  updatedAt: r.updated,
  data: JSON.parse(r.data) as DbRecord['data'],
});
