// `micro mcp audit`: the recent MCP tool calls (the `micro.audit` events of source mcp), and with
// --follow each new one as it comes; read as shared/audit.ts reads them, printed by format.ts.
import type { Args } from '../shared/command.ts';
import { printAuditOf, type AuditFlags } from '../shared/audit.ts';
import { auditFollower, auditText } from './format.ts';

export type { AuditFlags };

/** Prints the recent MCP tool calls; with --follow, then each new one until Ctrl-C. */
export function printAudit(args: Args<AuditFlags>): Promise<void> {
  return printAuditOf(args, { source: 'mcp', text: auditText, follower: auditFollower });
}
