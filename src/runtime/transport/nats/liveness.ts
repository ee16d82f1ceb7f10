/** Liveness of the NATS client's calls and streams: pings, and giving up on nodes that do not answer them. */
import type { CallTable } from '../calls.ts';
import { Kind, encodeFrame } from '../frame.ts';
import { TransportError, TransportErrors } from '../transport.ts';
import type { NatsCall, NatsStream } from './entries.ts';
import type { Outbox } from './wire.ts';

/** Queues a frame for a node; `id` names the call or stream that fails if no one listens. */
export type Send = (box: Outbox, frame: Buffer, id?: number) => void;

/**
 * A node that is gone makes NATS answer "no responders" to the ping's batch (503); one that lost
 * the call or stream answers an error. A node cut off from NATS by the network (or frozen) answers
 * nothing, and nats-server takes minutes to notice: a ping unanswered for a beat fails its call or
 * stream with 502, which callers retry on another node.
 */
export class Liveness {
  readonly #table: CallTable<NatsCall, NatsStream>;
  /** Ms between pings of one call or stream, and how long one may go unanswered. */
  readonly #beat: number;
  readonly #where: string;
  readonly #send: Send;

  constructor(table: CallTable<NatsCall, NatsStream>, beat: number, where: string, send: Send) {
    this.#table = table;
    this.#beat = beat;
    this.#where = where;
    this.#send = send;
  }

  /**
   * Runs every half beat: a call is pinged once pending one or two ticks, and given up when its ping
   * is a beat old, so a silent node is noticed 1.5 to 2.5 beats after the call. Open streams are
   * pinged every beat.
   */
  tick(now: number): void {
    const beat = this.#beat;
    for (const [n, p] of this.#table.calls()) {
      if (!p.aged) p.aged = true;
      else if (p.pinged === 0) {
        p.pinged = now;
        this.#send(p.box, encodeFrame(Kind.ping, n, undefined), n);
      } else if (now - p.pinged >= beat) this.#table.fail(n, this.#unreachable(p.box.subject));
    }
    for (const [n, s] of this.#table.streams()) {
      if (s.opened) continue;
      if (s.pinged === 0) {
        s.pinged = now;
        this.#send(s.box, encodeFrame(Kind.ping, n, undefined), n);
      } else if (now - s.pinged >= beat) {
        this.#send(s.box, encodeFrame(Kind.cancel, n, undefined));
        this.#table.fail(n, this.#unreachable(s.box.subject));
      }
    }
  }

  #unreachable(subject: string): TransportError {
    return new TransportError(
      TransportErrors.lost,
      502,
      `${TransportErrors.lost}: no answer to a ping from ${subject} at ${this.#where} within ${this.#beat} ms (the node is unreachable)`,
    );
  }
}
