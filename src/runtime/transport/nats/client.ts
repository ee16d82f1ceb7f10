/** The client side of the NATS transport: calls and streams to nodes, their answers, and their failures. */
import type { Msg } from 'nats';
import { parseError, type MicroError } from '../../errors.ts';
import { CallTable, feed } from '../calls.ts';
import { Kind, encodeFrame, type Frame } from '../frame.ts';
import { QueuePipe } from '../pipe.ts';
import {
  TransportError,
  TransportErrors,
  type Message,
  type Pipe,
  type Reply,
} from '../transport.ts';
import { NatsConnection } from './connection.ts';
import { NatsStream, type NatsCall } from './entries.ts';
import { Liveness } from './liveness.ts';
import { BatchRecords, Outboxes } from './records.ts';
import { Deframer, noResponders, payload, type Outbox } from './wire.ts';

const ID = 'micro.client';

/**
 * Sends calls and streams to nodes' subjects and routes the frames that come back on its inbox.
 * The frames for one node in one event-loop turn leave in one message (wire.ts); a node that is
 * gone (no responders) or silent (liveness.ts) fails what was sent to it.
 */
export class NatsClient {
  readonly connection: NatsConnection;
  readonly #table: CallTable<NatsCall, NatsStream>;
  readonly #boxes = new Outboxes();
  readonly #records = new BatchRecords();
  readonly #liveness: Liveness | undefined;
  readonly #deframer = new Deframer<string>((f, from) => this.#onFrame(f, from));
  readonly #dialTimeout: number;
  readonly #where: string;

  /** heartbeat: ms between liveness pings (0: none). */
  constructor(hosts: string[], dialTimeout: number, heartbeat: number) {
    this.#dialTimeout = dialTimeout;
    this.#table = new CallTable<NatsCall, NatsStream>({
      // Tells the node, so that the handler's context is cancelled.
      expired: (n, p) => this.#send(p.box, encodeFrame(Kind.cancel, n, undefined)),
    });
    this.connection = new NatsConnection(hosts, dialTimeout, heartbeat > 0 ? heartbeat / 2 : 1000, {
      reply: this.#records.replyFor,
      opened: (inbox) => {
        this.#records.inbox = inbox;
        this.#boxes.clear();
      },
      message: (msg) => this.#onInbox(msg),
      lost: (err) => this.#table.failAll(err),
      tick: () => this.#tick(),
    });
    this.#where = this.connection.where;
    if (heartbeat > 0)
      this.#liveness = new Liveness(this.#table, heartbeat, this.#where, this.#send);
  }

  /** Sends a request to the node at subject `address` and waits for its reply. */
  call(address: string, request: Message, timeout: number, signal?: AbortSignal): Promise<Reply> {
    const n = this.#table.id();
    let frame: Buffer;
    try {
      frame = encodeFrame(Kind.request, n, request.header, request.body);
    } catch (err) {
      return Promise.reject(this.#unsendable(address, err));
    }
    const box = this.#boxes.for(address);
    return new Promise<Reply>((resolve, reject) => {
      const p: NatsCall = { resolve, reject, timer: undefined, box, aged: false, pinged: 0 };
      try {
        this.connection.out?.write(box, frame, n);
      } catch (err) {
        reject(this.#broken(address, err));
        return;
      }
      this.#table.add(n, p, timeout, request, address, signal);
    });
  }

  /** Opens a stream to the node at subject `address`; resolves once the node answers. */
  async stream(address: string, open: Message): Promise<Pipe> {
    const n = this.#table.id();
    let frame: Buffer;
    try {
      frame = encodeFrame(Kind.open, n, open.header, open.body);
    } catch (err) {
      throw this.#unsendable(address, err);
    }
    const box = this.#boxes.for(address);
    const send = this.#send;
    const s = new NatsStream(
      new QueuePipe({
        send: (b) => send(box, encodeFrame(Kind.data, n, undefined, b)),
        end: () => send(box, encodeFrame(Kind.end, n, undefined)),
        fail: (err) =>
          send(box, encodeFrame(Kind.error, n, undefined, Buffer.from(JSON.stringify(err)))),
        release: () => this.#table.removeStream(n),
      }),
      box,
    );
    this.#table.addStream(n, s);
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        s.opened = { resolve, reject };
        timer = setTimeout(
          () =>
            reject(
              new TransportError(
                TransportErrors.connect,
                503,
                `no answer from ${address} at ${this.#where} within ${this.#dialTimeout} ms`,
              ),
            ),
          this.#dialTimeout,
        );
        // The ping's pong (or the stream's first frame) says a node serves the stream.
        try {
          this.connection.out?.write(box, frame, n);
          this.connection.out?.write(box, encodeFrame(Kind.ping, n, undefined), n);
        } catch (err) {
          reject(this.#broken(address, err));
        }
      });
    } catch (err) {
      s.opened = undefined;
      this.#table.removeStream(n);
      send(box, encodeFrame(Kind.cancel, n, undefined));
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return s.pipe;
  }

  /** Fails every call and stream with a 502: the transport is closing. */
  closeAll(): void {
    const closed = new TransportError(TransportErrors.closed, 502, 'transport closed');
    for (const [, s] of [...this.#table.streams()]) s.pipe.fail(closed);
    this.#table.failAll(closed);
  }

  /** Queues a frame for a node; a publish fails only once the connection is closed (then `lost` fails all). */
  readonly #send = (box: Outbox, frame: Buffer, n = 0): void => {
    try {
      this.connection.out?.write(box, frame, n);
    } catch {
      // connection closed
    }
  };

  #tick(): void {
    this.#records.rotate(Date.now());
    this.#boxes.sweep();
    this.#deframer.sweep(30_000);
    if (this.#liveness && this.connection.online) this.#liveness.tick(Date.now());
  }

  #onInbox(msg: Msg): void {
    if (msg.data.length === 0) {
      if (noResponders(msg))
        this.#onNoResponders(Number(msg.subject.slice(this.#records.inbox.length)));
      return;
    }
    const from = msg.reply ?? '';
    try {
      this.#deframer.push(from, from, payload(msg));
    } catch {
      // A malformed message from a node: its frames are lost, their calls time out.
    }
  }

  /** NATS found no one listening on the subject of batch n: its calls and streams fail with 503. */
  #onNoResponders(n: number): void {
    const c = this.#records.take(n);
    if (!c) return;
    const gone = new TransportError(
      TransportErrors.connect,
      503,
      `no node listens on ${c.subject} at ${this.#where}: it is gone`,
    );
    for (const i of c.ids) this.#table.fail(i, gone);
  }

  /** Frames from nodes; `from` is the message's reply subject, `<node subject>.<n>`. */
  #onFrame(f: Frame, from: string): void {
    const n = f.id;
    if (f.kind === Kind.pong) {
      const p = this.#table.call(n);
      if (p) {
        p.pinged = 0;
        return;
      }
    }
    if (this.#table.settle(f)) return;
    if (n === 0 && f.kind === Kind.error) return this.#refused(from, f.body);
    const s = this.#table.stream(n);
    if (s) {
      s.heard(f.kind);
      feed(s, f);
    } else if (f.kind === Kind.ping && !this.#table.call(n) && from)
      // A node pinging a stream this side forgot: tell it to stop.
      this.#send(this.#boxes.for(nodeOf(from)), encodeFrame(Kind.cancel, n, undefined));
  }

  /** A node that could not read this side's frames dropped all its calls and streams. */
  #refused(from: string, body: Buffer): void {
    const subject = nodeOf(from);
    const e = new TransportError(
      TransportErrors.protocol,
      502,
      `${subject} refused a message: ${parseError(body.toString(), ID).detail}`,
    );
    for (const [n, p] of this.#table.calls()) if (p.box.subject === subject) this.#table.fail(n, e);
    for (const [n, s] of this.#table.streams())
      if (s.box.subject === subject) this.#table.fail(n, e);
  }

  #unsendable(address: string, err: unknown): MicroError {
    return new TransportError(
      TransportErrors.protocol,
      400,
      `cannot send to ${address}: ${(err as Error).message}`,
    );
  }

  #broken(address: string, err: unknown): MicroError {
    return new TransportError(
      TransportErrors.lost,
      502,
      `cannot send to ${address} at ${this.#where}: ${(err as Error).message}`,
    );
  }
}

/** The node subject in the reply subject `<node subject>.<n>` of a node's message. */
function nodeOf(from: string): string {
  return from.slice(0, from.lastIndexOf('.'));
}
