// What the bot reports to the audit for one command: the record of source `bot`, every field cut to
// the audit's bounds (AUDIT_LIMITS; the target to TARGET characters), so that no chat text, however
// long, makes a record the audit service refuses. An empty field is `-`.
import { AUDIT_LIMITS, type AuditRecord } from '../platform/audit/audit.ts';

/** Characters of the target (by default the message text) the audit keeps. */
export const TARGET = 200;

const cut = (s: string, n: number = AUDIT_LIMITS.field): string => s.slice(0, n) || '-';

/** The record of a command run through the bot, within the audit's bounds. */
export function botRecord(record: Omit<AuditRecord, 'source'>): AuditRecord {
  return {
    ...record,
    source: 'bot',
    actor: cut(record.actor),
    action: cut(record.action),
    target: cut(record.target, Math.min(TARGET, AUDIT_LIMITS.field)),
    ...(record.detail !== undefined && { detail: record.detail.slice(0, AUDIT_LIMITS.detail) }),
    ...(record.labels && {
      labels: Object.fromEntries(
        Object.entries(record.labels).map(([k, v]) => [k, v.slice(0, AUDIT_LIMITS.label)]),
      ),
    }),
  };
}
