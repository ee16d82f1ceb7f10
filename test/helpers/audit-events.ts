// Audit events (`micro.audit`) as the control plane publishes them, for the views' tests: an
// AuditEvent of source mcp with a summary like the audit service's, any field replaced.
import type { AuditEvent, AuditRecord } from '../../src/platform/audit/audit.ts';

/** An audited tool call: alice called greeter.Say.Hello, ok in 3 ms, unless `over` says otherwise. */
export function auditRecord(over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    source: 'mcp',
    actor: 'alice',
    action: 'greeter.Say.Hello',
    target: 'service:greeter:Say.Hello',
    result: 'ok',
    code: 200,
    ms: 3,
    labels: { client: 'test-agent/1.0', session: 'stdio', transport: 'stdio' },
    ...over,
  };
}

/** That call as the control plane publishes it: with who reported it and a summary line. */
export function auditEvent(over: Partial<AuditEvent> = {}): AuditEvent {
  const r = auditRecord(over);
  return {
    ...r,
    reporter: over.reporter ?? 'micro-mcp',
    summary:
      over.summary ?? `${r.source}: ${r.actor} called ${r.action}: ${r.result} in ${r.ms} ms`,
  };
}
