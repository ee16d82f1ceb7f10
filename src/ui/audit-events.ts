// Audit events (`micro.audit`, issue 21) as the dashboard and the explorer show them: the fields of
// an AuditEvent taken from an event's data, each checked and cut, so that a malformed or hostile
// record (anything may sit on a topic the views read) is shown as far as it is sound and never as
// more than a bounded line. The views read them with the other platform events (platform-events.ts).
import { AUDIT_LIMITS, AUDIT_TOPIC, type AuditRecord } from '../platform/audit/audit.ts';

export { AUDIT_TOPIC };

/** An audit event as one row: who called which tool, how it ended and how long it took. */
export interface AuditLine {
  /** What reported it: `mcp`, `bot`. */
  source: string;
  /** The account, or `anonymous`. */
  actor: string;
  /** The tool or command. */
  action: string;
  /** What it acted on: `service:greeter:Say.Hello`. */
  target: string;
  /** `ok`, `error` or `refused`; `''` when the record had none of these. */
  result: AuditRecord['result'] | '';
  /** 200 or the error's code; 0 when the record had none. */
  code: number;
  /** Milliseconds, -1 when the record had none. */
  ms: number;
  /** The error's detail, when it failed. */
  detail?: string;
  /** The MCP client (`name/version`), session and transport, when labelled. */
  client?: string;
  session?: string;
  transport?: string;
}

const RESULTS: ReadonlySet<string> = new Set(['ok', 'error', 'refused']);

const str = (v: unknown, max: number = AUDIT_LIMITS.field): string =>
  typeof v === 'string' ? v.slice(0, max) : '';
const num = (v: unknown, none: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : none;

/** The audit fields of an event's data (missing ones empty); undefined when it is no object. */
export function auditLine(data: unknown): AuditLine | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  const raw = d.labels;
  const labels =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? (raw as Record<string, unknown>)
      : {};
  const label = (key: string): string => str(labels[key], AUDIT_LIMITS.label);
  const result = str(d.result);
  const detail = str(d.detail, AUDIT_LIMITS.detail);
  const [client, session, transport] = [label('client'), label('session'), label('transport')];
  return {
    source: str(d.source),
    actor: str(d.actor),
    action: str(d.action),
    target: str(d.target),
    result: RESULTS.has(result) ? (result as AuditRecord['result']) : '',
    code: num(d.code, 0),
    ms: num(d.ms, -1),
    ...(detail && { detail }),
    ...(client && { client }),
    ...(session && { session }),
    ...(transport && { transport }),
  };
}
