// The first screen: every service in the registry, updated live, filtered as you type after `/`.
import { Box } from 'ink';
import { createElement as h, useMemo, useRef, type ReactElement } from 'react';
import type { KeyHint } from './Footer.ts';
import { steps } from './layout.ts';
import { listView } from './ListView.ts';
import { useKeys } from './use-keys.ts';
import type { ServiceSummary } from './service-index.ts';
import type { LiveSource } from './live-registry.ts';
import { useLive } from './use-registry.ts';
import { listStatus } from './watched.ts';
import { text } from './text.ts';

/** Where the list is: the highlighted row and the filter, kept by the App across screens. */
export interface ListPosition {
  cursor: number;
  filter: string;
  /** Keys go to the filter (after `/`) rather than to navigation. */
  filtering: boolean;
}

/** Keys of the services list, for the footer. */
export function serviceListKeys(position: ListPosition): KeyHint[] {
  if (position.filtering)
    return [
      ['type', 'filter'],
      ['↑↓', 'move'],
      ['enter', 'open'],
      ['esc', 'clear filter'],
      ['ctrl-c', 'quit'],
    ];
  return [
    ['↑↓/jk', 'move'],
    ['enter', 'open'],
    ['/', 'filter'],
    ...(position.filter ? ([['esc', 'clear filter']] as KeyHint[]) : []),
    ['t', 'topics'],
    ['r', 'routes'],
    ['m', 'mcp'],
    ['b', 'bot'],
    ['tab', 'views'],
    ['q', 'quit'],
  ];
}

/** The services whose name contains the filter, ignoring case. */
export function filterServices(services: ServiceSummary[], filter: string): ServiceSummary[] {
  const f = filter.toLowerCase();
  return f ? services.filter((s) => s.name.toLowerCase().includes(f)) : services;
}

/** The NAME and VERSIONS columns' widths: the widest of the rows, and room between columns. */
function columnWidths(rows: ServiceSummary[]): { name: number; versions: number } {
  let name = 4;
  let versions = 8;
  for (const s of rows) {
    name = Math.max(name, s.name.length);
    // The versions join with ", ".
    let v = 2 * (s.versions.length - 1);
    for (const x of s.versions) v += x.length;
    versions = Math.max(versions, v);
  }
  return { name: name + 2, versions: versions + 2 };
}

interface Props {
  /** The services, kept current. */
  live: LiveSource;
  position: ListPosition;
  onPosition: (p: ListPosition) => void;
  onOpen: (service: string) => void;
  /** Shows the topics instead (t). */
  onTopics?: () => void;
  /** Shows the traffic rules and circuits (r). */
  onRoutes?: () => void;
  /** `m`: the MCP screen. */
  onMcp?: () => void;
  /** `b`: the bot screen. */
  onBot?: () => void;
  onQuit: () => void;
  /** Rows this screen may use. */
  height: number;
}

/** The services list: NAME, VERSIONS, NODES, ENDPOINTS; Enter opens the highlighted one. */
export function ServiceList({
  live,
  position,
  onPosition,
  onOpen,
  onTopics,
  onRoutes,
  onMcp,
  onBot,
  onQuit,
  height,
}: Props): ReactElement {
  const { services } = useLive(live);
  const all = useMemo(() => services.value ?? [], [services.value]);
  // Filtering and the column widths run once per change of the list or the filter, not per key.
  const shown = useMemo(() => filterServices(all, position.filter), [all, position.filter]);
  const widths = useMemo(() => columnWidths(shown), [shown]);
  const cursor = Math.min(position.cursor, Math.max(0, shown.length - 1));

  // The position as of the last key, which may be newer than this render's.
  const latest = useRef(position);
  latest.current = position;
  useKeys((input, key) => {
    const p = latest.current;
    const list = p.filter === position.filter ? shown : filterServices(all, p.filter);
    const at = Math.min(p.cursor, Math.max(0, list.length - 1));
    const set = (next: ListPosition): void => {
      latest.current = next;
      onPosition(next);
    };
    const step = steps(p.filtering ? '' : input, key);
    if (step !== 0 || key.pageUp || key.pageDown) {
      const by = key.pageUp ? -height : key.pageDown ? height : step;
      return set({ ...p, cursor: Math.max(0, Math.min(list.length - 1, at + by)) });
    }
    if (key.return) {
      const s = list[at];
      if (s) onOpen(s.name);
      return;
    }
    if (key.escape) return set({ cursor: 0, filter: '', filtering: false });
    if (p.filtering) {
      if (key.backspace || key.delete)
        return set({ ...p, cursor: 0, filter: p.filter.slice(0, -1) });
      if (key.ctrl || key.meta || key.tab) return;
      // eslint-disable-next-line no-control-regex
      const text = input.replace(/[\x00-\x1f\x7f]/g, '');
      if (text) set({ ...p, cursor: 0, filter: p.filter + text });
      return;
    }
    if (input === '/') return set({ ...p, filtering: true });
    if (input === 't') return onTopics?.();
    if (input === 'r') return onRoutes?.();
    if (input === 'm') return onMcp?.();
    if (input === 'b') return onBot?.();
    if (input === 'q') return onQuit();
  });

  const row = (cells: [string, string, string, string]): string =>
    `${cells[0].padEnd(widths.name)}${cells[1].padEnd(widths.versions)}${cells[2].padEnd(7)}${cells[3]}`;
  const status =
    listStatus(services, 'no services registered yet: start one with "micro run ./greeter"') ??
    (shown.length === 0 ? `no service matches "${position.filter}"` : undefined);

  return listView({
    height,
    title: `SERVICES (${shown.length}${position.filter ? ` of ${all.length}` : ''})`,
    beside:
      position.filtering || position.filter
        ? h(
            Box,
            { flexShrink: 0 },
            text(
              null,
              text({ dimColor: true }, 'filter /'),
              text({ color: 'yellow' }, position.filter),
              position.filtering ? text({ inverse: true }, ' ') : null,
            ),
          )
        : null,
    error: services.error,
    header: row(['NAME', 'VERSIONS', 'NODES', 'ENDPOINTS']),
    items: shown,
    cursor,
    keyOf: (s) => s.name,
    line: (s) => row([s.name, s.versions.join(', '), String(s.nodes), String(s.endpoints)]),
    status,
  });
}
