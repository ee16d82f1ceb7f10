// The config screen: its namespaces, then one namespace's tree (as `path = value` lines) above its
// history (VERSION ACTION PATH AUTHOR WHEN). `d` shows what changed from the highlighted version to
// the latest; `r` rolls back to it after a y/n question. Read through the control plane's config
// service (Config.*) and read again every few seconds.
import { userInfo } from 'node:os';
import { Box } from 'ink';
import { createElement as h, useRef, useState, type ReactElement } from 'react';
import type { Client } from '../../runtime/index.ts';
import { toMicroError } from '../../runtime/index.ts';
import type { ConfigDiff, ConfigValue, ConfigVersion } from '../../platform/config/config.ts';
import type { KeyHint } from './Footer.ts';
import { clipLines, moved, relativeTime, visibleRange } from './layout.ts';
import { listView } from './ListView.ts';
import { listRow, text } from './text.ts';
import { useKeys } from './use-keys.ts';
import { useRead } from './use-read.ts';

/** Who the history names for a rollback made here: the terminal's user. */
function author(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'explore';
  }
}

/** Where the config screen is: the namespaces, or one namespace. */
export type ConfigPlace = { level: 'namespaces' } | { level: 'namespace'; namespace: string };

/** Keys of the config screen at a place, for the footer. */
export function configKeys(place: ConfigPlace): KeyHint[] {
  return place.level === 'namespaces'
    ? [
        ['↑↓/jk', 'move'],
        ['enter', 'open'],
        ['esc', 'back'],
        ['tab', 'views'],
        ['q', 'quit'],
      ]
    : [
        ['↑↓/jk', 'move'],
        ['d', 'diff to latest'],
        ['r', 'roll back'],
        ['esc', 'back'],
        ['tab', 'views'],
        ['q', 'quit'],
      ];
}

/** The tree as one `path = value` line per leaf, in path order. */
export function treeLines(value: unknown, path = ''): string[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.length > 0)
      return entries.flatMap(([k, v]) => treeLines(v, path ? `${path}.${k}` : k));
  }
  return [`${path || '(root)'} = ${JSON.stringify(value)}`];
}

interface Props {
  client: Client;
  place: ConfigPlace;
  onPlace: (place: ConfigPlace) => void;
  onBack: () => void;
  onQuit: () => void;
  height: number;
}

/** The config screen at a place. */
export function ConfigView(p: Props): ReactElement {
  return p.place.level === 'namespaces'
    ? h(Namespaces, p)
    : h(Namespace, { ...p, key: p.place.namespace, namespace: p.place.namespace });
}

function Namespaces({ client, onPlace, onBack, onQuit, height }: Props): ReactElement {
  const read = useRead(
    async () =>
      (await client.call<{ namespaces: string[] }>('config', 'Config.Namespaces', {})).namespaces,
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
    if (key.return && ns) return onPlace({ level: 'namespace', namespace: ns });
    if (key.escape) return onBack();
    if (input === 'q') return onQuit();
  });
  return listView({
    height,
    title: `CONFIG NAMESPACES (${all.length})`,
    error: read.error,
    header: 'NAMESPACE',
    items: all,
    cursor: at,
    keyOf: (n) => n,
    line: (n) => n,
    status: read.loading
      ? 'loading…'
      : all.length === 0
        ? 'nothing configured yet: micro config set PATH VALUE'
        : undefined,
  });
}

/** What the lower half shows besides the history: a diff, a question, or what a rollback did. */
type Note =
  | { kind: 'diff'; from: number; changes: ConfigDiff[] }
  | { kind: 'ask'; version: number }
  | { kind: 'said'; text: string; bad?: boolean };

function Namespace(p: Props & { namespace: string }): ReactElement {
  const { client, namespace, onPlace, onQuit, height } = p;
  const read = useRead(async () => {
    const [tree, history] = await Promise.all([
      client.call<ConfigValue>('config', 'Config.Get', { namespace, path: '' }),
      client.call<{ versions: ConfigVersion[] }>('config', 'Config.History', { namespace }),
    ]);
    return { tree, versions: history.versions };
  }, [client, namespace]);
  const versions = read.value?.versions ?? [];
  const [cursor, setCursor] = useState(0);
  const [note, setNote] = useState<Note | undefined>();
  const at = Math.min(cursor, Math.max(0, versions.length - 1));
  const latest = useRef({ at, note });
  latest.current = { at, note };
  const fail = (err: unknown): void => {
    const e = toMicroError(err, 'micro.explore');
    setNote({ kind: 'said', text: `${e.code} ${e.detail}`, bad: true });
  };
  useKeys((input, key) => {
    const now = latest.current;
    const v = versions[now.at];
    if (now.note?.kind === 'ask') {
      if (input === 'y')
        client
          .call<ConfigVersion>(
            'config',
            'Config.Rollback',
            { namespace, version: now.note.version },
            { metadata: { 'micro-author': author() } },
          )
          .then((c) => {
            setNote({ kind: 'said', text: `rolled back to v${c.from ?? '?'} as v${c.version}` });
            read.reload();
          }, fail);
      else setNote(undefined);
      return;
    }
    const to = moved(now.at, versions.length, input, key, 5);
    if (to !== undefined) return setCursor((latest.current.at = to));
    if (input === 'd' && v)
      return void client
        .call<{ changes: ConfigDiff[] }>('config', 'Config.Diff', { namespace, from: v.version })
        .then((d) => setNote({ kind: 'diff', from: v.version, changes: d.changes }), fail);
    if (input === 'r' && v) return setNote({ kind: 'ask', version: v.version });
    if (key.escape || key.backspace || key.delete) {
      if (now.note) return setNote(undefined);
      return onPlace({ level: 'namespaces' });
    }
    if (input === 'q') return onQuit();
  });

  const tree = read.value?.tree;
  // The tree gets up to half the rows; the history the rest, the note below it.
  const treeRows = Math.max(3, Math.floor((height - 4) / 2));
  const noteLines =
    note?.kind === 'diff'
      ? [
          `DIFF v${note.from} → latest`,
          ...(note.changes.length === 0
            ? ['no differences']
            : note.changes.map(
                (c) =>
                  `${c.path || '(root)'}: ${'before' in c ? JSON.stringify(c.before) : '(none)'} → ${'after' in c ? JSON.stringify(c.after) : '(removed)'}`,
              )),
        ]
      : note?.kind === 'ask'
        ? [`roll ${namespace} back to v${note.version}? y/n`]
        : note
          ? [note.text]
          : [];
  const historyRows = Math.max(1, height - treeRows - 3 - Math.min(noteLines.length, 6));
  const { start, end } = visibleRange(versions.length, at, historyRows);
  const row = (c: [string, string, string, string, string]): string =>
    `${c[0].padEnd(9)}${c[1].padEnd(18)}${c[2].padEnd(24)}${c[3].padEnd(16)}${c[4]}`;
  return h(
    Box,
    { flexDirection: 'column', height, overflow: 'hidden' },
    h(
      Box,
      { gap: 2 },
      text({ bold: true }, `TREE ${namespace} v${tree?.version ?? '?'}`),
      read.error ? text({ color: 'red', wrap: 'truncate-end' }, read.error) : null,
    ),
    ...clipLines(
      read.loading ? ['loading…'] : tree?.value === undefined ? ['(empty)'] : treeLines(tree.value),
      treeRows,
    ).map((l, i) => text({ key: `t${i}`, wrap: 'truncate-end' }, `  ${l}`)),
    text({ bold: true }, `HISTORY (${versions.length})`),
    text({ dimColor: true }, `  ${row(['VERSION', 'ACTION', 'PATH', 'AUTHOR', 'WHEN'])}`),
    ...versions
      .slice(start, end)
      .map((v, i) =>
        listRow(
          String(v.version),
          start + i === at,
          row([
            `v${v.version}`,
            v.action === 'rollback' ? `rollback to v${v.from ?? '?'}` : v.action,
            v.path || '(root)',
            v.author,
            relativeTime(v.at),
          ]),
        ),
      ),
    ...clipLines(noteLines, 6).map((l, i) =>
      text(
        {
          key: `n${i}`,
          wrap: 'truncate-end',
          color:
            note?.kind === 'ask' ? 'yellow' : note?.kind === 'said' && note.bad ? 'red' : undefined,
          bold: i === 0,
        },
        l,
      ),
    ),
  );
}
