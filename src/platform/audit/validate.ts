// The audit area's checks, shared by every implementation and the `audit` service: a record that
// breaks AUDIT_LIMITS is a 400 from `audit` naming its field (a detail past its bound is cut, not
// refused), and a batch with one bad record is refused whole. Also the stamp the service puts on
// an accepted record: who reported it, and its one-line summary.
import { printable } from '../../registry/printable.ts';
import { badRequest } from '../../runtime/errors.ts';
import { AUDIT_LIMITS, type AuditEvent, type AuditRecord } from './audit.ts';

/** The id of the audit area's errors. */
export const AUDIT_ID = 'audit';

/** Records in one `Audit.Report` at most. */
export const AUDIT_BATCH = 100;

/** The results a record may have. */
export const AUDIT_RESULTS: readonly AuditRecord['result'][] = ['ok', 'error', 'refused'];

/** The greatest `code` (HTTP statuses and MicroError codes fit under it). */
const MAX_CODE = 999;

/** The greatest `ms`: a day. */
const MAX_MS = 86_400_000;

const FIELDS = ['source', 'actor', 'action', 'target'] as const;
const KEYS = new Set<string>([
  ...FIELDS,
  'result',
  'code',
  'ms',
  'detail',
  'labels',
  // An event read back and reported again keeps its stamps out: they are the service's.
  'reporter',
  'summary',
]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const shown = (key: string): string =>
  /^[\w-]{1,40}$/.test(key) ? key : printable(JSON.stringify(key.slice(0, 40)), false);

function checkText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '' || value.length > AUDIT_LIMITS.field)
    throw badRequest(AUDIT_ID, `${field} must be a text of 1 to ${AUDIT_LIMITS.field} characters`);
  return value;
}

function checkLabels(value: unknown, at: string): Record<string, string> {
  if (!isObject(value)) throw badRequest(AUDIT_ID, `${at}.labels must be a JSON object`);
  const entries = Object.entries(value);
  if (entries.length > AUDIT_LIMITS.labels)
    throw badRequest(
      AUDIT_ID,
      `${at}.labels has ${entries.length} labels; a record takes at most ${AUDIT_LIMITS.labels}`,
    );
  for (const [key, v] of entries) {
    if (key === '' || key.length > AUDIT_LIMITS.label)
      throw badRequest(
        AUDIT_ID,
        `${at}.labels has a key of ${key.length} characters; keys are 1 to ${AUDIT_LIMITS.label}`,
      );
    if (typeof v !== 'string' || v.length > AUDIT_LIMITS.label)
      throw badRequest(
        AUDIT_ID,
        `${at}.labels.${shown(key)} must be a text of at most ${AUDIT_LIMITS.label} characters`,
      );
  }
  // Own properties whatever their names (an assignment to `__proto__` would set no label).
  return Object.fromEntries(entries) as Record<string, string>;
}

/** One record as published (without stamps; detail cut to its bound), or a 400 naming the field of `at`. */
export function checkRecord(value: unknown, at = 'record'): AuditRecord {
  if (!isObject(value)) throw badRequest(AUDIT_ID, `${at} must be a JSON object`);
  for (const key of Object.keys(value))
    if (!KEYS.has(key))
      throw badRequest(AUDIT_ID, `${at}.${shown(key)} is not a field of an audit record`);
  const [source, actor, action, target] = FIELDS.map((f) => checkText(value[f], `${at}.${f}`));
  const { result, code, ms, detail, labels } = value;
  if (typeof result !== 'string' || !(AUDIT_RESULTS as readonly string[]).includes(result))
    throw badRequest(AUDIT_ID, `${at}.result must be one of ${AUDIT_RESULTS.join(', ')}`);
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > MAX_CODE)
    throw badRequest(AUDIT_ID, `${at}.code must be a whole number from 0 to ${MAX_CODE}`);
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > MAX_MS)
    throw badRequest(AUDIT_ID, `${at}.ms must be a number of ms from 0 to ${MAX_MS}`);
  const record: AuditRecord = {
    source: source!,
    actor: actor!,
    action: action!,
    target: target!,
    result: result as AuditRecord['result'],
    code,
    ms,
  };
  if (detail !== undefined) {
    if (typeof detail !== 'string') throw badRequest(AUDIT_ID, `${at}.detail must be a text`);
    if (detail !== '') record.detail = detail.slice(0, AUDIT_LIMITS.detail);
  }
  if (labels !== undefined) {
    const checked = checkLabels(labels, at);
    if (Object.keys(checked).length > 0) record.labels = checked;
  }
  return record;
}

/** A batch as published, or a 400 naming the first bad field (`records[i].<field>`). */
export function checkRecords(value: unknown): AuditRecord[] {
  if (!Array.isArray(value)) throw badRequest(AUDIT_ID, 'records must be an array');
  if (value.length > AUDIT_BATCH)
    throw badRequest(
      AUDIT_ID,
      `records holds ${value.length} records; a report takes at most ${AUDIT_BATCH}`,
    );
  return value.map((r, i) => checkRecord(r, `records[${i}]`));
}

/** The one line of a record: `mcp: alice called greeter.Say.Hello: ok in 3 ms`. */
export function summarize(r: AuditRecord): string {
  const outcome = r.result === 'ok' ? 'ok' : `${r.result} ${r.code}`;
  const line = `${r.source}: ${r.actor} called ${r.action}: ${outcome} in ${Math.round(r.ms)} ms`;
  return printable(line, false);
}

/** A checked record as published: stamped with who reported it, and summarized. */
export function stamp(record: AuditRecord, reporter: string): AuditEvent {
  return { ...record, reporter, summary: summarize(record) };
}
