// The routes screen: every service's traffic rule (each route on a line: what it matches, its
// destinations with their share as a bar, stickiness, mirror), read through the Routes interface,
// and the circuits of the callers' breakers from the control plane's metrics service (open and
// half-open ones; `a` shows the closed too), read again every few seconds.
import { Box } from 'ink';
import { createElement as h, useState, type ReactElement } from 'react';
import type { NodeCircuits } from '../../platform/metrics/metrics.ts';
import type { Destination, Route, Routes } from '../../platform/routing/routing.ts';
import type { Client } from '../../runtime/index.ts';
import type { KeyHint } from './Footer.ts';
import { clipLines, relativeTime } from './layout.ts';
import { text } from './text.ts';
import { useKeys } from './use-keys.ts';
import { useRead } from './use-read.ts';

/** Keys of the routes screen, for the footer. */
export const routesKeys: KeyHint[] = [
  ['a', 'closed circuits'],
  ['esc', 'services'],
  ['q', 'quit'],
];

interface Props {
  client: Client;
  /** The traffic rules; without them the screen says so. */
  routes?: Routes;
  onBack: () => void;
  onQuit: () => void;
  height: number;
}

const BAR = 10;
const labels = (m: Record<string, string> | undefined): string =>
  Object.entries(m ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
const target = (d: Omit<Destination, 'weight'>): string =>
  [d.version, labels(d.metadata)].filter((x) => x).join(' ') || 'any';

/** One route on a line: `1 canary  Say.* x-user=ann  → 1.0.0 90% █████████░ …  sticky k  mirror 5% → v3`. */
export function routeLine(r: Route, i: number): string {
  const total = r.to.reduce((n, d) => n + (d.weight ?? 100), 0);
  const to = r.to.map((d) => {
    const share = total > 0 ? (d.weight ?? 100) / total : 0;
    const full = Math.round(share * BAR);
    return `${target(d)} ${Math.round(share * 1000) / 10}% ${'█'.repeat(full)}${'░'.repeat(BAR - full)}`;
  });
  const match = [r.match?.endpoint, labels(r.match?.metadata)].filter((x) => x).join(' ');
  return [
    `${i + 1} ${r.name ?? '-'}`,
    match || 'every call',
    `→ ${to.join('  ')}`,
    r.sticky ? `sticky ${r.sticky}` : '',
    r.mirror ? `mirror ${r.mirror.percent}% → ${target(r.mirror)}` : '',
  ]
    .filter((x) => x)
    .join('  ');
}

/** The routes screen. */
export function RoutesView({ client, routes, onBack, onQuit, height }: Props): ReactElement {
  const [all, setAll] = useState(false);
  const rules = useRead(async () => {
    if (!routes) throw new Error('this explorer was started without the traffic rules');
    return routes.list();
  }, [routes]);
  const circuits = useRead(
    async () =>
      (
        await client.call<{ circuits?: NodeCircuits[] }>('metrics', 'Metrics.Query', {
          window: 1000,
        })
      ).circuits ?? [],
    [client],
  );
  useKeys((input, key) => {
    if (key.escape) return onBack();
    if (input === 'a') return setAll((a) => !a);
    if (input === 'q') return onQuit();
  });

  const list = [...(rules.value ?? [])].sort((a, b) => a.service.localeCompare(b.service));
  const ruleLines = rules.loading
    ? ['loading…']
    : list.length === 0
      ? ['no traffic rule: every call goes to any node (micro route weight SERVICE V=W ...)']
      : list.flatMap((rule) => [
          rule.service,
          ...rule.routes.map((r, i) => `  ${routeLine(r, i)}`),
        ]);
  const rows = (circuits.value ?? []).flatMap((n) => n.circuits.map((c) => ({ caller: n, c })));
  const shown = rows.filter((r) => all || r.c.state !== 'closed');
  const cell = (v: string, width: number): string =>
    v.length < width ? v.padEnd(width) : `${v.slice(0, width - 2)}… `;
  const circuitRow = (c: string[]): string =>
    `${cell(c[0] ?? '', 30)}${cell(c[1] ?? '', 16)}${cell(c[2] ?? '', 30)}${cell(c[3] ?? '', 11)}${cell(c[4] ?? '', 10)}${c[5] ?? ''}`;
  const circuitLines = circuits.loading
    ? ['loading…']
    : shown.length === 0
      ? [rows.length === 0 ? 'no circuit yet' : 'every circuit is closed (a: show them)']
      : shown.map(({ caller, c }) =>
          circuitRow([
            caller.node,
            c.service,
            c.node,
            c.state,
            String(c.failures),
            c.state !== 'closed' && c.openedAt !== undefined ? relativeTime(c.openedAt) : '-',
          ]),
        );
  const half = Math.max(2, Math.floor((height - 4) / 2));
  const lines = (l: string[], key: string) =>
    clipLines(l, half).map((x, i) => text({ key: `${key}${i}`, wrap: 'truncate-end' }, `  ${x}`));
  return h(
    Box,
    { flexDirection: 'column', height, overflow: 'hidden' },
    h(
      Box,
      { gap: 2 },
      text({ bold: true }, `RULES (${list.length})`),
      rules.error ? text({ color: 'red', wrap: 'truncate-end' }, rules.error) : null,
    ),
    ...lines(ruleLines, 'r'),
    h(
      Box,
      { gap: 2 },
      text(
        { bold: true },
        `CIRCUITS (${shown.length}${all ? '' : ` not closed of ${rows.length}`})`,
      ),
      circuits.error ? text({ color: 'red', wrap: 'truncate-end' }, circuits.error) : null,
    ),
    text(
      { dimColor: true },
      `  ${circuitRow(['CALLER', 'TARGET', 'NODE', 'STATE', 'FAILURES', 'SINCE'])}`,
    ),
    ...lines(circuitLines, 'c'),
  );
}
