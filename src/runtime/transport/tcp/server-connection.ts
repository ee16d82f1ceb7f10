import type { Socket } from 'node:net';
import {
  MicroError,
  badGateway,
  badRequest,
  internalServerError,
  parseError,
  timeout,
  toMicroError,
} from '../../errors.ts';
import { FrameError, FrameReader, Kind, encodeFrame, type Frame } from '../frame.ts';
import { tooLarge, tooMany } from '../limits.ts';
import { MESSAGE_COST, QueuePipe, type InboundBudget } from '../pipe.ts';
import type { CallInfo, ConnectionLimits, Reply, TransportHandler } from '../transport.ts';
import { BatchWriter } from '../writer.ts';

const ID = 'micro.transport';

const errorFrame = (id: number, err: MicroError): Buffer =>
  encodeFrame(Kind.error, id, undefined, Buffer.from(JSON.stringify(err)));

const errorReply = (err: unknown): Reply => ({
  header: {},
  body: Buffer.from(JSON.stringify(toMicroError(err, ID))),
  error: true,
});

/**
 * Serves the framed protocol on one accepted connection (after the preface). Everything the peer
 * starts lives in two maps and ends when the connection closes; the listener's sweep calls sweep()
 * now and then to close a connection whose frame stalls or that has long been idle.
 */
export class ServerConnection {
  readonly writer: BatchWriter;
  readonly #socket: Socket;
  readonly #handler: TransportHandler;
  readonly #limits: ConnectionLimits;
  readonly #remote: string;
  readonly #calls = new Map<number, CallInfo>();
  readonly #streams = new Map<number, QueuePipe>();
  readonly #reader: FrameReader;
  readonly #budget: InboundBudget;
  #closing = false;
  #paused = false;
  /** Calls and streams started so far: how the sweep tells a quiet connection from an idle one. */
  #started = 0;
  /** What the sweep saw last, and since when (0: not stalled, not idle). */
  #framesSeen = 0;
  #partialSince = 0;
  #startedSeen = 0;
  #idleSince = 0;

  constructor(socket: Socket, handler: TransportHandler, limits: ConnectionLimits, rest: Buffer) {
    this.#socket = socket;
    this.#handler = handler;
    this.#limits = limits;
    this.#remote = `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`;
    this.writer = new BatchWriter(socket, limits.maxWriteBuffer, this.#full);
    this.#budget = {
      perStream: limits.maxStreamBuffer,
      total: limits.maxConnectionBuffer,
      used: 0,
    };
    this.#reader = new FrameReader(this.#onFrame, limits, this.#onRefused);
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('error', () => socket.destroy());
    socket.on('close', this.#onClose);
    if (rest.length > 0) this.#onData(rest);
  }

  /** Closes the connection when a frame has been partial for frameTimeout or nothing ran for idleTimeout. */
  sweep(now: number): void {
    if (this.#closing) return;
    const l = this.#limits;
    const frames = this.#reader.frames;
    // Not read while paused: the peer is not reading our answers, and the stall is ours.
    if (l.frameTimeout > 0 && this.#reader.partial && !this.#paused) {
      if (this.#partialSince === 0 || frames !== this.#framesSeen) this.#partialSince = now;
      else if (now - this.#partialSince >= l.frameTimeout) {
        this.#abort(
          timeout(ID, `no whole frame within ${l.frameTimeout} ms of its first byte; closing`),
        );
        return;
      }
    } else this.#partialSince = 0;
    this.#framesSeen = frames;
    const idle = this.#calls.size === 0 && this.#streams.size === 0 && !this.#reader.partial;
    if (l.idleTimeout > 0 && idle) {
      if (this.#idleSince === 0 || this.#started !== this.#startedSeen) this.#idleSince = now;
      else if (now - this.#idleSince >= l.idleTimeout) {
        // Like an HTTP keep-alive timeout: nothing is lost, the client dials again when it needs to.
        this.#close(undefined);
        return;
      }
    } else this.#idleSince = 0;
    this.#startedSeen = this.#started;
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#closing) return;
    try {
      this.#reader.push(chunk);
    } catch (err) {
      // Only a FrameError is expected here; anything else is ours, and the peer gets no stack.
      this.#abort(
        err instanceof FrameError ? err : internalServerError(ID, 'the connection failed'),
      );
    }
  };

  /** A peer that breaks the framing gets one error frame with id 0, then the connection closes. */
  #abort(err: MicroError): void {
    if (this.#closing) return;
    this.#release(err);
    this.#close(errorFrame(0, err));
  }

  /** Ends the connection after what is queued (and last, if given); reads nothing more. */
  #close(last: Buffer | undefined): void {
    this.#closing = true;
    this.writer.flush();
    if (last) this.#socket.end(last);
    else this.#socket.end();
    // A peer that neither reads nor closes its side does not keep the socket.
    setTimeout(() => this.#socket.destroy(), 2000).unref();
  }

  /** The peer is not reading what we write: stop reading it until it does. */
  readonly #full = (): void => {
    if (this.#paused || this.#closing) return;
    this.#paused = true;
    this.#socket.pause();
    this.#socket.once('drain', () => {
      this.#paused = false;
      if (!this.#closing) this.#socket.resume();
    });
  };

  readonly #onClose = (): void => {
    this.#closing = true;
    this.#release(badGateway(ID, `connection from ${this.#remote} closed`));
  };

  /** Ends everything the connection started: handlers see their calls cancelled and streams fail. */
  #release(err: MicroError): void {
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    for (const info of calls) info.onCancel?.();
    const streams = [...this.#streams.values()];
    this.#streams.clear();
    for (const pipe of streams) pipe.remoteFail(err);
  }

  readonly #onRefused = (kind: number, id: number, err: MicroError): void => {
    const pipe = this.#streams.get(id);
    if (pipe) pipe.fail(err);
    else if ((kind === Kind.request || kind === Kind.open) && id !== 0 && !this.#calls.has(id))
      this.writer.write(errorFrame(id, err));
  };

  readonly #onFrame = (f: Frame): void => {
    switch (f.kind) {
      case Kind.request:
        this.#call(f);
        return;
      case Kind.open:
        this.#open(f);
        return;
      case Kind.data:
        this.#streams.get(f.id)?.deliver(f.body);
        return;
      case Kind.end:
        this.#streams.get(f.id)?.remoteEnd();
        return;
      case Kind.error:
        this.#streams.get(f.id)?.remoteFail(parseError(f.body.toString('utf8'), ID));
        return;
      case Kind.cancel: {
        const info = this.#calls.get(f.id);
        if (info) {
          this.#calls.delete(f.id);
          info.onCancel?.();
        }
        this.#streams
          .get(f.id)
          ?.remoteFail(
            new MicroError(ID, 499, 'stream cancelled by the caller', 'Client Closed Request'),
          );
        return;
      }
      case Kind.ping:
        this.writer.write(encodeFrame(Kind.pong, f.id, undefined));
        return;
      default:
        throw new FrameError(`frame kind ${f.kind} is not one a client sends (1 and 3 to 8)`);
    }
  };

  /** True when id may start a call or stream; otherwise the peer has been answered. */
  #admit(id: number, what: 'call' | 'stream'): boolean {
    if (id === 0)
      throw new FrameError(`a ${what} cannot have id 0, which is kept for the connection`);
    const info = this.#calls.get(id);
    const pipe = this.#streams.get(id);
    if (info || pipe) {
      // Refused, and the first one ended: two of them could not be told apart.
      const err = badRequest(
        ID,
        `id ${id} is already in use on this connection by a call or stream in flight; both are ended`,
      );
      if (info) {
        this.#calls.delete(id);
        info.onCancel?.();
        this.writer.write(errorFrame(id, err));
      } else pipe?.fail(err);
      return false;
    }
    const l = this.#limits;
    const calls = what === 'call';
    const max = calls ? l.maxCalls : l.maxStreams;
    if ((calls ? this.#calls.size : this.#streams.size) >= max) {
      const state = calls ? 'calls in flight' : 'streams open';
      this.writer.write(
        errorFrame(id, tooMany(`${max} ${state} on this connection already, the limit`)),
      );
      return false;
    }
    this.#started++;
    return true;
  }

  #call(f: Frame): void {
    const id = f.id;
    if (!this.#admit(id, 'call')) return;
    // What the handler holds until it settles (body and header), counted with unread stream bytes.
    const b = this.#budget;
    const cost = f.size + MESSAGE_COST;
    if (b.used + cost > b.total && this.#calls.size > 0) {
      this.writer.write(
        errorFrame(
          id,
          tooMany(
            `the calls in flight on this connection hold ${b.used} bytes of requests already (limit ${b.total})`,
          ),
        ),
      );
      return;
    }
    b.used += cost;
    const info: CallInfo = { remote: this.#remote, protocol: 'tcp' };
    this.#calls.set(id, info);
    const done = (r: Reply): void => {
      b.used -= cost;
      this.#reply(id, info, r);
    };
    const failed = (err: unknown): void => done(errorReply(err));
    try {
      this.#handler.call({ header: f.header, body: f.body }, info).then(done, failed);
    } catch (err) {
      failed(err);
    }
  }

  #reply(id: number, info: CallInfo, r: Reply): void {
    if (this.#calls.get(id) !== info) return; // cancelled, or the connection is gone
    this.#calls.delete(id);
    let frame: Buffer;
    const backlog = this.writer.backlog;
    if (backlog > this.#limits.maxWriteBuffer) {
      // Calls read before the peer stopped reading: their answers would only pile up here.
      frame = errorFrame(
        id,
        tooLarge(
          `reply to call ${id} dropped: the peer has not read the ${backlog} bytes sent to it (limit ${this.#limits.maxWriteBuffer})`,
        ),
      );
      this.writer.write(frame);
      return;
    }
    try {
      frame = encodeFrame(r.error ? Kind.error : Kind.reply, id, r.header, r.body);
    } catch (err) {
      // A reply too large for a frame becomes an error reply instead of taking the process down.
      frame = errorFrame(
        id,
        badGateway(ID, `the reply could not be sent: ${(err as Error).message}`),
      );
    }
    this.writer.write(frame);
  }

  #open(f: Frame): void {
    const id = f.id;
    if (!this.#admit(id, 'stream')) return;
    const writer = this.writer;
    const limit = this.#limits.maxWriteBuffer;
    const pipe: QueuePipe = new QueuePipe(
      {
        send: (body) => {
          if (writer.backlog > limit) {
            pipe.fail(
              tooLarge(
                `stream ${id} reset: the peer has not read the ${writer.backlog} bytes sent to it (limit ${limit})`,
              ),
            );
            return;
          }
          writer.write(encodeFrame(Kind.data, id, undefined, body));
        },
        end: () => writer.write(encodeFrame(Kind.end, id, undefined)),
        fail: (err) => writer.write(errorFrame(id, err)),
        release: () => {
          if (this.#streams.get(id) === pipe) this.#streams.delete(id);
        },
        overflow: (queued, max, connection) =>
          tooLarge(
            connection
              ? `stream ${id} reset: the streams of this connection hold ${queued} bytes their handlers have not read (limit ${max})`
              : `stream ${id} reset: its handler has not read the ${queued} bytes queued for it (limit ${max})`,
          ),
      },
      this.#budget,
    );
    this.#streams.set(id, pipe);
    try {
      this.#handler.stream({ header: f.header, body: f.body }, pipe, {
        remote: this.#remote,
        protocol: 'tcp',
      });
    } catch (err) {
      pipe.fail(toMicroError(err, ID));
    }
  }
}
