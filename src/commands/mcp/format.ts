// How the `micro mcp` commands print: the tools as a table, a tool's result as its answer's JSON
// (a tool error as the error JSON on stderr, exit code 1), audit events as a table or one line
// each. Remote text goes through printable() (table, json), so no control character reaches the
// terminal.
import type { McpTool, ToolResult } from '../../proxy/mcp/mcp.ts';
import type { AuditRow } from '../shared/audit.ts';
import { json, table, TableWriter } from '../shared/output.ts';

/** The tools as NAME, STREAM, DESCRIPTION (the description's first line). */
export function toolsText(tools: McpTool[]): string {
  if (tools.length === 0)
    return "no tools: no endpoint is exposed (hidden: Debug.*, the platform's own services, mcp: 'false', and what --deny or MICRO_MCP_DENY names; --allow brings hidden ones back)";
  return table(
    ['NAME', 'STREAM', 'DESCRIPTION'],
    tools.map((t) => [t.name, t.stream ?? '-', t.description.split('\n')[0] ?? '']),
  );
}

/** A result's text content parsed as JSON (the answer, or the error); the text itself when it is not JSON. */
function answerOf(result: ToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const text = result.content.map((c) => c.text).join('');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Prints a tool's result: the answer as indented JSON on stdout; a tool error's JSON on one line on
 * stderr, with exit code 1.
 */
export function printResult(result: ToolResult): void {
  const answer = answerOf(result);
  if (result.isError) {
    process.stderr.write(`${json(answer, false)}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${json(answer)}\n`);
}

/** The cells of one audit event: time, actor, tool, result, code, ms, client. */
const cells = (e: AuditRow): string[] => [
  new Date(e.time).toISOString(),
  e.actor,
  e.action,
  e.result,
  String(e.code),
  String(e.ms),
  e.labels?.client ?? '-',
  e.labels?.transport ?? '-',
];

const AUDIT_HEADER = ['TIME', 'ACTOR', 'TOOL', 'RESULT', 'CODE', 'MS', 'CLIENT', 'TRANSPORT'];

/** The audit events as a table, oldest first. */
export function auditText(rows: AuditRow[]): string {
  if (rows.length === 0) return 'no MCP tool calls audited yet';
  return table(AUDIT_HEADER, rows.map(cells));
}

/** For --follow: the lines of each batch of events, in the columns of the first (widened as needed). */
export function auditFollower(): (rows: AuditRow[]) => string[] {
  const writer = new TableWriter(AUDIT_HEADER);
  return (rows) => [...writer.lines(rows.map(cells))];
}
