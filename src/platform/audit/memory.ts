// The audit in this process only (tests, single-process programs): each record is checked as the
// control plane's `audit` service checks it, stamped with the reporter given here and kept, the
// newest `keep` (default 10,000), in the order reported; a bad record is dropped and counted, as
// report never throws. `emit`, when given, also gets each event (topic micro.audit), as the
// control plane publishes it. Nothing is persisted or shared with another process.
import { AUDIT_TOPIC, type Audit, type AuditEvent } from './audit.ts';
import { checkRecords, stamp } from './validate.ts';

/** Options of the in-process audit. */
export interface MemoryAuditOptions {
  /** The `reporter` stamped on each event (default `memory`). */
  reporter?: string;
  /** Events kept at most, the oldest dropped first (default 10,000). */
  keep?: number;
  /** Called with each accepted event, as the control plane's emit (topic micro.audit). */
  emit?: (topic: string, data: Record<string, unknown>) => void;
}

/** The in-process audit, with what it kept. */
export interface MemoryAudit extends Audit {
  /** The events kept, oldest first. */
  events(): AuditEvent[];
  /**
   * Takes a batch as the control plane's `Audit.Report` does: all of it stamped and kept, or a
   * MicroError 400 naming the first bad field and nothing kept. Returns the events.
   */
  accept(records: unknown, reporter?: string): AuditEvent[];
  /** Records refused so far (bad records reported, or reported after close). */
  dropped(): number;
}

/** An audit that keeps its events in this process. */
export function createMemoryAudit(options: MemoryAuditOptions = {}): MemoryAudit {
  const reporter = options.reporter ?? 'memory';
  const keep = options.keep ?? 10_000;
  let kept: AuditEvent[] = [];
  let dropped = 0;
  let closed = false;
  const accept = (records: unknown, by = reporter): AuditEvent[] => {
    const events = checkRecords(records).map((r) => stamp(r, by));
    kept.push(...events);
    if (kept.length > keep) kept = kept.slice(kept.length - keep);
    for (const e of events) {
      try {
        options.emit?.(AUDIT_TOPIC, { ...e });
      } catch {
        // An emit is fire and forget: the record is kept whatever it does.
      }
    }
    return events;
  };
  return {
    report(record) {
      if (closed) {
        dropped++;
        return;
      }
      try {
        accept([record]);
      } catch {
        dropped++;
      }
    },
    flush: () => Promise.resolve(),
    close() {
      closed = true;
      return Promise.resolve();
    },
    events: () => [...kept],
    accept,
    dropped: () => dropped,
  };
}
