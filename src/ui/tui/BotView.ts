// The bot screen (`micro bot`, issue 22): each running bot node (the registry's `bot` service, asked
// for its Bot.Status every few seconds) with when it started and how many commands it handled; the
// chosen bot's inputs (connected or not, since when, to what) and commands (whether they change
// state, the service providing one, usage, description); below them the commands the bots ran
// (micro.audit events of source bot) live, newest first. With no bot running, how to start one.
// PgUp and PgDn scroll the commands or, after enter, the commands run.
import { Box } from 'ink';
import { createElement as h, useRef, useState, type ReactElement } from 'react';
import type { Events } from '../../platform/events/events.ts';
import type { Client, Registry } from '../../runtime/index.ts';
import { AUDIT_TOPIC } from '../audit-events.ts';
import { findBots, START_BOT, type BotNode } from '../bot-status.ts';
import { auditHeader, auditRow, textCell, type AuditColumns } from './audit-lines.ts';
import type { KeyHint } from './Footer.ts';
import { cell, clipLines, steps, visibleRange } from './layout.ts';
import { listRow, text } from './text.ts';
import { useKeys } from './use-keys.ts';
import { usePlatformEvents } from './use-platform-events.ts';
import { useRead } from './use-read.ts';

/** Which list PgUp and PgDn scroll: the chosen bot's commands, or the commands run. */
export type BotFocus = 'commands' | 'audit';

/** Keys of the bot screen, for the footer. */
export function botKeys(focus: BotFocus): KeyHint[] {
  return [
    ['↑↓/jk', 'bot'],
    ['pgup/pgdn', focus === 'commands' ? 'scroll commands' : 'scroll audit'],
    ['enter', focus === 'commands' ? 'audit' : 'commands'],
    ['esc', 'services'],
    ['q', 'quit'],
  ];
}

interface Props {
  registry: Registry;
  client: Client;
  events?: Events;
  focus: BotFocus;
  onFocus: (focus: BotFocus) => void;
  onBack: () => void;
  onQuit: () => void;
  height: number;
}

/** Ms a bot node may take to answer Bot.Status (the screen reads again every 2 s). */
const STATUS_TIMEOUT = 1500;
const AUDIT = [AUDIT_TOPIC];
const COLUMNS: AuditColumns = {
  action: 'COMMAND',
  actionWidth: 12,
  actorWidth: 22,
  targetWidth: 30,
};
/** Rows of bots and of inputs shown at most. */
const BOT_ROWS = 3;
const INPUT_ROWS = 4;
const clock = (at: number): string => (at > 0 ? new Date(at).toTimeString().slice(0, 8) : '-');

/** A bot node on a line: node, address, started, handled, its inputs' states (or its error). */
export function botLine(b: BotNode): string {
  const s = b.status;
  const what = s
    ? s.inputs.map((i) => `${i.name} ${i.connected ? '●' : '○'}`).join('  ')
    : `${b.error?.code ?? '?'} ${b.error?.detail ?? ''}`;
  return `${textCell(b.node, 24)}${textCell(b.address, 22)}${cell(s ? clock(s.started) : '-', 10)}${cell(s ? String(s.handled) : '-', 9)}${what}`;
}

/** The bot screen. */
export function BotView(p: Props): ReactElement {
  const read = useRead(
    () => findBots(p.registry, p.client, STATUS_TIMEOUT),
    [p.registry, p.client],
  );
  const live = usePlatformEvents(p.events, AUDIT);
  const [cursor, setCursor] = useState(0);
  const [scroll, setScroll] = useState(0);
  const bots = read.value?.bots ?? [];
  const at = Math.min(cursor, Math.max(0, bots.length - 1));
  const chosen = bots[at];
  const inputs = chosen?.status?.inputs ?? [];
  const commands = chosen?.status?.commands ?? [];
  const ran = live.lines.filter((l) => l.audit?.source === 'bot');

  // Rows: the titles and headers (8), the bots, the inputs, then the commands and the audit halve the rest.
  const botRows = Math.max(1, Math.min(BOT_ROWS, bots.length));
  const inputRows = Math.max(1, Math.min(INPUT_ROWS, inputs.length));
  const rest = Math.max(2, p.height - 8 - botRows - inputRows);
  const commandRows = Math.max(1, Math.floor(rest / 2));
  const auditRows = Math.max(1, rest - commandRows);

  const commandLines = commands.map(
    (c) =>
      `${textCell(c.name, 18)}${cell(c.changes ? 'yes' : '-', 9)}${textCell(c.service ?? 'built-in', 14)}${textCell(c.usage, 34)}${c.description}`,
  );
  const auditLines = ran.map((l) => auditRow(l, COLUMNS));
  const focused = p.focus === 'commands' ? commandLines : auditLines;
  const focusedRows = p.focus === 'commands' ? commandRows : auditRows;
  const latest = useRef({ at, count: bots.length, focus: p.focus, scroll, lines: 0, rows: 0 });
  latest.current = {
    at,
    count: bots.length,
    focus: p.focus,
    scroll,
    lines: focused.length,
    rows: focusedRows,
  };
  useKeys((input, key) => {
    const now = latest.current;
    const by = steps(input, key);
    if (by !== 0) {
      setScroll(0);
      return setCursor((latest.current.at = Math.max(0, Math.min(now.count - 1, now.at + by))));
    }
    if (key.pageDown || key.pageUp) {
      const to = now.scroll + (key.pageDown ? now.rows - 1 : 1 - now.rows);
      return setScroll(Math.max(0, Math.min(Math.max(0, now.lines - now.rows), to)));
    }
    if (key.return) {
      setScroll(0);
      return p.onFocus(now.focus === 'commands' ? 'audit' : 'commands');
    }
    if (key.escape) return p.onBack();
    if (input === 'q') return p.onQuit();
  });
  const top = Math.min(scroll, Math.max(0, focused.length - focusedRows));
  const shown = (lines: string[], rows: number, mine: boolean): string[] =>
    clipLines(mine ? lines.slice(top) : lines, rows);

  const { start, end } = visibleRange(bots.length, at, BOT_ROWS);
  const botList = read.loading
    ? [text({ key: 'l' }, '  loading…')]
    : bots.length === 0
      ? [
          text(
            { key: 'n', wrap: 'truncate-end' },
            `  no bot is running: start one with ${START_BOT} (or slack, xmpp: docs/bot.md)`,
          ),
        ]
      : bots.slice(start, end).map((b, i) => listRow(b.node, start + i === at, botLine(b)));
  const inputLines = chosen?.error
    ? [`${chosen.error.code} ${chosen.error.status}: ${chosen.error.detail}`]
    : inputs.length === 0
      ? ['-']
      : inputs.map(
          (i) =>
            `${textCell(i.name, 10)}${cell(i.connected ? 'connected' : 'disconnected', 14)}${cell(clock(i.since), 10)}${i.detail ?? ''}`,
        );
  const lines = (key: string, list: string[]) =>
    list.map((l, i) => text({ key: `${key}${i}`, wrap: 'truncate-end' }, `  ${l}`));
  const total = read.value?.total ?? 0;
  const count = bots.length < total ? `${bots.length} of ${total}` : String(total);
  const name = chosen ? ` ${chosen.node}` : '';
  const auditEmpty = live.loading && p.events ? ['loading…'] : ['no commands run yet'];
  return h(
    Box,
    { flexDirection: 'column', height: p.height, overflow: 'hidden' },
    h(
      Box,
      { gap: 2 },
      h(Box, { flexShrink: 0 }, text({ bold: true }, `BOTS (${count})`)),
      read.error ? text({ color: 'red', wrap: 'truncate-end' }, read.error) : null,
    ),
    text(
      { dimColor: true },
      `  ${cell('NODE', 24)}${cell('ADDRESS', 22)}${cell('STARTED', 10)}${cell('HANDLED', 9)}INPUTS`,
    ),
    ...botList,
    text({ bold: true, wrap: 'truncate-end' }, `INPUTS${name}`),
    text({ dimColor: true }, `  ${cell('NAME', 10)}${cell('STATE', 14)}${cell('SINCE', 10)}DETAIL`),
    ...lines('i', clipLines(inputLines, inputRows)),
    text(
      { bold: true, wrap: 'truncate-end', underline: p.focus === 'commands' },
      `COMMANDS${name} (${commands.length})`,
    ),
    text(
      { dimColor: true },
      `  ${cell('NAME', 18)}${cell('CHANGES', 9)}${cell('SERVICE', 14)}${cell('USAGE', 34)}DESCRIPTION`,
    ),
    ...lines(
      'c',
      shown(commandLines.length ? commandLines : ['-'], commandRows, p.focus === 'commands'),
    ),
    h(
      Box,
      { gap: 2 },
      text({ bold: true, underline: p.focus === 'audit' }, `AUDIT (${ran.length})`),
      live.error ? text({ color: 'red', wrap: 'truncate-end' }, live.error) : null,
    ),
    text({ dimColor: true, wrap: 'truncate-end' }, `  ${auditHeader(COLUMNS)}`),
    ...lines(
      'a',
      shown(auditLines.length ? auditLines : auditEmpty, auditRows, p.focus === 'audit'),
    ),
  );
}
