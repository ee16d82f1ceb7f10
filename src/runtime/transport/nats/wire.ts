/** Frames over NATS: one connection's payload limit, batches per subject and turn, and frames split across messages. */
import type { Msg, NatsConnection } from 'nats';
import type { MicroError } from '../../errors.ts';
import { FrameError, FrameReader, MAX_FRAME, type Frame, type FrameLimits } from '../frame.ts';
import { tooLarge } from '../limits.ts';

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

/** A frame whose parts are still coming, from one sender. */
interface Unfinished {
  parts: Buffer[];
  have: number;
  need: number;
  seen: number;
  /** Refused for its size: its parts are counted and dropped. */
  skip: boolean;
}

/** What a Deframer accepts: FrameReader's limits, and the bytes of half-received frames it may hold. */
export interface DeframerLimits extends FrameLimits {
  /** Bytes held for frames whose parts are still coming, over all senders. */
  maxPartialBytes: number;
}

/** Called for a frame over a limit: its kind and id, the error to answer, and its sender. */
export type OnRefusedFrom<T> = (kind: number, id: number, err: MicroError, from: T) => void;

/**
 * Splits message payloads into frames. A payload is whole frames, except for a frame too large for
 * one message: its parts come in a row from one sender (NATS keeps one connection's messages to a
 * subscriber in order) and are joined here, keyed by the sender. Memory grows with the parts that
 * arrived, never with the length a frame claims.
 */
export class Deframer<T> {
  readonly #onFrame: (frame: Frame, from: T) => void;
  readonly #onRefused: OnRefusedFrom<T> | undefined;
  readonly #limits: DeframerLimits | undefined;
  #reader: FrameReader;
  #from: T | undefined;
  readonly #partial = new Map<string, Unfinished>();
  /** Bytes held in #partial. */
  #held = 0;

  /** Without limits it takes frames up to MAX_FRAME and holds parts without bound (a client's, from its nodes). */
  constructor(
    onFrame: (frame: Frame, from: T) => void,
    limits?: DeframerLimits,
    onRefused?: OnRefusedFrom<T>,
  ) {
    this.#onFrame = onFrame;
    this.#limits = limits;
    this.#onRefused = onRefused;
    this.#reader = this.#newReader();
  }

  /** Reads one message's payload from sender `key`; throws a MicroError (FrameError, 413) when it cannot. */
  push(key: string, from: T, data: Buffer): void {
    let at = 0;
    if (this.#partial.size > 0) {
      const p = this.#partial.get(key);
      if (p) {
        at = Math.min(data.length, p.need - p.have);
        p.have += at;
        p.seen = Date.now();
        if (!p.skip) {
          p.parts.push(Buffer.from(data.subarray(0, at)));
          this.#hold(key, at);
        }
        if (p.have < p.need) return;
        this.#partial.delete(key);
        if (!p.skip) {
          this.#held -= p.need;
          this.#read(from, Buffer.concat(p.parts, p.need));
        }
        if (at === data.length) return;
      }
    }
    const max = Math.min(this.#limits?.maxFrameBytes ?? MAX_FRAME, MAX_FRAME);
    let end = at;
    while (data.length - end >= 4) {
      const len = data.readUInt32BE(end);
      if (len > MAX_FRAME)
        throw new FrameError(
          `frame of ${len} bytes is over the protocol's maximum of ${MAX_FRAME} bytes`,
        );
      if (data.length - end - 4 < len) break;
      end += 4 + len;
    }
    if (end > at) this.#read(from, at === 0 && end === data.length ? data : data.subarray(at, end));
    if (end === data.length) return;
    if (data.length - end < 11) throw new FrameError('a frame is cut short within its head');
    const need = 4 + data.readUInt32BE(end);
    const have = data.length - end;
    const skip = need - 4 > max;
    if (skip) {
      const err = tooLarge(`frame of ${need - 4} bytes is over the limit of ${max} bytes`);
      const kind = data[end + 4] as number;
      const id = data.readUInt32BE(end + 5);
      if (!this.#onRefused) throw err;
      this.#onRefused(kind, id, err, from);
    }
    const parts = skip ? [] : [Buffer.from(data.subarray(end))];
    this.#partial.set(key, { parts, have, need, seen: Date.now(), skip });
    if (!skip) this.#hold(key, have);
  }

  /** Drops frames half-received from senders silent for `ms` or more. */
  sweep(ms: number): void {
    const now = Date.now();
    for (const [key, p] of this.#partial) if (now - p.seen >= ms) this.forget(key);
  }

  /** Forgets what sender `key` had half sent. */
  forget(key: string): void {
    const p = this.#partial.get(key);
    if (!p) return;
    this.#partial.delete(key);
    if (!p.skip) this.#held -= p.have;
  }

  /** Counts n more bytes held for key's frame; past the limit, that frame is dropped and a 413 thrown. */
  #hold(key: string, n: number): void {
    this.#held += n;
    const max = this.#limits?.maxPartialBytes ?? Number.POSITIVE_INFINITY;
    if (this.#held <= max) return;
    this.forget(key);
    throw tooLarge(`frames still arriving hold more than ${max} bytes here; this one is dropped`);
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
    const onRefused = this.#onRefused;
    return new FrameReader(
      (f) => this.#onFrame(f, this.#from as T),
      this.#limits,
      onRefused && ((kind, id, err) => onRefused(kind, id, err, this.#from as T)),
    );
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
