// JetStream publishes without a request each: messages go out as core publishes whose reply is
// `<inbox>.<n>` on one wildcard subscription, which routes each stream's acknowledgement (PubAck)
// back to its publish. nats.js's js.publish makes a request per message (its own timer, promise
// and inbox entry), which costs about twice the CPU per event.
import type { MsgHdrs, NatsConnection, Subscription } from 'nats';

/** What the stream answered: the event's sequence, and whether its message id was a duplicate. */
export interface PubAck {
  seq: number;
  duplicate: boolean;
}

type Waiter = { resolve(a: PubAck): void; reject(err: Error): void };

/** Publishes to JetStream over `nc`, acknowledgements routed by one subscription. */
export class Publisher {
  readonly #nc: NatsConnection;
  readonly #inbox: string;
  readonly #headers: () => MsgHdrs;
  readonly #sub: Subscription;
  readonly #waiting = new Map<number, Waiter>();
  #next = 0;

  constructor(nc: NatsConnection, inbox: string, headers: () => MsgHdrs) {
    this.#nc = nc;
    this.#inbox = inbox;
    this.#headers = headers;
    this.#sub = nc.subscribe(`${inbox}.*`, {
      callback: (err, msg) => {
        if (err) return;
        const n = Number(msg.subject.slice(inbox.length + 1));
        const w = this.#waiting.get(n);
        if (!w) return;
        this.#waiting.delete(n);
        // No stream listens on the subject: NATS answers 503 (no responders).
        if (msg.headers?.code === 503) return w.reject(new Error('no responders'));
        try {
          const a = JSON.parse(msg.string()) as {
            seq?: number;
            duplicate?: boolean;
            error?: { description?: string };
          };
          if (a.error || typeof a.seq !== 'number')
            w.reject(new Error(a.error?.description ?? 'no sequence in the acknowledgement'));
          else w.resolve({ seq: a.seq, duplicate: a.duplicate === true });
        } catch (e) {
          w.reject(e as Error);
        }
      },
    });
  }

  /** Publishes `body` to `subject` (with a message id); resolves with the stream's PubAck. */
  publish(subject: string, body: string, msgID?: string): Promise<PubAck> {
    const n = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(n, { resolve, reject });
      let headers: MsgHdrs | undefined;
      if (msgID !== undefined) {
        headers = this.#headers();
        headers.set('Nats-Msg-Id', msgID);
      }
      this.#nc.publish(subject, body, {
        reply: `${this.#inbox}.${n}`,
        ...(headers && { headers }),
      });
    });
  }

  /** Forgets the waiting publishes of a call that timed out (their answers are dropped). */
  forget(from: number): void {
    for (const n of this.#waiting.keys()) if (n >= from) this.#waiting.delete(n);
  }

  /** The number the next publish gets. */
  get mark(): number {
    return this.#next;
  }

  /** Ends the subscription; waiting publishes fail. */
  close(): void {
    this.#sub.unsubscribe();
    for (const w of this.#waiting.values()) w.reject(new Error('closed'));
    this.#waiting.clear();
  }
}
