// A framed-protocol peer that writes raw bytes and reads what the server answers: for attack tests.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import {
  FrameReader,
  Kind,
  PREFACE,
  encodeFrame,
  type Frame,
} from '../../../src/runtime/transport/frame.ts';
import type { Header } from '../../../src/runtime/transport/transport.ts';

/** An error frame's body, parsed. */
export interface ErrorBody {
  id: string;
  code: number;
  detail: string;
  status: string;
}

/** One raw connection: send any bytes, collect the frames that come back, see when it closes. */
export class RawPeer {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  /** Set when the server's bytes could not be split into frames. */
  malformed: Error | undefined;
  closed = false;
  readonly #waiters: (() => void)[] = [];
  readonly #closedP: Promise<void>;

  constructor(socket: Socket) {
    this.socket = socket;
    const reader = new FrameReader((f) => {
      // Copy: the body is a view into a read buffer.
      this.frames.push({ ...f, body: Buffer.from(f.body) });
      this.#wake();
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        this.malformed = err as Error;
      }
    });
    socket.on('error', () => undefined);
    this.#closedP = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.#wake();
        resolve();
      }),
    );
  }

  /** Connects to address and, unless told not to, sends the preface. */
  static async open(address: string, preface = true): Promise<RawPeer> {
    const [host, port] = [
      address.slice(0, address.lastIndexOf(':')),
      address.slice(address.lastIndexOf(':') + 1),
    ];
    const socket = connect({ host, port: Number(port) });
    socket.setNoDelay(true);
    await once(socket, 'connect');
    const peer = new RawPeer(socket);
    if (preface) socket.write(PREFACE);
    return peer;
  }

  /** Writes bytes as they are. */
  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Writes one well-formed frame. */
  frame(kind: number, id: number, header?: Header, body?: Uint8Array): void {
    this.socket.write(encodeFrame(kind, id, header, body));
  }

  /** Sends a request for endpoint with a JSON body. */
  request(id: number, endpoint: string, body = '{}', header: Header = {}): void {
    this.frame(Kind.request, id, { 'micro-endpoint': endpoint, ...header }, Buffer.from(body));
  }

  /** Resolves with the first frame (already received or to come) that matches; rejects if the connection closes first. */
  async next(match: (f: Frame) => boolean, what = 'a frame'): Promise<Frame> {
    for (;;) {
      const f = this.frames.find(match);
      if (f) return f;
      if (this.closed) throw new Error(`the connection closed before ${what} arrived`);
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  /** Sends a request and resolves with its reply; rejects if the connection closes first. */
  call(id: number, endpoint: string, body = '{}'): Promise<Frame> {
    this.request(id, endpoint, body);
    return this.next((f) => f.kind === Kind.reply && f.id === id, `the reply to ${id}`);
  }

  /** The error frame for id, parsed. */
  async error(id: number): Promise<ErrorBody> {
    const f = await this.next((x) => x.kind === Kind.error && x.id === id, `an error for id ${id}`);
    return JSON.parse(f.body.toString('utf8')) as ErrorBody;
  }

  /** Resolves when the server has closed the connection. */
  whenClosed(): Promise<void> {
    return this.#closedP;
  }

  close(): void {
    this.socket.destroy();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}
