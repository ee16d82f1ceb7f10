/** The server side of one framed connection: its frames read, its calls served, its timeouts kept. */
import type { Socket } from 'node:net';
import { MicroError, badGateway, internalServerError, timeout } from '../../errors.ts';
import { FrameError, FrameReader, Kind, encodeFrame, type Frame } from '../frame.ts';
import { ServedCalls, errorFrame } from '../served.ts';
import type { ConnectionLimits, TransportHandler } from '../transport.ts';
import { BatchWriter } from '../writer.ts';

const ID = 'micro.transport';

/**
 * Serves the framed protocol on one accepted connection (after the preface). Everything the peer
 * starts lives in two maps and ends when the connection closes; the listener's sweep calls sweep()
 * now and then to close a connection whose frame stalls or that has long been idle.
 */
export class ServerConnection {
  readonly writer: BatchWriter;
  readonly #socket: Socket;
  readonly #limits: ConnectionLimits;
  readonly #remote: string;
  readonly #served: ServedCalls;
  readonly #reader: FrameReader;
  #closing = false;
  #paused = false;
  /** What the sweep saw last, and since when (0: not stalled, not idle). */
  #framesSeen = 0;
  #partialSince = 0;
  #startedSeen = 0;
  #idleSince = 0;

  constructor(socket: Socket, handler: TransportHandler, limits: ConnectionLimits, rest: Buffer) {
    this.#socket = socket;
    this.#limits = limits;
    this.#remote = `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`;
    const writer = new BatchWriter(socket, limits.maxWriteBuffer, this.#full);
    this.writer = writer;
    this.#served = new ServedCalls({
      handler,
      limits,
      remote: this.#remote,
      protocol: 'tcp',
      noun: 'connection',
      write: (frame) => writer.write(frame),
      backlog: () => writer.backlog,
    });
    const served = this.#served;
    this.#reader = new FrameReader(this.#onFrame, limits, (kind, id, err) =>
      served.refused(kind, id, err),
    );
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
    const started = this.#served.started;
    if (l.idleTimeout > 0 && this.#served.idle && !this.#reader.partial) {
      if (this.#idleSince === 0 || started !== this.#startedSeen) this.#idleSince = now;
      else if (now - this.#idleSince >= l.idleTimeout) {
        // Like an HTTP keep-alive timeout: nothing is lost, the client dials again when it needs to.
        this.#close(undefined);
        return;
      }
    } else this.#idleSince = 0;
    this.#startedSeen = started;
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
    this.#served.release(err);
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
    this.#served.release(badGateway(ID, `connection from ${this.#remote} closed`));
  };

  readonly #onFrame = (f: Frame): void => {
    if (this.#served.frame(f)) return;
    if (f.kind === Kind.ping) this.writer.write(encodeFrame(Kind.pong, f.id, undefined));
    else throw new FrameError(`frame kind ${f.kind} is not one a client sends (1 and 3 to 8)`);
  };
}
