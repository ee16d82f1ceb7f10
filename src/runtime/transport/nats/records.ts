/** Which calls each batch sent to a node carried, so that NATS's "no responders" can name them; and the outboxes by node. */
import { Outbox } from './wire.ts';

/** How long a batch's call ids are kept for a "no responders" answer: one to two of these. */
const RECORD_MS = 1000;
/** A node's outbox unused for this many housekeeping ticks is dropped. */
const IDLE_TICKS = 30;

/** The calls and streams one batch carried, failed with 503 if NATS says no one listens. */
export interface Carried {
  subject: string;
  ids: number[];
}

/**
 * Each batch gets its own reply subject `<inbox><n>`, so that a "no responders" status names the
 * calls it carried. A record is kept for one to two seconds; a later status is caught by the pings.
 */
export class BatchRecords {
  /** `_INBOX.<nuid>.`: batches go out with reply `<inbox><n>`, nodes answer on `<inbox>0`. */
  inbox = '';
  #recent = new Map<number, Carried>();
  #older = new Map<number, Carried>();
  #rotated = Date.now();
  #seq = 0;

  /** The reply subject of the batch about to leave box; records the ids it carries. */
  readonly replyFor = (box: Outbox): string => {
    const n = ++this.#seq;
    if (box.ids.length > 0) {
      this.#recent.set(n, { subject: box.subject, ids: box.ids });
      box.ids = [];
    }
    return this.inbox + n;
  };

  /** What batch n carried, forgotten once taken; undefined when too old or unknown. */
  take(n: number): Carried | undefined {
    const c = this.#recent.get(n) ?? this.#older.get(n);
    if (!c) return undefined;
    this.#recent.delete(n);
    this.#older.delete(n);
    return c;
  }

  /** Drops records older than one to two seconds. */
  rotate(now: number): void {
    if (now - this.#rotated < RECORD_MS) return;
    this.#older = this.#recent;
    this.#recent = new Map();
    this.#rotated = now;
  }
}

interface Box extends Outbox {
  idle: number;
}

/** The outboxes of the nodes this client sends to, by subject; unused ones are dropped. */
export class Outboxes {
  readonly #boxes = new Map<string, Box>();

  /** The outbox for a node's subject. */
  for(subject: string): Outbox {
    let b = this.#boxes.get(subject);
    if (!b) {
      b = Object.assign(new Outbox(subject), { idle: 0 });
      this.#boxes.set(subject, b);
    } else b.idle = 0;
    return b;
  }

  /** One housekeeping tick: outboxes idle for IDLE_TICKS are dropped. */
  sweep(): void {
    for (const [k, b] of this.#boxes) if (!b.queued && ++b.idle > IDLE_TICKS) this.#boxes.delete(k);
  }

  /** Forgets them all (a new connection). */
  clear(): void {
    this.#boxes.clear();
  }
}
