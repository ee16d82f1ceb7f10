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

/** Frames larger than this close the connection. */
export const MAX_FRAME = 64 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** A decoded frame; body is a view into the read buffer. */
export interface Frame {
  kind: number;
  id: number;
  header: Header;
  body: Buffer;
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

/** Splits a byte stream into frames; feed it chunks, it calls back once per whole frame. */
export class FrameReader {
  #chunks: Buffer[] = [];
  #size = 0;
  /** Bytes needed before the next frame is whole; saves copying a large frame on every read. */
  #need = 4;
  readonly #onFrame: (frame: Frame) => void;

  constructor(onFrame: (frame: Frame) => void) {
    this.#onFrame = onFrame;
  }

  /** Adds bytes; throws on a malformed or oversized frame. */
  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (this.#size < this.#need) return;
    let buf = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#size);
    let at = 0;
    while (buf.length - at >= 4) {
      const len = buf.readUInt32BE(at);
      if (len > MAX_FRAME)
        throw new RangeError(`frame of ${len} bytes exceeds the ${MAX_FRAME} byte limit`);
      if (len < 7) throw new RangeError('frame too short');
      if (buf.length - at - 4 < len) {
        this.#need = 4 + len;
        break;
      }
      this.#onFrame(decodeFrame(buf, at + 4, at + 4 + len));
      at += 4 + len;
    }
    if (at === buf.length || buf.length - at < 4) this.#need = 4;
    if (at === buf.length) {
      this.#chunks = [];
      this.#size = 0;
    } else {
      buf = buf.subarray(at);
      this.#chunks = [buf];
      this.#size = buf.length;
    }
  }
}

function decodeFrame(buf: Buffer, start: number, end: number): Frame {
  const kind = buf[start] as number;
  const id = buf.readUInt32BE(start + 1);
  const headerLen = buf.readUInt16BE(start + 5);
  let at = start + 7;
  const headerEnd = at + headerLen;
  if (headerEnd > end) throw new RangeError('frame header overruns the frame');
  const header: Header = {};
  // One native decode of the whole block, then slices: far cheaper than one per name and value.
  const text = headerLen > 0 ? buf.toString('latin1', at, headerEnd) : '';
  const base = at;
  while (at < headerEnd) {
    const kl = buf[at] as number;
    const key = readString(buf, text, base, at + 1, at + 1 + kl);
    at += 1 + kl;
    const vl = buf.readUInt16BE(at);
    header[key] = readString(buf, text, base, at + 2, at + 2 + vl);
    at += 2 + vl;
  }
  if (at !== headerEnd) throw new RangeError('malformed frame header');
  return { kind, id, header, body: buf.subarray(headerEnd, end) };
}

/** UTF-8 length of s; counting in JS beats Buffer.byteLength's native call for short ASCII header strings. */
function byteLength(s: string): number {
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

/** The UTF-8 string in buf[from, to): a slice of the block's latin1 text when ASCII, where the two agree. */
function readString(buf: Buffer, text: string, base: number, from: number, to: number): string {
  for (let i = from; i < to; i++)
    if ((buf[i] as number) > 0x7f) return buf.toString('utf8', from, to);
  return text.slice(from - base, to - base);
}
