// How `micro bot status` and `micro bot audit` print: each bot node as a line with its inputs and
// its commands as tables (or why it did not answer), the audited bot commands as a table or one line
// each. Remote text goes through printable() (table, print), so no control character reaches the
// terminal.
import type { BotNode, Bots } from '../../ui/bot-status.ts';
import { START_BOT } from '../../ui/bot-status.ts';
import type { AuditRow } from '../shared/audit.ts';
import { table, TableWriter } from '../shared/output.ts';

const iso = (at: number): string => (at > 0 ? new Date(at).toISOString() : '-');

/** One bot node: a line saying which and how it is, then its inputs and its commands as tables. */
function nodeText(b: BotNode): string {
  const head = `bot ${b.node} at ${b.address} (${b.version})`;
  const s = b.status;
  if (!s)
    return `${head}: ${b.error?.code ?? '?'} ${b.error?.status ?? ''}: ${b.error?.detail ?? ''}`;
  const inputs =
    s.inputs.length === 0
      ? 'no inputs'
      : table(
          ['INPUT', 'STATE', 'SINCE', 'DETAIL'],
          s.inputs.map((i) => [
            i.name,
            i.connected ? 'connected' : 'disconnected',
            iso(i.since),
            i.detail ?? '-',
          ]),
        );
  const commands =
    s.commands.length === 0
      ? 'no commands'
      : table(
          ['COMMAND', 'CHANGES', 'SERVICE', 'USAGE', 'DESCRIPTION'],
          s.commands.map((c) => [
            c.name,
            c.changes ? 'yes' : c.sensitive ? 'reads' : '-',
            c.service ?? 'built-in',
            c.usage,
            c.description,
          ]),
        );
  return [
    `${head}: started ${iso(s.started)}, ${s.handled} command${s.handled === 1 ? '' : 's'} handled, ${s.failed ?? 0} failed`,
    '',
    inputs,
    '',
    commands,
  ].join('\n');
}

/** Every bot node asked, or how to start one when none runs. */
export function botsText(found: Bots): string {
  if (found.total === 0)
    return `no bot is running: start one with ${START_BOT} (or slack, xmpp: docs/bot.md)`;
  const more =
    found.bots.length < found.total
      ? [`(${found.total - found.bots.length} more bot nodes not asked)`]
      : [];
  return [...found.bots.map(nodeText), ...more].join('\n\n');
}

/** The bots as `-o json` prints them: each node's BotStatus with the node's id, address and version (or its error). */
export const botsJson = (found: Bots): object[] =>
  found.bots.map((b) => ({
    node: b.node,
    address: b.address,
    version: b.version,
    ...b.status,
    ...(b.error && { error: b.error }),
  }));

/** The cells of one audited command: time, actor, command, target, result, code, ms, room. */
const cells = (e: AuditRow): string[] => [
  new Date(e.time).toISOString(),
  e.actor,
  e.action,
  e.target,
  e.result,
  String(e.code),
  String(e.ms),
  e.labels?.room ?? '-',
];

const AUDIT_HEADER = ['TIME', 'ACTOR', 'COMMAND', 'TARGET', 'RESULT', 'CODE', 'MS', 'ROOM'];

/** The audited bot commands as a table, oldest first. */
export function botAuditText(rows: AuditRow[]): string {
  if (rows.length === 0) return 'no bot commands audited yet';
  return table(AUDIT_HEADER, rows.map(cells));
}

/** For --follow: the lines of each batch of commands, in the columns of the first (widened as needed). */
export function botAuditFollower(): (rows: AuditRow[]) => string[] {
  const writer = new TableWriter(AUDIT_HEADER);
  return (rows) => [...writer.lines(rows.map(cells))];
}
