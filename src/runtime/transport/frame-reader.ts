/** Reading the framed protocol: a byte stream split into frames, with the limits a receiver sets. */
import type { MicroError } from '../errors.ts';
import { MAX_FRAME, type Frame } from './frame-format.ts';
import { headerTooLarge, tooLarge } from './limits.ts';
import { TransportError, TransportErrors, type Header } from './transport.ts';

/** A break in the framing: the byte stream can no longer be split into frames (400; the connection closes). */
export class FrameError extends TransportError {
  constructor(detail: string) {
    super(TransportErrors.protocol, 400, detail, 'micro.transport');
    this.name = 'FrameError';
  }
}

/** What a FrameReader accepts; frames past these are refused, not delivered. */
export interface FrameLimits {
  /** Largest frame (`length` field), at most MAX_FRAME; a larger one up to MAX_FRAME is skipped. */
  maxFrameBytes: number;
  /** Header pairs per frame. */
  maxHeaderPairs: number;
  /** Bytes of a frame's header block. */
  maxHeaderBytes: number;
}

/** Called for a frame that is whole on the wire but over a limit: its kind, id, and the 413 or 431 to answer. */
export type OnRefused = (kind: number, id: number, err: MicroError) => void;

const NO_LIMITS: FrameLimits = {
  maxFrameBytes: MAX_FRAME,
  maxHeaderPairs: Number.POSITIVE_INFINITY,
  maxHeaderBytes: Number.POSITIVE_INFINITY,
};

/**
 * Splits a byte stream into frames; feed it chunks, it calls back once per whole frame. A frame over
 * the limits is skipped (its bytes are not kept) and reported to onRefused; a break in the framing
 * throws a FrameError, after which the reader must not be used.
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #size = 0;
  /** Bytes needed before the next frame is whole; saves copying a large frame on every read. */
  #need = 4;
  /** Bytes still to drop of a refused frame. */
  #skip = 0;
  #frames = 0;
  readonly #onFrame: (frame: Frame) => void;
  readonly #onRefused: OnRefused | undefined;
  readonly #maxFrame: number;
  readonly #maxPairs: number;
  readonly #maxHeader: number;

  constructor(onFrame: (frame: Frame) => void, limits?: FrameLimits, onRefused?: OnRefused) {
    const l = limits ?? NO_LIMITS;
    this.#onFrame = onFrame;
    this.#onRefused = onRefused;
    this.#maxFrame = Math.min(l.maxFrameBytes, MAX_FRAME);
    this.#maxPairs = l.maxHeaderPairs;
    this.#maxHeader = l.maxHeaderBytes;
  }

  /** Frames read whole so far, refused ones included. */
  get frames(): number {
    return this.#frames;
  }

  /** True while part of a frame has arrived and the rest has not. */
  get partial(): boolean {
    return this.#size > 0 || this.#skip > 0;
  }

  /** Adds bytes; throws a FrameError when they break the framing. */
  push(chunk: Buffer): void {
    if (this.#skip > 0) {
      if (chunk.length <= this.#skip) {
        this.#skip -= chunk.length;
        if (this.#skip === 0) this.#frames++;
        return;
      }
      chunk = chunk.subarray(this.#skip);
      this.#skip = 0;
      this.#frames++;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (this.#size < this.#need) return;
    let buf = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#size);
    let at = 0;
    this.#need = 4;
    while (buf.length - at >= 4) {
      const len = buf.readUInt32BE(at);
      if (len > this.#maxFrame) {
        // Past the protocol's maximum the length itself is not to be believed.
        if (len > MAX_FRAME)
          throw new FrameError(
            `frame of ${len} bytes is over the protocol's maximum of ${MAX_FRAME} bytes`,
          );
        if (buf.length - at < 11) {
          this.#need = 11;
          break;
        }
        this.#refuse(
          buf[at + 4] as number,
          buf.readUInt32BE(at + 5),
          tooLarge(`frame of ${len} bytes is over the limit of ${this.#maxFrame} bytes`),
        );
        if (buf.length - at - 4 >= len) {
          this.#frames++;
          at += 4 + len;
          continue;
        }
        this.#skip = len - (buf.length - at - 4);
        at = buf.length;
        break;
      }
      if (len < 7)
        throw new FrameError(`frame of ${len} bytes is shorter than the 7 bytes of its head`);
      if (buf.length - at - 4 < len) {
        this.#need = 4 + len;
        break;
      }
      this.#frames++;
      const frame = this.#decode(buf, at + 4, at + 4 + len);
      if (frame) this.#onFrame(frame);
      at += 4 + len;
    }
    if (at === buf.length) {
      this.#chunks = [];
      this.#size = 0;
    } else {
      buf = buf.subarray(at);
      this.#chunks = [buf];
      this.#size = buf.length;
    }
  }

  #refuse(kind: number, id: number, err: MicroError): void {
    if (!this.#onRefused) throw err;
    this.#onRefused(kind, id, err);
  }

  /** The frame in buf[start, end), or undefined when its header is over the limits (then refused). */
  #decode(buf: Buffer, start: number, end: number): Frame | undefined {
    const kind = buf[start] as number;
    const id = buf.readUInt32BE(start + 1);
    const headerLen = buf.readUInt16BE(start + 5);
    let at = start + 7;
    const headerEnd = at + headerLen;
    if (headerEnd > end)
      throw new FrameError(
        `a header block of ${headerLen} bytes overruns its frame of ${end - start} bytes`,
      );
    if (headerLen > this.#maxHeader) {
      this.#refuse(
        kind,
        id,
        headerTooLarge(
          `header block of ${headerLen} bytes is over the limit of ${this.#maxHeader} bytes`,
        ),
      );
      return undefined;
    }
    const header: Header = {};
    // One native decode of the whole block, then slices: far cheaper than one per name and value.
    const text = headerLen > 0 ? buf.toString('latin1', at, headerEnd) : '';
    const base = at;
    let pairs = 0;
    while (at < headerEnd) {
      if (++pairs > this.#maxPairs) {
        this.#refuse(
          kind,
          id,
          headerTooLarge(
            `${countPairs(buf, base, headerEnd)} header pairs are over the limit of ${this.#maxPairs} per frame`,
          ),
        );
        return undefined;
      }
      const kl = buf[at] as number;
      const keyEnd = at + 1 + kl;
      if (keyEnd + 2 > headerEnd) throw malformed();
      const key = readString(buf, text, base, at + 1, keyEnd);
      const vl = buf.readUInt16BE(keyEnd);
      at = keyEnd + 2 + vl;
      if (at > headerEnd) throw malformed();
      const value = readString(buf, text, base, keyEnd + 2, at);
      // Assigned, "__proto__" would set the object's prototype (or vanish); it is a name like any other.
      if (key === '__proto__')
        Object.defineProperty(header, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else header[key] = value;
    }
    return { kind, id, header, body: buf.subarray(headerEnd, end), size: end - start };
  }
}

const malformed = (): FrameError =>
  new FrameError('malformed header block: a name or value runs past its end');

/** Pairs in the header block buf[at, end), for the refusal's message; throws if the block is malformed. */
function countPairs(buf: Buffer, at: number, end: number): number {
  let n = 0;
  while (at < end) {
    if (at + 3 + (buf[at] as number) > end) throw malformed();
    at += 1 + (buf[at] as number);
    at += 2 + buf.readUInt16BE(at);
    if (at > end) throw malformed();
    n++;
  }
  return n;
}

/** The UTF-8 string in buf[from, to): a slice of the block's latin1 text when ASCII, where the two agree. */
function readString(buf: Buffer, text: string, base: number, from: number, to: number): string {
  for (let i = from; i < to; i++)
    if ((buf[i] as number) > 0x7f) return buf.toString('utf8', from, to);
  return text.slice(from - base, to - base);
}
