import type { Msg, NatsConnection } from 'nats';
import { FrameReader, MAX_FRAME, type Frame } from '../frame.ts';

/** The loaded `nats` module; it is imported on first use, not at startup. */
export type NatsModule = typeof import('nats');

/** Bytes queued for one subject past which they go out at once, not at the end of the turn. */
const FLUSH_AT = 64 * 1024;

/** One NATS connection and its server's payload limit. */
export class Link {
  readonly nats: NatsModule;
  readonly nc: NatsConnection;
  constructor(nats: NatsModule, nc: NatsConnection) {
    this.nats = nats;
    this.nc = nc;
  }

  /** Largest payload the server takes in one message (max_payload; read each time, as a reconnect may change it). */
  get max(): number {
    return Math.max(64, this.nc.info?.max_payload ?? 1024 * 1024);
  }
}

/** The frames bound for one subject in this turn; they leave as one message. */
export class Outbox {
  readonly subject: string;
  /** The reply subject of its messages, when fixed (a node's, naming the caller). */
  reply = '';
  /** Ids of the calls and streams whose frames in this batch must fail if no one listens. */
  ids: number[] = [];
  chunks: Buffer[] = [];
  size = 0;
  queued = false;

  constructor(subject: string) {
    this.subject = subject;
  }
}

/**
 * Sends frames as NATS payloads, one message per subject per event-loop turn, earlier once 64 KiB
 * are queued. A message never exceeds max_payload: a frame larger than that goes alone, split over
 * as many messages as it takes, which the receiver's Deframer joins again.
 */
export class Batcher {
  readonly #link: Link;
  /** The reply subject of the message about to carry box's frames. */
  readonly #reply: (box: Outbox) => string;
  #dirty: Outbox[] = [];
  #scheduled = false;

  constructor(link: Link, reply: (box: Outbox) => string) {
    this.#link = link;
    this.#reply = reply;
  }

  /**
   * Queues a frame for box's subject; `id` (not 0) names the call or stream that must fail if the
   * message finds no one listening. Throws only when the connection is closed.
   */
  write(box: Outbox, frame: Buffer, id = 0): void {
    const max = this.#link.max;
    if (box.size + frame.length > max && box.size > 0) this.#send(box);
    if (id !== 0) box.ids.push(id);
    if (frame.length > max) {
      const reply = this.#reply(box);
      for (let at = 0; at < frame.length; at += max)
        this.#link.nc.publish(box.subject, frame.subarray(at, at + max), { reply });
      return;
    }
    box.chunks.push(frame);
    box.size += frame.length;
    if (box.size >= FLUSH_AT) this.#send(box);
    else if (!box.queued) {
      box.queued = true;
      this.#dirty.push(box);
      if (!this.#scheduled) {
        this.#scheduled = true;
        // Not a microtask: calls made in separate I/O callbacks (a gateway's requests) then share a
        // message; flushed in a microtask they went one message per call, at a fifth of the rate.
        setImmediate(this.#flush);
      }
    }
  }

  /** Sends everything queued now: before the connection is closed. */
  flush(): void {
    const dirty = this.#dirty;
    this.#dirty = [];
    for (const box of dirty) {
      box.queued = false;
      if (box.size > 0) {
        try {
          this.#send(box);
        } catch {
          // connection closed: its calls fail through the connection's own events
        }
      }
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  #send(box: Outbox): void {
    const c = box.chunks;
    const payload = c.length === 1 ? (c[0] as Buffer) : Buffer.concat(c, box.size);
    box.chunks = [];
    box.size = 0;
    this.#link.nc.publish(box.subject, payload, { reply: this.#reply(box) });
  }
}

interface Unfinished {
  buf: Buffer;
  at: number;
  seen: number;
}

/**
 * Splits message payloads into frames. A payload is whole frames, except for a frame too large for
 * one message: its parts come in a row from one sender (NATS keeps one connection's messages to a
 * subscriber in order) and are joined here, keyed by the sender.
 */
export class Deframer<T> {
  readonly #onFrame: (frame: Frame, from: T) => void;
  #reader: FrameReader;
  #from: T | undefined;
  readonly #partial = new Map<string, Unfinished>();

  constructor(onFrame: (frame: Frame, from: T) => void) {
    this.#onFrame = onFrame;
    this.#reader = this.#newReader();
  }

  /** Reads one message's payload from sender `key`; throws on a malformed frame. */
  push(key: string, from: T, data: Buffer): void {
    let at = 0;
    if (this.#partial.size > 0) {
      const p = this.#partial.get(key);
      if (p) {
        at = Math.min(data.length, p.buf.length - p.at);
        data.copy(p.buf, p.at, 0, at);
        p.at += at;
        p.seen = Date.now();
        if (p.at < p.buf.length) return;
        this.#partial.delete(key);
        this.#read(from, p.buf);
        if (at === data.length) return;
      }
    }
    let end = at;
    while (data.length - end >= 4) {
      const len = data.readUInt32BE(end);
      if (len > MAX_FRAME)
        throw new RangeError(`frame of ${len} bytes exceeds the ${MAX_FRAME} byte limit`);
      if (data.length - end - 4 < len) break;
      end += 4 + len;
    }
    if (end > at) this.#read(from, at === 0 && end === data.length ? data : data.subarray(at, end));
    if (end === data.length) return;
    if (data.length - end < 4) throw new RangeError('truncated frame');
    const buf = Buffer.allocUnsafe(4 + data.readUInt32BE(end));
    data.copy(buf, 0, end);
    this.#partial.set(key, { buf, at: data.length - end, seen: Date.now() });
  }

  /** Drops frames half-received from senders silent for `ms` or more. */
  sweep(ms: number): void {
    const now = Date.now();
    for (const [key, p] of this.#partial) if (now - p.seen >= ms) this.#partial.delete(key);
  }

  /** Forgets what sender `key` had half sent. */
  forget(key: string): void {
    this.#partial.delete(key);
  }

  #read(from: T, frames: Buffer): void {
    this.#from = from;
    try {
      this.#reader.push(frames);
    } catch (err) {
      // The reader keeps what it could not parse; start the next message afresh.
      this.#reader = this.#newReader();
      throw err;
    } finally {
      this.#from = undefined;
    }
  }

  #newReader(): FrameReader {
    return new FrameReader((f) => this.#onFrame(f, this.#from as T));
  }
}

/** True for the server's "no responders" status: nobody subscribes to the subject published to. */
export function noResponders(msg: Msg): boolean {
  return msg.data.length === 0 && msg.headers?.code === 503;
}

/** The message payload as a Buffer view, without copying. */
export function payload(msg: Msg): Buffer {
  const d = msg.data;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}
