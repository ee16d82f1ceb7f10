// The MCP screen (`micro mcp`, issue 21): the services' endpoints as the tools AI agents see (name,
// stream kind, scope, description), read again every few seconds, with the selected tool's input
// and output schemas on enter; below them the tool calls of the audit log (micro.audit events of
// source mcp) live, newest first: time, actor, tool, result, code and ms; PgUp and PgDn scroll them.
import { Box } from 'ink';
import { createElement as h, useRef, useState, type ReactElement } from 'react';
import type { Events } from '../../platform/events/events.ts';
import type { McpTool } from '../../proxy/mcp/mcp.ts';
import { MicroError } from '../../runtime/index.ts';
import { AUDIT_TOPIC } from '../audit-events.ts';
import { auditHeader, auditRow, type AuditColumns } from './audit-lines.ts';
import type { KeyHint } from './Footer.ts';
import { cell, clipLines, steps, visibleRange } from './layout.ts';
import { listRow, text } from './text.ts';
import { useKeys } from './use-keys.ts';
import { usePlatformEvents, type ShownLine } from './use-platform-events.ts';
import { useRead } from './use-read.ts';

/** What the MCP screen reads: the tools agents see now, and where they connect over HTTP. */
export interface ExplorerMcp {
  tools(): Promise<readonly McpTool[]>;
  /** The gateway's /mcp, when known. */
  url?: string;
}

/** Keys of the MCP screen, for the footer. */
export function mcpKeys(schemas: boolean): KeyHint[] {
  return [
    ['↑↓/jk', 'move'],
    ['pgup/pgdn', schemas ? 'scroll schemas' : 'scroll calls'],
    ['enter', schemas ? 'calls' : 'schemas'],
    ['esc', schemas ? 'calls' : 'services'],
    ['q', 'quit'],
  ];
}

interface Props {
  mcp?: ExplorerMcp;
  events?: Events;
  /** The selected tool's schemas are shown (instead of the calls). */
  schemas: boolean;
  onSchemas: (on: boolean) => void;
  onBack: () => void;
  onQuit: () => void;
  height: number;
}

const AUDIT = [AUDIT_TOPIC];
const COLUMNS: AuditColumns = { action: 'TOOL', actionWidth: 34, actorWidth: 18 };

/** A tool on a line: name, stream kind, scope, description. */
export const toolLine = (t: McpTool): string =>
  `${cell(t.name, 30)}${cell(t.stream ?? '-', 8)}${cell(t.scope, 32)}${t.description}`;

/** A call of the audit log on a line. */
export const callLine = (l: ShownLine): string => auditRow(l, COLUMNS);

/** A schema as indented JSON lines, or what its absence means. */
const schemaLines = (title: string, schema: object | undefined, none: string): string[] => [
  title,
  ...(schema ? JSON.stringify(schema, null, 2).split('\n') : [none]).map((l) => `  ${l}`),
];

/** The MCP screen. */
export function McpView(p: Props): ReactElement {
  const tools = useRead(async () => {
    if (!p.mcp)
      throw new MicroError('micro.explore', 501, 'this explorer was started without micro mcp');
    return p.mcp.tools();
  }, [p.mcp]);
  const live = usePlatformEvents(p.events, AUDIT);
  const [cursor, setCursor] = useState(0);
  // The first line shown of the calls or schemas.
  const [scroll, setScroll] = useState(0);
  const list = tools.value ?? [];
  const at = Math.min(cursor, Math.max(0, list.length - 1));
  // The tools take up to half the rows, the calls or schemas the rest.
  const half = Math.max(3, Math.floor((p.height - 5) / 2));
  const { start, end } = visibleRange(list.length, at, half);
  const lowerRows = Math.max(1, p.height - 4 - Math.max(1, end - start));
  const latest = useRef({ at, count: list.length, schemas: p.schemas, scroll, lines: 0 });
  latest.current = { ...latest.current, at, count: list.length, schemas: p.schemas, scroll };
  useKeys((input, key) => {
    const now = latest.current;
    const by = steps(input, key);
    if (by !== 0) {
      setScroll(0);
      return setCursor((latest.current.at = Math.max(0, Math.min(now.count - 1, now.at + by))));
    }
    if (key.pageDown || key.pageUp) {
      const to = now.scroll + (key.pageDown ? lowerRows - 1 : 1 - lowerRows);
      return setScroll(Math.max(0, Math.min(Math.max(0, now.lines - lowerRows), to)));
    }
    if (key.return) {
      setScroll(0);
      return p.onSchemas(!now.schemas);
    }
    if (key.escape) {
      setScroll(0);
      return now.schemas ? p.onSchemas(false) : p.onBack();
    }
    if (input === 'q') return p.onQuit();
  });

  const calls = live.lines.filter((l) => l.audit?.source === 'mcp');
  const toolRows = tools.loading
    ? [text({ key: 'l' }, '  loading…')]
    : list.length === 0
      ? [text({ key: 'n' }, '  no tools: no service endpoint is exposed to agents')]
      : list.slice(start, end).map((t, i) => listRow(t.name, start + i === at, toolLine(t)));
  const chosen = list[at];
  const lower = p.schemas
    ? chosen
      ? [
          `${chosen.title}: ${chosen.description}`,
          ...schemaLines('input schema', chosen.inputSchema, ''),
          ...schemaLines('output schema', chosen.outputSchema, 'none: the answer comes as text'),
        ]
      : ['no tool chosen']
    : live.loading && p.events
      ? ['loading…']
      : calls.length === 0
        ? ['no tool calls yet']
        : calls.map(callLine);
  latest.current.lines = lower.length;
  const top = Math.min(scroll, Math.max(0, lower.length - lowerRows));
  const error = tools.error ?? (p.schemas ? undefined : live.error);
  const where = p.mcp?.url ? `http ${p.mcp.url}  ` : '';
  return h(
    Box,
    { flexDirection: 'column', height: p.height, overflow: 'hidden' },
    h(
      Box,
      { gap: 2 },
      h(Box, { flexShrink: 0 }, text({ bold: true }, `TOOLS (${list.length})`)),
      text({ dimColor: true, wrap: 'truncate-end' }, `${where}stdio: micro mcp serve`),
      error ? text({ color: 'red', wrap: 'truncate-end' }, error) : null,
    ),
    text(
      { dimColor: true },
      `  ${cell('NAME', 30)}${cell('STREAM', 8)}${cell('SCOPE', 32)}DESCRIPTION`,
    ),
    ...toolRows,
    p.schemas
      ? text({ bold: true, wrap: 'truncate-end' }, `SCHEMAS ${chosen?.name ?? ''}`)
      : text({ bold: true }, `CALLS (${calls.length})`),
    p.schemas ? null : text({ dimColor: true }, `  ${auditHeader(COLUMNS)}`),
    ...clipLines(lower.slice(top), lowerRows).map((l, i) =>
      text({ key: `c${i}`, wrap: 'truncate-end' }, `  ${l}`),
    ),
  );
}
