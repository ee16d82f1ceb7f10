/** The framed protocol's frame format (docs/protocol.md): kinds, preface, size limit, and the encoder. */
import type { Header } from './transport.ts';

/** Frame kinds of the framed protocol (docs/protocol.md). */
export const Kind = {
  request: 1,
  reply: 2,
  error: 3,
  open: 4,
  data: 5,
  end: 6,
  cancel: 7,
  ping: 8,
  pong: 9,
} as const;

/** The 8 bytes a framed client sends first; 0x00 can never start an HTTP request. */
export const PREFACE = Buffer.from([0x00, 0x4d, 0x49, 0x43, 0x52, 0x4f, 0x01, 0x0a]); // \0MICRO v1 \n

/** The protocol's largest frame (`length` field); past it a receiver closes the connection. */
export const MAX_FRAME = 64 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** A decoded frame; body is a view into the read buffer. */
export interface Frame {
  kind: number;
  id: number;
  header: Header;
  body: Buffer;
  /** Bytes of the frame after its length field: what holding it costs, roughly. */
  size: number;
}

/** Encodes one frame: u32 length, u8 kind, u32 id, u16 header length, header pairs, body. */
export function encodeFrame(
  kind: number,
  id: number,
  header: Header | undefined,
  body: Uint8Array = EMPTY,
): Buffer {
  let headerLen = 0;
  if (header) {
    for (const key in header) {
      const value = header[key];
      if (value === undefined) continue;
      headerLen += 3 + byteLength(key) + byteLength(value);
    }
  }
  if (headerLen > 0xffff) throw new RangeError('frame header too large (64 KiB limit)');
  const total = 4 + 1 + 4 + 2 + headerLen + body.length;
  if (total - 4 > MAX_FRAME)
    throw new RangeError(
      `message of ${body.length} bytes exceeds the ${MAX_FRAME} byte frame limit`,
    );
  const buf = Buffer.allocUnsafe(total);
  buf.writeUInt32BE(total - 4, 0);
  buf[4] = kind;
  buf.writeUInt32BE(id, 5);
  buf.writeUInt16BE(headerLen, 9);
  let at = 11;
  if (header) {
    for (const key in header) {
      const value = header[key];
      if (value === undefined) continue;
      const kl = writeString(buf, key, at + 1);
      if (kl > 0xff) throw new RangeError(`header name too long: ${key.slice(0, 40)}`);
      buf[at] = kl;
      at += 1 + kl;
      const vl = writeString(buf, value, at + 2);
      buf.writeUInt16BE(vl, at);
      at += 2 + vl;
    }
  }
  if (body.length > 0) buf.set(body, at);
  return buf;
}

/** UTF-8 length of s; counting in JS beats Buffer.byteLength's native call for short ASCII header strings. */
function byteLength(s: string): number {
  // A long value (a bearer token) is counted natively, as writeString writes it.
  if (s.length > 64) return Buffer.byteLength(s);
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return s.length;
}

/** Writes s as UTF-8 at offset and returns the byte count; short ASCII strings are copied in JS. */
function writeString(buf: Buffer, s: string, at: number): number {
  const n = s.length;
  if (n > 64) return buf.write(s, at);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return buf.write(s, at);
    buf[at + i] = c;
  }
  return n;
}
