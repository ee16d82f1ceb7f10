// What `micro mcp audit` and `micro bot audit` share: the recent records of one source among the
// `micro.audit` platform events, read through the events area (the control plane's by default), and
// with --follow each new one as it comes; each command says how its rows print.
//
// Guarantees: oldest first; with --follow, no event published between the read and the
// subscription is missed (the subscription starts at the offset after the last one read). Limits:
// the recent ones are found among the topic's last SCAN events (other sources' records included).
import type { AuditEvent } from '../../platform/audit/audit.ts';
import type { EventRecord, Events } from '../../platform/events/events.ts';
import type { Args } from './command.ts';
import { withEvents } from './events.ts';
import { json, print } from './output.ts';

/** The topic's events looked through for recent records, at most. */
const SCAN = 1000;

/** The flags of an audit command. */
export interface AuditFlags {
  follow?: boolean;
  limit?: number;
}

/** An audit event as stored on `micro.audit`, with its offset and time. */
export type AuditRow = AuditEvent & { offset: number; time: number };

/** Which records an audit command prints, and how. */
export interface AuditPrinter {
  /** The records' source: `mcp`, `bot`. */
  source: string;
  /** The rows as a table, oldest first (what to say when there are none included). */
  text: (rows: AuditRow[]) => string;
  /** For --follow: the lines of each batch of rows, in the columns of the first. */
  follower: () => (rows: AuditRow[]) => string[];
}

/** An event of `micro.audit` as a row, when it is a record of this source. */
function rowOf(e: EventRecord, source: string): AuditRow | undefined {
  const data = e.data as Partial<AuditEvent> | null;
  if (typeof data !== 'object' || data === null || data.source !== source) return undefined;
  return { ...(data as AuditEvent), offset: e.offset, time: e.time };
}

/** The last `limit` records of the source among the topic's last SCAN events, and the offset to follow from. */
async function recent(
  events: Events,
  topic: string,
  source: string,
  limit: number,
): Promise<{ rows: AuditRow[]; next: number | undefined }> {
  const info = (await events.topics(topic)).find((t) => t.topic === topic);
  if (!info || info.last === 0) return { rows: [], next: undefined };
  const rows: AuditRow[] = [];
  let from: number | undefined = Math.max(info.first, info.last - SCAN + 1, 1);
  for (let pages = 0; from !== undefined && pages < SCAN / 100; pages++) {
    const page = await events.read(topic, { from, to: info.last, limit: 1000 });
    for (const e of page.events) {
      const row = rowOf(e, source);
      if (row) rows.push(row);
    }
    from = page.next;
  }
  return { rows: rows.slice(-limit), next: info.last + 1 };
}

/** Prints the source's recent records; with --follow, then each new one until Ctrl-C. */
export async function printAuditOf(args: Args<AuditFlags>, o: AuditPrinter): Promise<void> {
  const { AUDIT_TOPIC } = await import('../../platform/audit/audit.ts');
  const limit = args.limit ?? 50;
  await withEvents(args, async (events) => {
    const { rows, next } = await recent(events, AUDIT_TOPIC, o.source, limit);
    if (!args.follow) {
      print(args.output, rows, o.text);
      return;
    }
    // Following: one line (or one JSON object) per event, as `micro events subscribe` prints.
    const follower = o.follower();
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
        const row = rowOf(d, o.source);
        if (row) out(row);
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await sub.stop();
    }
  });
}
