// The store screen: its namespaces (database/table), then one namespace's keys in key order,
// narrowed by a prefix typed after `/`, then one key's value, version and expiry. Read through the
// control plane's store service (Store.*) and read again every few seconds.
import { Box } from 'ink';
import { createElement as h, useRef, useState, type ReactElement } from 'react';
import type { Client } from '../../runtime/index.ts';
import type { Entry, Namespace, Page } from '../../platform/store/store.ts';
import type { KeyHint } from './Footer.ts';
import { clipLines, jsonLines, moved, relativeTime } from './layout.ts';
import { listView } from './ListView.ts';
import { text } from './text.ts';
import { useKeys } from './use-keys.ts';
import { useRead } from './use-read.ts';

/** Keys shown per namespace: the first page of the store's listing. */
const KEYS_SHOWN = 500;

/** Where the store screen is. */
export type StorePlace =
  | { level: 'namespaces' }
  | { level: 'keys'; ns: Required<Namespace>; prefix: string; filtering: boolean }
  | { level: 'value'; ns: Required<Namespace>; prefix: string; key: string };

/** Keys of the store screen at a place, for the footer. */
export function storeKeys(place: StorePlace): KeyHint[] {
  if (place.level === 'keys' && place.filtering)
    return [
      ['type', 'prefix'],
      ['enter', 'done'],
      ['esc', 'clear'],
    ];
  return [
    ...(place.level === 'value' ? [] : ([['↑↓/jk', 'move']] as KeyHint[])),
    ...(place.level === 'value' ? [] : ([['enter', 'open']] as KeyHint[])),
    ...(place.level === 'keys' ? ([['/', 'prefix']] as KeyHint[]) : []),
    ['esc', 'back'],
    ['tab', 'views'],
    ['q', 'quit'],
  ];
}

/** What the header says of a place. */
export function storeWhere(place: StorePlace): string {
  if (place.level === 'namespaces') return 'store';
  const ns = `store › ${place.ns.database}/${place.ns.table}`;
  return place.level === 'keys' ? ns : `${ns} › ${place.key}`;
}

interface Props {
  client: Client;
  place: StorePlace;
  onPlace: (place: StorePlace) => void;
  /** Esc on the namespaces. */
  onBack: () => void;
  onQuit: () => void;
  height: number;
}

/** The store screen at a place. */
export function StoreView(p: Props): ReactElement {
  if (p.place.level === 'namespaces') return h(Namespaces, p);
  if (p.place.level === 'keys') return h(Keys, { ...p, place: p.place });
  return h(Value, { ...p, place: p.place });
}

function Namespaces({ client, onPlace, onBack, onQuit, height }: Props): ReactElement {
  const read = useRead(
    async () =>
      (await client.call<{ namespaces: Required<Namespace>[] }>('store', 'Store.Namespaces', {}))
        .namespaces,
    [client],
  );
  const all = read.value ?? [];
  const [cursor, setCursor] = useState(0);
  const at = Math.min(cursor, Math.max(0, all.length - 1));
  const latest = useRef(at);
  latest.current = at;
  useKeys((input, key) => {
    const to = moved(latest.current, all.length, input, key, height);
    if (to !== undefined) return setCursor((latest.current = to));
    const ns = all[latest.current];
    if (key.return && ns) return onPlace({ level: 'keys', ns, prefix: '', filtering: false });
    if (key.escape) return onBack();
    if (input === 'q') return onQuit();
  });
  const row = (a: string, b: string): string => `${a.padEnd(30)}${b}`;
  return listView({
    height,
    title: `STORE NAMESPACES (${all.length})`,
    error: read.error,
    header: row('DATABASE', 'TABLE'),
    items: all,
    cursor: at,
    keyOf: (n) => `${n.database}\u0000${n.table}`,
    line: (n) => row(n.database, n.table),
    status: read.loading
      ? 'loading…'
      : all.length === 0
        ? 'no keys stored yet: micro store put KEY VALUE'
        : undefined,
  });
}

function Keys(p: Props & { place: Extract<StorePlace, { level: 'keys' }> }): ReactElement {
  const { client, place, onPlace, onQuit, height } = p;
  const read = useRead(
    () =>
      client.call<Page>('store', 'Store.List', {
        ...place.ns,
        keysOnly: true,
        limit: KEYS_SHOWN,
        ...(place.prefix ? { prefix: place.prefix } : {}),
      }),
    [client, place.ns.database, place.ns.table, place.prefix],
  );
  const all = read.value?.entries ?? [];
  const [cursor, setCursor] = useState(0);
  const at = Math.min(cursor, Math.max(0, all.length - 1));
  const latest = useRef({ at, place });
  latest.current = { at, place };
  useKeys((input, key) => {
    const now = latest.current.place;
    if (now.filtering) {
      if (key.return) return onPlace({ ...now, filtering: false });
      if (key.escape) return onPlace({ ...now, prefix: '', filtering: false });
      if (key.backspace || key.delete) return onPlace({ ...now, prefix: now.prefix.slice(0, -1) });
      if (key.ctrl || key.meta || key.tab) return;
      // eslint-disable-next-line no-control-regex
      const typed = input.replace(/[\x00-\x1f\x7f]/g, '');
      if (typed) {
        setCursor(0);
        onPlace({ ...now, prefix: now.prefix + typed });
      }
      return;
    }
    const to = moved(latest.current.at, all.length, input, key, height);
    if (to !== undefined) return setCursor((latest.current.at = to));
    const e = all[latest.current.at];
    if (key.return && e)
      return onPlace({ level: 'value', ns: now.ns, prefix: now.prefix, key: e.key });
    if (input === '/') return onPlace({ ...now, filtering: true });
    if (key.escape) return onPlace({ level: 'namespaces' });
    if (input === 'q') return onQuit();
  });
  const width = Math.min(60, Math.max(4, ...all.map((e) => e.key.length)) + 2);
  const row = (k: string, v: string, x: string): string => `${k.padEnd(width)}${v.padEnd(24)}${x}`;
  const more = read.value?.next ? '+' : '';
  return listView({
    height,
    title: `KEYS (${all.length}${more})`,
    beside:
      place.filtering || place.prefix
        ? text(
            null,
            text({ dimColor: true }, 'prefix /'),
            text({ color: 'yellow' }, place.prefix),
            place.filtering ? text({ inverse: true }, ' ') : null,
          )
        : undefined,
    error: read.error,
    header: row('KEY', 'VERSION', 'EXPIRES'),
    items: all,
    cursor: at,
    keyOf: (e) => e.key,
    line: (e) => row(e.key, e.version, e.expiresAt ? relativeTime(e.expiresAt) : '-'),
    status: read.loading
      ? 'loading…'
      : all.length === 0
        ? place.prefix
          ? `no key starts with "${place.prefix}"`
          : 'no keys in this namespace'
        : more
          ? `the first ${all.length} keys; narrow them with /`
          : undefined,
  });
}

function Value(p: Props & { place: Extract<StorePlace, { level: 'value' }> }): ReactElement {
  const { client, place, onPlace, onQuit, height } = p;
  const read = useRead(
    async () =>
      (await client.call<{ entry?: Entry }>('store', 'Store.Get', { ...place.ns, key: place.key }))
        .entry,
    [client, place.ns.database, place.ns.table, place.key],
  );
  useKeys((input, key) => {
    if (key.escape || key.backspace || key.delete)
      return onPlace({ level: 'keys', ns: place.ns, prefix: place.prefix, filtering: false });
    if (input === 'q') return onQuit();
  });
  const e = read.value;
  const lines = read.loading
    ? ['loading…']
    : !e
      ? ['no such key (deleted, or its lease ran out)']
      : [
          `version  ${e.version}`,
          `expires  ${e.expiresAt ? `${new Date(e.expiresAt).toISOString()} (${relativeTime(e.expiresAt)})` : 'never'}`,
          '',
          ...jsonLines(e.value),
        ];
  return h(
    Box,
    { flexDirection: 'column', height, overflow: 'hidden' },
    h(
      Box,
      { gap: 2 },
      text({ bold: true, wrap: 'truncate-end' }, `KEY ${place.key}`),
      read.error ? text({ color: 'red', wrap: 'truncate-end' }, read.error) : null,
    ),
    ...clipLines(lines, height - 1).map((l, i) => text({ key: i, wrap: 'truncate-end' }, l)),
  );
}
