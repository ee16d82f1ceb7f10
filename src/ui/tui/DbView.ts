// The db screen: the collections of every database (with their record counts and indexes), then
// one collection's records (the first RECORDS_SHOWN by id: ID VERSION UPDATED DATA), then one
// record's JSON. Read through the Db interface and read again every few seconds.
import { Box } from 'ink';
import { createElement as h, useRef, useState, type ReactElement } from 'react';
import type { CollectionInfo, Db, DbRecord } from '../../platform/db/db.ts';
import type { KeyHint } from './Footer.ts';
import { clipLines, jsonLines, moved, relativeTime } from './layout.ts';
import { listView } from './ListView.ts';
import { MicroError } from '../../runtime/index.ts';
import { text } from './text.ts';
import { useKeys } from './use-keys.ts';
import { useRead } from './use-read.ts';

/** Records shown per collection: one page of a query. */
const RECORDS_SHOWN = 500;

/** A collection of a database. */
export interface DbAt {
  database: string;
  collection: string;
}

/** Where the db screen is. */
export type DbPlace =
  | { level: 'collections' }
  | { level: 'records'; at: DbAt }
  | { level: 'record'; at: DbAt; id: string };

/** Keys of the db screen at a place, for the footer. */
export function dbKeys(place: DbPlace): KeyHint[] {
  return [
    ...(place.level === 'record'
      ? []
      : ([
          ['↑↓/jk', 'move'],
          ['enter', 'open'],
        ] as KeyHint[])),
    ['esc', 'back'],
    ['tab', 'views'],
    ['q', 'quit'],
  ];
}

/** What the header says of a place. */
export function dbWhere(place: DbPlace): string {
  if (place.level === 'collections') return 'db';
  const at = `db › ${place.at.database}/${place.at.collection}`;
  return place.level === 'records' ? at : `${at} › ${place.id}`;
}

interface Props {
  db: Db | undefined;
  place: DbPlace;
  onPlace: (place: DbPlace) => void;
  /** Esc on the collections. */
  onBack: () => void;
  onQuit: () => void;
  height: number;
}

/** The db screen at a place. */
export function DbView(p: Props): ReactElement {
  if (p.place.level === 'collections') return h(Collections, p);
  if (p.place.level === 'records') return h(Records, { ...p, place: p.place });
  return h(Record, { ...p, place: p.place });
}

const need = (db: Db | undefined): Db => {
  if (!db)
    throw new MicroError('micro.explore', 501, 'this explorer was started without the db area');
  return db;
};

/** A list's cursor, kept within it, and the latest value for key handlers. */
function useCursor(count: number) {
  const [cursor, setCursor] = useState(0);
  const at = Math.min(cursor, Math.max(0, count - 1));
  const latest = useRef(at);
  latest.current = at;
  return { at, latest, setCursor };
}

function Collections({ db, onPlace, onBack, onQuit, height }: Props): ReactElement {
  const read = useRead(() => need(db).collections(), [db]);
  const all: CollectionInfo[] = read.value ?? [];
  const { at, latest, setCursor } = useCursor(all.length);
  useKeys((input, key) => {
    const to = moved(latest.current, all.length, input, key, height);
    if (to !== undefined) return setCursor((latest.current = to));
    const c = all[latest.current];
    if (key.return && c)
      return onPlace({
        level: 'records',
        at: { database: c.database, collection: c.collection },
      });
    if (key.escape) return onBack();
    if (input === 'q') return onQuit();
  });
  const row = (a: string, b: string, c: string, d: string): string =>
    `${a.padEnd(20)}${b.padEnd(24)}${c.padEnd(10)}${d}`;
  return listView({
    height,
    title: `DB COLLECTIONS (${all.length})`,
    error: read.error,
    header: row('DATABASE', 'COLLECTION', 'RECORDS', 'INDEXES'),
    items: all,
    cursor: at,
    keyOf: (c) => `${c.database}\u0000${c.collection}`,
    line: (c) =>
      row(
        c.database,
        c.collection,
        String(c.count),
        c.indexes
          .map((i) => `${i.name}(${i.fields.join(',')}${i.unique ? ' unique' : ''})`)
          .join(' ') || '-',
      ),
    status: read.loading
      ? 'loading…'
      : all.length === 0
        ? 'no collections yet: micro db create COLLECTION DATA'
        : undefined,
  });
}

function Records(p: Props & { place: Extract<DbPlace, { level: 'records' }> }): ReactElement {
  const { db, place, onPlace, onQuit, height } = p;
  const read = useRead(
    () =>
      need(db).query(place.at.collection, { database: place.at.database, limit: RECORDS_SHOWN }),
    [db, place.at.database, place.at.collection],
  );
  const all: DbRecord[] = read.value?.records ?? [];
  const { at, latest, setCursor } = useCursor(all.length);
  useKeys((input, key) => {
    const to = moved(latest.current, all.length, input, key, height);
    if (to !== undefined) return setCursor((latest.current = to));
    const r = all[latest.current];
    if (key.return && r) return onPlace({ level: 'record', at: place.at, id: r.id });
    if (key.escape) return onPlace({ level: 'collections' });
    if (input === 'q') return onQuit();
  });
  const width = Math.min(40, Math.max(4, ...all.map((r) => r.id.length)) + 2);
  const row = (a: string, b: string, c: string, d: string): string =>
    `${a.padEnd(width)}${b.padEnd(9)}${c.padEnd(10)}${d}`;
  const more = read.value?.next ? '+' : '';
  return listView({
    height,
    title: `RECORDS (${all.length}${more})`,
    error: read.error,
    header: row('ID', 'VERSION', 'UPDATED', 'DATA'),
    items: all,
    cursor: at,
    keyOf: (r) => r.id,
    line: (r) =>
      row(r.id, String(r.version), relativeTime(r.updatedAt), JSON.stringify(r.data).slice(0, 300)),
    status: read.loading
      ? 'loading…'
      : all.length === 0
        ? 'no records in this collection'
        : more
          ? `the first ${all.length} records by id`
          : undefined,
  });
}

function Record(p: Props & { place: Extract<DbPlace, { level: 'record' }> }): ReactElement {
  const { db, place, onPlace, onQuit, height } = p;
  const read = useRead(
    () => need(db).read(place.at.collection, place.id, { database: place.at.database }),
    [db, place.at.database, place.at.collection, place.id],
  );
  useKeys((input, key) => {
    if (key.escape || key.backspace || key.delete)
      return onPlace({ level: 'records', at: place.at });
    if (input === 'q') return onQuit();
  });
  const r = read.value;
  const lines = read.loading
    ? ['loading…']
    : !r
      ? ['no such record (deleted)']
      : [
          `version  ${r.version}`,
          `created  ${new Date(r.createdAt).toISOString()} (${relativeTime(r.createdAt)})`,
          `updated  ${new Date(r.updatedAt).toISOString()} (${relativeTime(r.updatedAt)})`,
          '',
          ...jsonLines(r.data),
        ];
  return h(
    Box,
    { flexDirection: 'column', height, overflow: 'hidden' },
    h(
      Box,
      { gap: 2 },
      text({ bold: true, wrap: 'truncate-end' }, `RECORD ${place.id}`),
      read.error ? text({ color: 'red', wrap: 'truncate-end' }, read.error) : null,
    ),
    ...clipLines(lines, height - 1).map((l, i) => text({ key: i, wrap: 'truncate-end' }, l)),
  );
}
