/** What a server holds for one caller (a TCP connection, a NATS caller): its calls and streams in flight, within limits. */
import {
  MicroError,
  badGateway,
  badRequest,
  parseError,
  retryAfterHeader,
  toMicroError,
} from '../errors.ts';
import { FrameError, Kind, encodeFrame, type Frame } from './frame.ts';
import { tooLarge, tooMany } from './limits.ts';
import { MESSAGE_COST, QueuePipe, type InboundBudget } from './pipe.ts';
import type { CallInfo, ConnectionLimits, Reply, TransportHandler } from './transport.ts';

const ID = 'micro.transport';

/** An error frame carrying err for call or stream id (0: the whole connection), and its retry-after. */
export const errorFrame = (id: number, err: MicroError): Buffer => {
  const retryAfter = retryAfterHeader(err);
  const header = retryAfter ? { 'retry-after': retryAfter } : undefined;
  return encodeFrame(Kind.error, id, header, Buffer.from(JSON.stringify(err)));
};

const errorReply = (err: unknown): Reply => ({
  header: {},
  body: Buffer.from(JSON.stringify(toMicroError(err, ID))),
  error: true,
});

/** How a server serves one caller. */
export interface ServedOptions {
  handler: TransportHandler;
  limits: ConnectionLimits;
  /** What handlers see as the caller (CallInfo.remote) and the protocol. */
  remote: string;
  protocol: string;
  /** What the caller is, in refusals: `connection` (tcp) or `caller` (nats). */
  noun: 'connection' | 'caller';
  /** Sends a frame to the caller. */
  write: (frame: Buffer) => void;
  /** Bytes written that the caller has not read; past maxWriteBuffer, replies and stream messages become 413s. */
  backlog?: () => number;
}

/**
 * The calls and streams one caller started, by id: admitted within the limits (429, 400 for an id
 * in use), handed to the handler, answered, cancelled, and ended all at once when the caller goes.
 */
export class ServedCalls {
  readonly calls = new Map<number, CallInfo>();
  readonly streams = new Map<number, QueuePipe>();
  /** Unread stream bytes and requests in flight, counted against the limits. */
  readonly budget: InboundBudget;
  /** Calls and streams started so far: how a sweep tells a quiet caller from an idle one. */
  started = 0;
  readonly #o: ServedOptions;
  /** `on this connection` or `from this caller`. */
  readonly #scope: string;

  constructor(options: ServedOptions) {
    this.#o = options;
    this.#scope = options.noun === 'connection' ? 'on this connection' : 'from this caller';
    const l = options.limits;
    this.budget = { perStream: l.maxStreamBuffer, total: l.maxConnectionBuffer, used: 0 };
  }

  /** True when nothing is in flight. */
  get idle(): boolean {
    return this.calls.size === 0 && this.streams.size === 0;
  }

  /** Serves a request, open, data, end, error or cancel frame; false for other kinds. */
  frame(f: Frame): boolean {
    switch (f.kind) {
      case Kind.request:
        this.#call(f);
        return true;
      case Kind.open:
        this.#open(f);
        return true;
      case Kind.data:
        this.streams.get(f.id)?.deliver(f.body);
        return true;
      case Kind.end:
        this.streams.get(f.id)?.remoteEnd();
        return true;
      case Kind.error:
        this.streams.get(f.id)?.remoteFail(parseError(f.body.toString('utf8'), ID));
        return true;
      case Kind.cancel: {
        const info = this.calls.get(f.id);
        if (info) {
          this.calls.delete(f.id);
          info.onCancel?.();
        }
        this.streams
          .get(f.id)
          ?.remoteFail(
            new MicroError(ID, 499, 'stream cancelled by the caller', 'Client Closed Request'),
          );
        return true;
      }
      default:
        return false;
    }
  }

  /** A frame over a limit: its stream fails, or its call or stream is refused. */
  refused(kind: number, id: number, err: MicroError): void {
    const pipe = this.streams.get(id);
    if (pipe) pipe.fail(err);
    else if ((kind === Kind.request || kind === Kind.open) && id !== 0 && !this.calls.has(id))
      this.#o.write(errorFrame(id, err));
  }

  /** Ends everything the caller started: handlers see their calls cancelled and streams fail. */
  release(err: MicroError): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const info of calls) info.onCancel?.();
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const pipe of streams) pipe.remoteFail(err);
  }

  /** True when id may start a call or stream; otherwise the caller has been answered. */
  #admit(id: number, call: boolean): boolean {
    if (id === 0)
      throw new FrameError(
        `a ${call ? 'call' : 'stream'} cannot have id 0, which is kept for the connection`,
      );
    const info = this.calls.get(id);
    const pipe = this.streams.get(id);
    if (info || pipe) {
      // Refused, and the first one ended: two of them could not be told apart.
      const err = badRequest(
        ID,
        `id ${id} is already in use by a call or stream in flight ${this.#scope}; both are ended`,
      );
      if (info) {
        this.calls.delete(id);
        info.onCancel?.();
        this.#o.write(errorFrame(id, err));
      } else pipe?.fail(err);
      return false;
    }
    const l = this.#o.limits;
    const max = call ? l.maxCalls : l.maxStreams;
    if ((call ? this.calls.size : this.streams.size) >= max) {
      const state = call ? 'calls in flight' : 'streams open';
      this.#o.write(errorFrame(id, tooMany(`${max} ${state} ${this.#scope} already, the limit`)));
      return false;
    }
    this.started++;
    return true;
  }

  #call(f: Frame): void {
    const id = f.id;
    if (!this.#admit(id, true)) return;
    // What the handler holds until it settles (body and header), counted with unread stream bytes.
    const b = this.budget;
    const cost = f.size + MESSAGE_COST;
    if (b.used + cost > b.total && this.calls.size > 0) {
      const detail = `the calls in flight ${this.#scope} hold ${b.used} bytes of requests already (limit ${b.total})`;
      this.#o.write(errorFrame(id, tooMany(detail)));
      return;
    }
    b.used += cost;
    const info: CallInfo = { remote: this.#o.remote, protocol: this.#o.protocol };
    this.calls.set(id, info);
    const done = (r: Reply): void => {
      b.used -= cost;
      this.#reply(id, info, r);
    };
    const failed = (err: unknown): void => done(errorReply(err));
    try {
      this.#o.handler.call({ header: f.header, body: f.body }, info).then(done, failed);
    } catch (err) {
      // A handler that throws at once must not end the other frames of the read.
      failed(err);
    }
  }

  #reply(id: number, info: CallInfo, r: Reply): void {
    if (this.calls.get(id) !== info) return; // cancelled, or the caller is gone
    this.calls.delete(id);
    const o = this.#o;
    const backlog = o.backlog?.() ?? 0;
    if (backlog > o.limits.maxWriteBuffer) {
      // Calls read before the caller stopped reading: their answers would only pile up here.
      const detail = `reply to call ${id} dropped: the peer has not read the ${backlog} bytes sent to it (limit ${o.limits.maxWriteBuffer})`;
      o.write(errorFrame(id, tooLarge(detail)));
      return;
    }
    let frame: Buffer;
    try {
      frame = encodeFrame(r.error ? Kind.error : Kind.reply, id, r.header, r.body);
    } catch (err) {
      // A reply too large for a frame becomes an error reply instead of taking the process down.
      const detail = `the reply could not be sent: ${(err as Error).message}`;
      frame = errorFrame(id, badGateway(ID, detail));
    }
    o.write(frame);
  }

  #open(f: Frame): void {
    const id = f.id;
    if (!this.#admit(id, false)) return;
    const o = this.#o;
    const write = o.write;
    const backlog = o.backlog;
    const limit = o.limits.maxWriteBuffer;
    const pipe: QueuePipe = new QueuePipe(
      {
        send: (body) => {
          const behind = backlog?.() ?? 0;
          if (behind > limit) {
            const detail = `stream ${id} reset: the peer has not read the ${behind} bytes sent to it (limit ${limit})`;
            pipe.fail(tooLarge(detail));
            return;
          }
          write(encodeFrame(Kind.data, id, undefined, body));
        },
        end: () => write(encodeFrame(Kind.end, id, undefined)),
        fail: (err) => write(errorFrame(id, err)),
        release: () => {
          if (this.streams.get(id) === pipe) this.streams.delete(id);
        },
        overflow: (queued, max, all) =>
          tooLarge(
            all
              ? `stream ${id} reset: the streams of this ${o.noun} hold ${queued} bytes their handlers have not read (limit ${max})`
              : `stream ${id} reset: its handler has not read the ${queued} bytes queued for it (limit ${max})`,
          ),
      },
      this.budget,
    );
    this.streams.set(id, pipe);
    try {
      o.handler.stream({ header: f.header, body: f.body }, pipe, {
        remote: o.remote,
        protocol: o.protocol,
      });
    } catch (err) {
      pipe.fail(toMicroError(err, ID));
    }
  }
}
