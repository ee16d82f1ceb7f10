import type { Msg, MsgHdrs, NatsConnection } from 'nats';
import type { Header } from '../transport.ts';

/** The loaded `nats` module; it is imported on first use, not at startup. */
export type NatsModule = typeof import('nats');

/** Header that says what a control message is; absent on requests, replies and server data. */
export const FRAME = 'micro-frame';
/** Header on the first part of a body split over several messages: the body's total length. */
export const LENGTH = 'micro-length';
/** Header on a reply that carries an error JSON; its value is the error's code. */
export const ERROR = 'micro-error';
/** Largest body a split message may announce, as the framed protocol's frame limit. */
export const MAX_BODY = 64 * 1024 * 1024;

/** What a message with the `micro-frame` header does; see docs/protocol.md. */
export const Frame = {
  open: 'open',
  data: 'data',
  end: 'end',
  error: 'error',
  cancel: 'cancel',
  ping: 'ping',
  more: 'more',
} as const;

/** One NATS connection with the helpers both sides of the transport use. */
export class Link {
  readonly nats: NatsModule;
  readonly nc: NatsConnection;
  /** Largest body part sent in one message: the server's max_payload less room for headers. */
  readonly part: number;
  readonly #frames = new Map<string, MsgHdrs>();

  constructor(nats: NatsModule, nc: NatsConnection) {
    this.nats = nats;
    this.nc = nc;
    const max = nc.info?.max_payload ?? 1024 * 1024;
    this.part = max > 128 * 1024 ? max - 64 * 1024 : Math.max(1, max >> 1);
  }

  /**
   * Encodes a micro header as NATS headers (names as given), plus a frame kind and length. Written
   * straight to the wire form: publish only calls `encode()`, and nats.js's own builder checks and
   * copies each entry (a tenth of a small call's time).
   */
  headers(header: Header | undefined, kind?: string, length?: number): MsgHdrs {
    let s = 'NATS/1.0\r\n';
    if (header)
      for (const k in header) {
        const v = header[k] as string;
        if (BAD_NAME.test(k) || BAD_VALUE.test(v))
          throw new HeaderError(`header ${JSON.stringify(k)} cannot travel over NATS`);
        s += `${k}: ${v}\r\n`;
      }
    if (kind) s += `${FRAME}: ${kind}\r\n`;
    if (length !== undefined) s += `${LENGTH}: ${length}\r\n`;
    const bytes = encoder.encode(`${s}\r\n`);
    return { encode: () => bytes } as unknown as MsgHdrs;
  }

  /** The cached headers of a bare control message (`micro-frame: <kind>`). */
  frame(kind: string): MsgHdrs {
    let h = this.#frames.get(kind);
    if (!h) {
      h = this.headers(undefined, kind);
      this.#frames.set(kind, h);
    }
    return h;
  }

  /** Publishes a message with no body. */
  signal(subject: string, reply: string, kind: string): void {
    this.nc.publish(subject, EMPTY, { reply, headers: this.frame(kind) });
  }

  /**
   * Publishes one logical message. A body over `part` bytes goes as a first message with all the
   * headers and `micro-length`, then `micro-frame: more` messages on the same subject, which NATS
   * delivers in order.
   */
  send(subject: string, reply: string, body: Uint8Array, header?: Header, kind?: string): void {
    const part = this.part;
    if (body.length <= part) {
      let headers: MsgHdrs | undefined;
      if (header && hasKeys(header)) headers = this.headers(header, kind);
      else if (kind) headers = this.frame(kind);
      this.nc.publish(subject, body, { reply, headers });
      return;
    }
    const first = this.headers(header, kind, body.length);
    this.nc.publish(subject, body.subarray(0, part), { reply, headers: first });
    const more = this.frame(Frame.more);
    for (let at = part; at < body.length; at += part)
      this.nc.publish(subject, body.subarray(at, at + part), { reply, headers: more });
  }
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
// Names are visible ASCII without a colon; values have no line breaks (NATS headers are MIME-like).
const BAD_NAME = /[^!-9;-~]/;
const BAD_VALUE = /[\r\n]/;

/** A header NATS cannot carry; the caller gets a 400. */
export class HeaderError extends Error {
  readonly code = 'BAD_HEADER';
}

function hasKeys(h: Header): boolean {
  for (const _ in h) return true;
  return false;
}

/** The raw header block of a message, read where nats.js 2.x keeps it; undefined when none. */
function rawHeader(msg: Msg): Buffer | undefined | null {
  const m = msg as unknown as { _rdata?: unknown; _msg?: { hdr?: unknown } };
  const hdr = m._msg?.hdr;
  if (!(m._rdata instanceof Uint8Array) || typeof hdr !== 'number') return null; // another nats.js
  return hdr > 0 ? Buffer.from(m._rdata.buffer, m._rdata.byteOffset, hdr) : undefined;
}

/**
 * Reads a message's NATS headers into a micro header; the last value of a name wins. It parses the
 * header block itself: nats.js's decoder canonicalises and searches every name, which costs more
 * than the rest of a small call.
 */
export function readHeader(msg: Msg): Header {
  const header: Header = {};
  const raw = rawHeader(msg);
  if (raw === null) {
    const h = msg.headers;
    if (h) for (const [k, v] of h) header[k] = v[v.length - 1] ?? '';
    return header;
  }
  if (!raw) return header;
  const s = raw.toString('utf8');
  let at = s.indexOf('\r\n');
  while (at >= 0 && at + 2 < s.length) {
    const next = s.indexOf('\r\n', at + 2);
    const end = next < 0 ? s.length : next;
    const colon = s.indexOf(':', at + 2);
    if (colon > at + 2 && colon < end)
      header[s.slice(at + 2, colon)] = s.slice(colon + 1, end).trim();
    at = next;
  }
  return header;
}

/** True for the server's "no responders" status: nobody subscribes to the subject published to. */
export function noResponders(msg: Msg): boolean {
  if (msg.data.length !== 0) return false;
  const raw = rawHeader(msg);
  if (raw === null) return msg.headers?.code === 503;
  return raw !== undefined && raw.toString('latin1', 0, 12) === 'NATS/1.0 503';
}

/** True when the message has NATS headers. */
export function hasHeaders(msg: Msg): boolean {
  const raw = rawHeader(msg);
  return raw === null ? msg.headers !== undefined : raw !== undefined;
}

/** The message body as a Buffer view, without copying. */
export function body(msg: Msg): Buffer {
  const d = msg.data;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

/** A body arriving in parts; complete once `length` bytes are in. */
export class Assembly {
  readonly header: Header;
  readonly #buf: Buffer;
  #at = 0;

  /** Starts from the first part; throws when the announced length is out of range. */
  constructor(header: Header, first: Uint8Array) {
    const total = Number(header[LENGTH]);
    if (!Number.isInteger(total) || total < first.length || total > MAX_BODY)
      throw new RangeError(`bad ${LENGTH} ${header[LENGTH] ?? ''}`);
    delete header[LENGTH];
    this.header = header;
    this.#buf = Buffer.allocUnsafe(total);
    this.#buf.set(first);
    this.#at = first.length;
  }

  /** Adds the next part; returns the whole body once complete. */
  add(part: Uint8Array): Buffer | undefined {
    if (this.#at + part.length > this.#buf.length) throw new RangeError('part beyond the length');
    this.#buf.set(part, this.#at);
    this.#at += part.length;
    return this.#at === this.#buf.length ? this.#buf : undefined;
  }
}
