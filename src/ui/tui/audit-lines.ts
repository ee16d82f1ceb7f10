// The audited actions of one source (`micro.audit` events: `mcp` tool calls, `bot` commands) as the
// explorer's screens show them: a header and one line each, in columns (time, actor, the action,
// optionally its target, result, code, ms). What the MCP and bot screens share; the lines are
// drawn through text(), which escapes any control character of remote text.
import { printable } from '../../registry/printable.ts';
import { cell } from './layout.ts';
import type { ShownLine } from './use-platform-events.ts';

/** The columns of one source's lines: the action's name and widths. */
export interface AuditColumns {
  /** The action's column: `TOOL`, `COMMAND`. */
  action: string;
  /** Its width. */
  actionWidth: number;
  /** The actor's width. */
  actorWidth: number;
  /** The target's width, when shown. */
  targetWidth?: number;
}

/** Remote text in a column: its control characters escaped first, so the columns stay aligned. */
export const textCell = (v: string, width: number): string => cell(printable(v, false), width);

const clock = (at: number): string => new Date(at).toTimeString().slice(0, 8);

/** The header line of these columns. */
export function auditHeader(c: AuditColumns): string {
  const target = c.targetWidth ? cell('TARGET', c.targetWidth) : '';
  return `${cell('TIME', 10)}${cell('ACTOR', c.actorWidth)}${cell(c.action, c.actionWidth)}${target}${cell('RESULT', 9)}${cell('CODE', 6)}MS`;
}

/** An audited action on a line, in these columns (its summary when it is no audit record). */
export function auditRow(l: ShownLine, c: AuditColumns): string {
  const a = l.audit;
  if (!a) return l.summary;
  const target = c.targetWidth ? textCell(a.target || '-', c.targetWidth) : '';
  return `${cell(clock(l.time), 10)}${textCell(a.actor || '-', c.actorWidth)}${textCell(a.action, c.actionWidth)}${target}${cell(a.result || '?', 9)}${cell(a.code ? String(a.code) : '-', 6)}${a.ms >= 0 ? a.ms : '-'}`;
}
