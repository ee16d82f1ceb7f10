/** The client side of one framed connection to a node: calls and streams over it, and its liveness. */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { parseError } from '../../errors.ts';
import { parseAddress } from '../address.ts';
import { CallTable, type Call } from '../calls.ts';
import { FrameReader, Kind, PREFACE, encodeFrame, type Frame } from '../frame.ts';
import { QueuePipe } from '../pipe.ts';
import {
  TransportError,
  TransportErrors,
  type Message,
  type Reply,
  type TransportOptions,
} from '../transport.ts';
import { BatchWriter } from '../writer.ts';

const ID = 'micro.client';
const TLS_HINT =
  'the server must have a certificate from the CA in MICRO_TLS_CA, and with mutual TLS the client one from its CA in MICRO_TLS_CERT';

/** True for a failure of the TLS handshake or of a certificate, as OpenSSL and Node name them. */
const tlsRefusal = (err: NodeJS.ErrnoException): boolean =>
  /^ERR_(SSL|TLS)_|CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME/.test(
    err.code ?? '',
  );

/** One framed connection to a peer node, carrying many calls and streams at once. */
export class ClientConnection {
  readonly address: string;
  readonly #socket: Socket;
  readonly #writer: BatchWriter;
  readonly #table = new CallTable<Call, QueuePipe>({
    expired: (id) => this.#writer.write(encodeFrame(Kind.cancel, id, undefined)),
    busy: () => this.#busy(),
    idle: () => this.#release(),
  });
  #connected = false;
  #dead: TransportError | undefined;
  readonly #onDead: (c: ClientConnection) => void;
  readonly #keepalive: number;
  #probe: NodeJS.Timeout | undefined;
  /** When a byte last arrived, and when the unanswered ping went out (0: none). */
  #lastRead = Date.now();
  #pingSent = 0;
  /** True once the peer sent a byte. */
  #answered = false;

  /** secureContext: the TLS context the transport made once from options.tls (parsing PEMs per dial costs ms). */
  constructor(
    address: string,
    options: TransportOptions,
    onDead: (c: ClientConnection) => void,
    secureContext?: SecureContext,
  ) {
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
          ...(secureContext
            ? { secureContext }
            : { ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key }),
          rejectUnauthorized: !options.tls.insecure,
          // SNI takes DNS names only (RFC 6066); an IP is still checked against the certificate.
          servername: isIP(host) === 0 ? host : undefined,
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
      this.#answered = true;
      this.#lastRead = Date.now();
      this.#pingSent = 0;
      try {
        reader.push(chunk);
      } catch (err) {
        // A break in the framing: this side cannot read the peer any more.
        socket.destroy(new TransportError(TransportErrors.protocol, 502, (err as Error).message));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#die(
        this.#connected
          ? new TransportError(
              err instanceof TransportError ? err.reason : TransportErrors.lost,
              502,
              tlsRefusal(err)
                ? `TLS with ${address} failed: ${err.message} (${TLS_HINT})`
                : `connection to ${address} failed: ${err.message}`,
            )
          : new TransportError(
              TransportErrors.connect,
              503,
              tlsRefusal(err)
                ? `TLS handshake with ${address} failed: ${err.message} (${TLS_HINT})`
                : `cannot connect to ${address}: ${err.code ?? err.message}`,
            ),
      );
    });
    // A server closes an idle connection with a FIN: from then on, calls go to a new connection.
    socket.on('end', () =>
      this.#die(
        new TransportError(
          TransportErrors.lost,
          502,
          // A TLS 1.3 server refusing the client's certificate only hangs up after the handshake.
          options.tls && !this.#answered
            ? `TLS connection to ${address} closed by the peer before any answer: does it require a client certificate from another CA? (${TLS_HINT})`
            : `connection to ${address} closed by the peer`,
        ),
      ),
    );
    socket.on('close', () =>
      this.#die(new TransportError(TransportErrors.lost, 502, `connection to ${address} closed`)),
    );
    socket.unref();
  }

  /** False once the connection failed; the pool then dials a new one. */
  get alive(): boolean {
    return this.#dead === undefined;
  }

  /** Sends a request and waits for its reply. */
  call(request: Message, timeout: number, signal?: AbortSignal): Promise<Reply> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#table.id();
    let frame: Buffer;
    try {
      frame = encodeFrame(Kind.request, id, request.header, request.body);
    } catch (err) {
      return Promise.reject(
        new TransportError(TransportErrors.protocol, 400, (err as Error).message),
      );
    }
    return new Promise<Reply>((resolve, reject) => {
      this.#table.add(
        id,
        { resolve, reject, timer: undefined },
        timeout,
        request,
        this.address,
        signal,
      );
      this.#writer.write(frame);
    });
  }

  /** Opens a stream on this connection. */
  stream(open: Message): QueuePipe {
    if (this.#dead) throw this.#dead;
    const id = this.#table.id();
    const pipe = new QueuePipe({
      send: (body) => this.#writer.write(encodeFrame(Kind.data, id, undefined, body)),
      end: () => this.#writer.write(encodeFrame(Kind.end, id, undefined)),
      fail: () => this.#writer.write(encodeFrame(Kind.cancel, id, undefined)),
      release: () => this.#table.removeStream(id),
    });
    this.#table.addStream(id, pipe);
    this.#writer.write(encodeFrame(Kind.open, id, open.header, open.body));
    return pipe;
  }

  /** Closes the connection; calls in flight fail with 502. */
  close(): void {
    this.#die(
      new TransportError(TransportErrors.closed, 502, `connection to ${this.address} closed`),
    );
    this.#socket.destroy();
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
    if (this.#table.dispatch(f)) return;
    // An error with id 0: the peer could not read this side's frames and closes.
    if (f.kind === Kind.error && f.id === 0)
      this.#socket.destroy(
        new TransportError(
          TransportErrors.protocol,
          502,
          parseError(f.body.toString('utf8'), ID).detail,
        ),
      );
  }

  #die(err: TransportError): void {
    if (this.#dead) return;
    this.#dead = err;
    clearInterval(this.#probe);
    this.#onDead(this);
    this.#table.failAll(err);
  }
}
