// The server's side of a subscription stream: deliveries in batches (what is ready in one turn,
// bounded by the member's maxInFlight and by the frame size), and the deliveries out and not yet
// acknowledged, so that an Ack or Nack call (by offset) finds them. An Ack for an offset not out,
// which a client retried across a restart of the control plane, is remembered for a while and
// settles that event when the engine delivers it again, instead of it being handled twice.
import { EVENTS_LIMITS, type Delivery, type EventSubscription } from './events.ts';
import { JSON_CHARS } from './log.ts';

/** A delivery as the wire carries it: the record and its attempt, no functions. */
export const wireDelivery = (d: Delivery) => ({
  topic: d.topic,
  offset: d.offset,
  id: d.id,
  ...(d.key !== undefined && { key: d.key }),
  time: d.time,
  metadata: d.metadata,
  data: d.data,
  attempt: d.attempt,
});

/** Characters of JSON a batch of deliveries holds at most: frames are 16 MiB, UTF-8 up to 3 bytes a character. */
const BATCH_CHARS = 4 * 1024 * 1024;

/** About how many characters a delivery takes as JSON: told by the engine, or measured. */
const sizeOf = (d: Delivery): number =>
  ((d as Delivery & { [JSON_CHARS]?: number })[JSON_CHARS] ??
    (JSON.stringify(d.data)?.length ?? 4) + JSON.stringify(d.metadata).length) + 200;

/**
 * The deliveries of a subscription in batches: the first awaited, then whatever else is ready in
 * the same turn (one setImmediate per batch tells when the turn ended), up to `max` deliveries and
 * BATCH_CHARS.
 */
export async function* batches(sub: EventSubscription, max: number): AsyncGenerator<Delivery[]> {
  const it = sub[Symbol.asyncIterator]();
  let held: IteratorResult<Delivery> | undefined;
  for (;;) {
    const first = held ?? (await it.next());
    held = undefined;
    if (first.done) return;
    const batch = [first.value];
    let chars = sizeOf(first.value);
    let idle = false;
    let endTurn: (() => void) | undefined;
    const turnEnded = new Promise<undefined>((resolve) => (endTurn = () => resolve(undefined)));
    const timer = setImmediate(() => {
      idle = true;
      endTurn!();
    });
    while (batch.length < max && chars < BATCH_CHARS) {
      const next = it.next();
      const r = idle ? undefined : await Promise.race([next, turnEnded]);
      if (r === undefined) {
        yield batch.splice(0);
        held = await next;
        break;
      }
      if (r.done) {
        clearImmediate(timer);
        yield batch;
        return;
      }
      chars += sizeOf(r.value);
      if (chars > BATCH_CHARS) {
        held = r;
        break;
      }
      batch.push(r.value);
    }
    clearImmediate(timer);
    if (batch.length > 0) yield batch;
  }
}

/** Acks remembered for offsets not out (a control plane restart forgot them): at most this many... */
const EARLY_ACKS = 100_000;
/** ...for this long (the longest ackTimeout), after which the event was delivered again anyway. */
const EARLY_ACK_MS = EVENTS_LIMITS.ackTimeout.max;

/**
 * Deliveries sent and not yet acknowledged, by topic, group and offset, so that an Ack or Nack call
 * finds them; a departed member's are kept for its ackTimeout (a late ack still counts), then
 * dropped. An Ack for an offset not out (the client retried it across a restart of the control
 * plane) is remembered, and that event acknowledged here when it is delivered again instead of
 * being sent: a handled event is not handled twice because the control plane restarted.
 */
export class Outstanding {
  /** By `topic\ngroup`, then offset. */
  readonly #out = new Map<string, Map<number, Delivery>>();
  readonly #early = new Map<string, number>();

  #group(topic: string, group: string): Map<number, Delivery> {
    const k = `${topic}\n${group}`;
    let m = this.#out.get(k);
    if (!m) this.#out.set(k, (m = new Map<number, Delivery>()));
    return m;
  }

  /** Tracks a delivery; false when it was acknowledged already (and is now), so it is not sent. */
  add(group: string, d: Delivery, held: Map<number, Delivery>): boolean {
    if (this.#early.size > 0) {
      const k = `${d.topic}\n${group}\n${d.offset}`;
      const early = this.#early.get(k);
      if (early !== undefined) {
        this.#early.delete(k);
        if (early > Date.now()) {
          void d.ack().catch(() => undefined);
          return false;
        }
      }
    }
    this.#group(d.topic, group).set(d.offset, d);
    held.set(d.offset, d);
    return true;
  }

  /** Takes the deliveries of these offsets; with `remember`, unknown ones are kept as early acks. */
  take(topic: string, group: string, offsets: number[], remember: boolean): Delivery[] {
    const found: Delivery[] = [];
    const out = this.#out.get(`${topic}\n${group}`);
    for (const offset of offsets) {
      const d = out?.get(offset);
      if (d) {
        out!.delete(offset);
        found.push(d);
      } else if (remember && !found.some((f) => f.offset === offset)) {
        const k = `${topic}\n${group}\n${offset}`;
        if (this.#early.size >= EARLY_ACKS) this.#early.delete(this.#early.keys().next().value!);
        this.#early.set(k, Date.now() + EARLY_ACK_MS);
      }
    }
    if (out?.size === 0) this.#out.delete(`${topic}\n${group}`);
    return found;
  }

  /** Forgets a departed member's deliveries (of topic and group) after `ms`, unless delivered again meanwhile. */
  release(topic: string, group: string, held: Map<number, Delivery>, ms: number): void {
    if (held.size === 0) return;
    setTimeout(() => {
      const out = this.#out.get(`${topic}\n${group}`);
      if (!out) return;
      for (const [offset, d] of held) if (out.get(offset) === d) out.delete(offset);
      if (out.size === 0) this.#out.delete(`${topic}\n${group}`);
    }, ms).unref();
  }
}
