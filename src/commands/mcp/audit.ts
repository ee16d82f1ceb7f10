// `micro mcp audit`: the recent MCP tool calls, read from the `micro.audit` platform events through
// the events area (the control plane's by default), and with --follow each new one as it comes.
//
// Guarantees: oldest first; with --follow, no event published between the read and the
// subscription is missed (the subscription starts at the offset after the last one read). Limits:
// the recent ones are found among the topic's last SCAN events (other sources' records included).
import type { AuditEvent } from '../../platform/audit/audit.ts';
import type { EventRecord, Events } from '../../platform/events/events.ts';
import type { Args } from '../shared/command.ts';
import { withEvents } from '../shared/events.ts';
import { json, print } from '../shared/output.ts';
import { auditFollower, auditText, type AuditRow } from './format.ts';

/** The topic's events looked through for recent MCP calls, at most. */
const SCAN = 1000;

/** The flags of `micro mcp audit`. */
export interface AuditFlags {
  follow?: boolean;
  limit?: number;
}

/** An event of `micro.audit` as a row, when it is a record of an MCP tool call. */
function rowOf(e: EventRecord): AuditRow | undefined {
  const data = e.data as Partial<AuditEvent> | null;
  if (typeof data !== 'object' || data === null || data.source !== 'mcp') return undefined;
  return { ...(data as AuditEvent), offset: e.offset, time: e.time };
}

/** The last `limit` MCP calls among the topic's last SCAN events, and the offset to follow from. */
async function recent(
  events: Events,
  topic: string,
  limit: number,
): Promise<{ rows: AuditRow[]; next: number | undefined }> {
  const info = (await events.topics(topic)).find((t) => t.topic === topic);
  if (!info || info.last === 0) return { rows: [], next: undefined };
  const rows: AuditRow[] = [];
  let from: number | undefined = Math.max(info.first, info.last - SCAN + 1, 1);
  for (let pages = 0; from !== undefined && pages < SCAN / 100; pages++) {
    const page = await events.read(topic, { from, to: info.last, limit: 1000 });
    for (const e of page.events) {
      const row = rowOf(e);
      if (row) rows.push(row);
    }
    from = page.next;
  }
  return { rows: rows.slice(-limit), next: info.last + 1 };
}

/** Prints the recent MCP tool calls; with --follow, then each new one until Ctrl-C. */
export async function printAudit(args: Args<AuditFlags>): Promise<void> {
  const { AUDIT_TOPIC } = await import('../../platform/audit/audit.ts');
  const limit = args.limit ?? 50;
  await withEvents(args, async (events) => {
    const { rows, next } = await recent(events, AUDIT_TOPIC, limit);
    if (!args.follow) {
      print(args.output, rows, auditText);
      return;
    }
    // Following: one line (or one JSON object) per event, as `micro events subscribe` prints.
    const follower = auditFollower();
    const out = (r: AuditRow): void => {
      if (args.output === 'json') process.stdout.write(`${json(r, false)}\n`);
      else for (const line of follower([r])) process.stdout.write(`${line}\n`);
    };
    if (args.output === 'text' && rows.length > 0)
      for (const line of follower(rows)) process.stdout.write(`${line}\n`);
    else if (args.output === 'json') rows.forEach(out);
    const sub = await events.subscribe(AUDIT_TOPIC, {
      start: next === undefined ? 'earliest' : { offset: next },
    });
    const stop = () => void sub.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      for await (const d of sub) {
        const row = rowOf(d);
        if (row) out(row);
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await sub.stop();
    }
  });
}
