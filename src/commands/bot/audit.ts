// `micro bot audit`: the recent commands the bots ran (the `micro.audit` events of source bot: who,
// which command, on what, how it ended), and with --follow each new one as it comes; read as
// shared/audit.ts reads them (as `micro mcp audit` does), printed by format.ts.
import type { Args } from '../shared/command.ts';
import { printAuditOf, type AuditFlags } from '../shared/audit.ts';
import { botAuditFollower, botAuditText } from './format.ts';

export type { AuditFlags };

/** Prints the recent bot commands; with --follow, then each new one until Ctrl-C. */
export function printBotAudit(args: Args<AuditFlags>): Promise<void> {
  return printAuditOf(args, { source: 'bot', text: botAuditText, follower: botAuditFollower });
}
