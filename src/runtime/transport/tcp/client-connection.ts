import { connect as netConnect, type Socket } from 'node:net';
import {
  MicroError,
  badGateway,
  badRequest,
  parseError,
  serviceUnavailable,
  timeout as timeoutError,
} from '../../errors.ts';
import { parseAddress } from '../address.ts';
import { FrameReader, Kind, PREFACE, encodeFrame, type Frame } from '../frame.ts';
import { QueuePipe } from '../pipe.ts';
import type { Message, Reply, TransportOptions } from '../transport.ts';
import { BatchWriter } from '../writer.ts';

const ID = 'micro.client';

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: MicroError) => void;
  timer: NodeJS.Timeout | undefined;
}

/** One framed connection to a peer node, carrying many calls and streams at once. */
export class ClientConnection {
  readonly address: string;
  readonly #socket: Socket;
  readonly #writer: BatchWriter;
  readonly #pending = new Map<number, Pending>();
  readonly #streams = new Map<number, QueuePipe>();
  #nextId = 1;
  #connected = false;
  #dead: MicroError | undefined;
  readonly #onDead: (c: ClientConnection) => void;
  readonly #keepalive: number;
  #probe: NodeJS.Timeout | undefined;
  /** When a byte last arrived, and when the unanswered ping went out (0: none). */
  #lastRead = Date.now();
  #pingSent = 0;

  constructor(address: string, options: TransportOptions, onDead: (c: ClientConnection) => void) {
    this.address = address;
    this.#onDead = onDead;
    this.#keepalive = options.keepalive ?? 1000;
    const { host, port } = parseAddress(address);
    const dialTimeout = options.dialTimeout ?? 5000;
    this.#socket = options.tls
      ? // node:tls loads only for TLS (about 15 ms at start-up otherwise).
        process.getBuiltinModule('node:tls').connect({
          host,
          port,
          ca: options.tls.ca,
          rejectUnauthorized: !options.tls.insecure,
          servername: host,
        })
      : netConnect({ host, port });
    const socket = this.#socket;
    socket.setNoDelay(true);
    socket.setTimeout(dialTimeout, () => {
      if (!this.#connected) socket.destroy(new Error(`no connection within ${dialTimeout} ms`));
    });
    socket.once(options.tls ? 'secureConnect' : 'connect', () => {
      this.#connected = true;
      socket.setTimeout(0);
    });
    this.#writer = new BatchWriter(socket);
    this.#writer.write(PREFACE);
    const reader = new FrameReader((f) => this.#onFrame(f));
    socket.on('data', (chunk: Buffer) => {
      this.#lastRead = Date.now();
      this.#pingSent = 0;
      try {
        reader.push(chunk);
      } catch (err) {
        socket.destroy(err as Error);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#die(
        this.#connected
          ? badGateway(ID, `connection to ${address} failed: ${err.message}`)
          : serviceUnavailable(ID, `cannot connect to ${address}: ${err.code ?? err.message}`),
      );
    });
    // A server closes an idle connection with a FIN: from then on, calls go to a new connection.
    socket.on('end', () =>
      this.#die(badGateway(ID, `connection to ${address} closed by the peer`)),
    );
    socket.on('close', () => this.#die(badGateway(ID, `connection to ${address} closed`)));
    socket.unref();
  }

  /** False once the connection failed; the pool then dials a new one. */
  get alive(): boolean {
    return this.#dead === undefined;
  }

  /** Sends a request and waits for its reply. */
  call(request: Message, timeout: number): Promise<Reply> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#id();
    let frame: Buffer;
    try {
      frame = encodeFrame(Kind.request, id, request.header, request.body);
    } catch (err) {
      return Promise.reject(badRequest(ID, (err as Error).message));
    }
    return new Promise<Reply>((resolve, reject) => {
      const p: Pending = { resolve, reject, timer: undefined };
      if (timeout > 0 && Number.isFinite(timeout)) {
        p.timer = setTimeout(() => {
          if (!this.#pending.delete(id)) return;
          this.#release();
          this.#writer.write(encodeFrame(Kind.cancel, id, undefined));
          reject(
            timeoutError(
              ID,
              `call to ${request.header['micro-service'] ?? '?'} ${request.header['micro-endpoint'] ?? '?'} at ${this.address} timed out after ${timeout} ms`,
            ),
          );
        }, timeout);
      }
      if (this.#pending.size === 0 && this.#streams.size === 0) this.#busy();
      this.#pending.set(id, p);
      this.#writer.write(frame);
    });
  }

  /** Opens a stream on this connection. */
  stream(open: Message): QueuePipe {
    if (this.#dead) throw this.#dead;
    const id = this.#id();
    const pipe = new QueuePipe({
      send: (body) => this.#writer.write(encodeFrame(Kind.data, id, undefined, body)),
      end: () => this.#writer.write(encodeFrame(Kind.end, id, undefined)),
      fail: () => this.#writer.write(encodeFrame(Kind.cancel, id, undefined)),
      release: () => {
        this.#streams.delete(id);
        this.#release();
      },
    });
    if (this.#pending.size === 0 && this.#streams.size === 0) this.#busy();
    this.#streams.set(id, pipe);
    this.#writer.write(encodeFrame(Kind.open, id, open.header, open.body));
    return pipe;
  }

  /** Closes the connection; calls in flight fail with 502. */
  close(): void {
    this.#socket.destroy();
  }

  #id(): number {
    const id = this.#nextId;
    this.#nextId = id >= 0xfffffffe ? 1 : id + 1;
    return id;
  }

  /** The first call or stream opened: keep the process alive and watch the peer. */
  #busy(): void {
    this.#socket.ref();
    if (this.#keepalive > 0 && !this.#probe) {
      this.#lastRead = Date.now();
      this.#pingSent = 0;
      this.#probe = setInterval(() => this.#check(), this.#keepalive / 2);
      this.#probe.unref();
    }
  }

  /** The last call or stream finished: nothing to wait for. */
  #release(): void {
    if (this.#pending.size !== 0 || this.#streams.size !== 0) return;
    this.#socket.unref();
    clearInterval(this.#probe);
    this.#probe = undefined;
  }

  /**
   * A peer cut off by the network sends neither data nor a reset, so a call on its connection would
   * wait out its whole deadline with no time left to try another node. After a silence, ping; when
   * the ping too goes unanswered, give the connection up so its calls fail over.
   */
  #check(): void {
    if (!this.#connected) return;
    const now = Date.now();
    if (this.#pingSent === 0) {
      if (now - this.#lastRead < this.#keepalive) return;
      this.#pingSent = now;
      this.#writer.write(encodeFrame(Kind.ping, 0, undefined));
    } else if (now - this.#pingSent >= this.#keepalive) {
      this.#socket.destroy(
        new Error(`no answer to a ping for ${now - this.#pingSent} ms (the peer is unreachable)`),
      );
    }
  }

  #onFrame(f: Frame): void {
    if (f.kind === Kind.reply || f.kind === Kind.error) {
      const p = this.#pending.get(f.id);
      if (p) {
        this.#pending.delete(f.id);
        clearTimeout(p.timer);
        this.#release();
        if (f.kind === Kind.reply) p.resolve({ header: f.header, body: f.body });
        else p.resolve({ header: f.header, body: f.body, error: true });
        return;
      }
      if (f.kind === Kind.error && f.id === 0) {
        this.#socket.destroy(new Error(parseError(f.body.toString('utf8'), ID).detail));
        return;
      }
    }
    const pipe = this.#streams.get(f.id);
    if (!pipe) return;
    if (f.kind === Kind.data) pipe.deliver(f.body);
    else if (f.kind === Kind.end) pipe.remoteEnd();
    else if (f.kind === Kind.error) pipe.remoteFail(parseError(f.body.toString('utf8'), ID));
  }

  #die(err: MicroError): void {
    if (this.#dead) return;
    this.#dead = err;
    clearInterval(this.#probe);
    this.#onDead(this);
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pending.clear();
    for (const s of this.#streams.values()) s.remoteFail(err);
    this.#streams.clear();
  }
}
