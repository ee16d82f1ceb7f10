/** The Transport interface: messages, calls, streams, listeners, their options and the transport's errors. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MicroError } from '../errors.ts';

/** Header names are lower case; values are strings. */
export type Header = Record<string, string>;

/** What crosses the wire: a header map and an encoded body. */
export interface Message {
  /** Protocol headers (Headers) and metadata. */
  header: Header;
  /** The encoded body. */
  body: Uint8Array;
}

/** The answer to a call; when `error` is set the body holds the error JSON. */
export interface Reply extends Message {
  /** True when the body is an error (`{id, code, detail, status}`). */
  error?: boolean;
}

/** What a server knows about one incoming call or stream. */
export interface CallInfo {
  /** `host:port` of the caller, or a transport-specific name. */
  remote: string;
  /** `tcp`, `http`, `ws`, `nats` or `memory`. */
  protocol: string;
  /** Set by the server; the transport calls it when the caller cancels or disconnects. */
  onCancel?: () => void;
}

/** One side of a stream: read the peer's messages, send yours, end or fail it. */
export interface Pipe extends AsyncIterable<Uint8Array> {
  /** Sends one encoded message. */
  send(body: Uint8Array): void;
  /** Says this side will send no more. */
  end(): void;
  /** Ends the stream with an error the peer will throw. */
  fail(err: MicroError): void;
  /** Settles when both sides are done or the stream failed; never rejects. */
  readonly done: Promise<void>;
}

/** What a transport delivers to the server above it. */
export interface TransportHandler {
  /** Serves one call and resolves with its reply. */
  call(request: Message, info: CallInfo): Promise<Reply>;
  /** Serves one stream: `open` is its first frame, `pipe` carries the rest both ways. */
  stream(open: Message, pipe: Pipe, info: CallInfo): void;
}

/** A bound server socket. */
export interface Listener {
  /** `host:port` actually bound. */
  readonly address: string;
  /** Stops accepting and closes open connections. */
  close(): Promise<void>;
}

/** What a listener allows each peer of the framed protocol; defaults in limits.ts, listed in docs/protocol.md. */
export interface ConnectionLimits {
  /** Largest frame a peer may send, in bytes (16 MiB); a larger one is skipped and answered 413. */
  maxFrameBytes: number;
  /** Header pairs per frame (256); more are answered 431. */
  maxHeaderPairs: number;
  /** Bytes of a frame's header block (32 KiB); more are answered 431. */
  maxHeaderBytes: number;
  /** Calls in flight per connection (10,000); more are answered 429. */
  maxCalls: number;
  /** Streams open per connection (1,000); more are answered 429. */
  maxStreams: number;
  /** Bytes sent on a stream that its handler has not read yet (16 MiB); past that the stream is reset with 413. */
  maxStreamBuffer: number;
  /** Bytes the handlers of a connection hold: unread stream messages and requests of calls in flight (64 MiB); past that, streams are reset (413) and calls refused (429). */
  maxConnectionBuffer: number;
  /** Bytes written to a peer that it has not read (64 MiB); past that the server stops reading it, and its streams that send and its calls that answer get 413 instead. */
  maxWriteBuffer: number;
  /** Connections open at once from one peer address, both protocols (1,024; 0: no cap); more are closed at once. */
  maxConnectionsPerPeer: number;
  /** Ms a new connection has to send its first byte and, if framed, its whole preface (10 s; 0: no limit). */
  prefaceTimeout: number;
  /** Ms a frame has to arrive whole once its first byte has (30 s; 0: no limit); then 408 and close. */
  frameTimeout: number;
  /** Ms a framed connection with no call or stream open is kept (5 min; 0: for ever). */
  idleTimeout: number;
}

/** TLS of a listening port. */
export interface ServerTlsOptions {
  /** The private key (PEM). */
  key: string | Buffer;
  /** The certificate (PEM). */
  cert: string | Buffer;
  /** CA certificates (PEM), given to Node's TLS server as `ca`: the ones client certificates must chain to. */
  ca?: string | Buffer;
  /** Mutual TLS: refuse a peer that presents no certificate signed by `ca` (default false). */
  mutual?: boolean;
}

/** TLS of a dialing client. */
export interface ClientTlsOptions {
  /** CA certificates (PEM) to trust, besides Node's. */
  ca?: string | Buffer;
  /** Skips verifying the server's certificate (tests only). */
  insecure?: boolean;
  /** The client's certificate (PEM), presented to a server asking for one (mutual TLS). */
  cert?: string | Buffer;
  /** The private key (PEM) of `cert`. */
  key?: string | Buffer;
}

/** Options for listening. */
export interface ListenOptions {
  /** Limits and timeouts of framed connections (each one left out keeps its default). */
  limits?: Partial<ConnectionLimits>;
  /** TLS key and certificate (PEM); with them the port speaks TLS for both protocols. */
  tls?: ServerTlsOptions;
  /**
   * Host names, besides loopback ones, an HTTP request's Host may name on a port bound to
   * loopback (default none: others get 421, so a page whose DNS name was re-pointed at 127.0.0.1
   * cannot call the port). Ports bound elsewhere serve any Host.
   */
  allowedHosts?: string[];
  /**
   * Origins (`https://app.example`) whose web pages may call over HTTP; `*` allows any (default
   * none: a request carrying another site's Origin gets 403; programs send no Origin).
   */
  allowedOrigins?: string[];
  /** Ms an HTTP client has to send a request's headers (default 10 s, 0 off); then 408 and close. */
  headersTimeout?: number;
  /** Ms an HTTP client has to send a whole request, body included (default 120 s, 0 off); then 408. */
  requestTimeout?: number;
  /** Ms an HTTP connection is kept open idle between requests (default 65 s). */
  keepAliveTimeout?: number;
  /**
   * Answers the HTTP requests that are no call (no Micro-Endpoint header) on the same port: a web
   * app served through the dashboard's `/[name]/`. Only transports with a port (tcp) take one. Its
   * requests pass the Host check; what a page may post is the app's to decide (no Origin check).
   */
  web?: WebHandler;
  /**
   * Extra HTTP routes on the same port, by exact path (`/metrics`), for requests that are no call
   * (no Micro-Endpoint header): they pass the same Host and Origin checks as calls, so a page in a
   * browser can neither read nor post to them, and they come before `web`. They do not make the
   * service a web app. Transports without a port (memory, nats) ignore them.
   */
  routes?: Readonly<Record<string, WebHandler>>;
}

/** Why a transport without a port refuses a web handler. */
export const NO_WEB =
  'a web handler needs a port: run the service on the tcp transport (MICRO_TRANSPORT=tcp, the default)';

/** A node:http request handler for a service's web pages. */
export type WebHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Moves messages between processes: calls, streams, and a listener for both. */
export interface Transport {
  /** The implementation's name, as used in the transports table. */
  readonly name: string;
  /** True when it dials with TLS: the client then uses it for nodes that serve TLS too. */
  readonly tls?: boolean;
  /** Binds the address and passes the calls and streams that arrive to handler. */
  listen(address: string, handler: TransportHandler, options?: ListenOptions): Promise<Listener>;
  /**
   * Sends a request and resolves with the reply; rejects with a MicroError (408, 502, 503). When
   * `signal` aborts first, it rejects with a 499 and the node is told the caller gave up (its
   * handler's context is cancelled: a cancel frame, or for http the request's connection closed).
   */
  call(address: string, request: Message, timeout: number, signal?: AbortSignal): Promise<Reply>;
  /** Opens a stream to the address. */
  stream(address: string, open: Message): Promise<Pipe>;
  /** Closes client connections. */
  close(): Promise<void>;
}

/** Options every transport factory takes. */
export interface TransportOptions {
  /** Milliseconds to wait for a connection. */
  dialTimeout?: number;
  /**
   * Milliseconds of silence, while calls or streams are open on a connection, after which the
   * client pings the peer; the connection is declared lost when the ping goes unanswered as long
   * again (default 1000; 0 turns probing off). A peer cut off by the network is noticed in about
   * two to three times this, so its calls fail over to other nodes within their deadline.
   */
  keepalive?: number;
  /** TLS for dialing: trust these CAs; `insecure` skips verification (tests only). */
  tls?: ClientTlsOptions;
}

/** What every entry of the transports table is given: the options, and `--transport-address` (the engine's, for nats). */
export interface TransportFactoryOptions extends TransportOptions {
  /** The engine's `host:port`, for a transport that uses one (nats). */
  address?: string;
}

/** Makes a transport from the table's options. */
export type TransportFactory = (options?: TransportFactoryOptions) => Transport;

/** Header names the protocol itself uses. */
export const Headers = {
  /** The service called. */
  service: 'micro-service',
  /** The endpoint called, `Handler.Method`. */
  endpoint: 'micro-endpoint',
  /** Reserved: neither sent nor read (the frame id is the call id). */
  id: 'micro-id',
  /** Milliseconds the caller has left. */
  timeout: 'micro-timeout',
  /** The calling service's name. */
  from: 'micro-from-service',
  /** The body's codec. */
  contentType: 'content-type',
  /** Reserved: neither sent nor read. */
  error: 'micro-error',
  /** The topic a broker message was published to. */
  topic: 'micro-topic',
} as const;

/** Stable error codes of the transport layer. */
export const TransportErrors = {
  /** No connection could be made: nothing listens at the address, or the broker is unreachable (503). */
  connect: 'MICRO_ERR_TRANSPORT_CONNECT',
  /** The connection broke or the peer stopped answering while the call or stream was open (502). */
  lost: 'MICRO_ERR_TRANSPORT_LOST',
  /** A frame could not be written or read: too large, or the framing broke (400, 502). */
  protocol: 'MICRO_ERR_TRANSPORT_PROTOCOL',
  /** The call's deadline passed before its reply came (408). */
  timeout: 'MICRO_ERR_TRANSPORT_TIMEOUT',
  /** The transport was closed with the call or stream still open (502). */
  closed: 'MICRO_ERR_TRANSPORT_CLOSED',
} as const;

/** One of TransportErrors. */
export type TransportErrorCode = (typeof TransportErrors)[keyof typeof TransportErrors];

/**
 * A failure the transport itself raises (not an error a peer sent): a MicroError, so it keeps the
 * wire shape and status that retries read, with the stable `reason` (TransportErrors) to test.
 */
export class TransportError extends MicroError {
  /** What failed, one of TransportErrors: test it instead of the message. */
  readonly reason: TransportErrorCode;
  /** id: who raised it, `micro.client` (a caller's transport) unless given. */
  constructor(reason: TransportErrorCode, code: number, detail: string, id = 'micro.client') {
    super(id, code, detail);
    this.name = 'TransportError';
    this.reason = reason;
  }
}

/** The error of a call whose caller aborted it (a lost hedge): 499, counted neither way. */
export function abandoned(address: string): MicroError {
  return new MicroError(
    'micro.client',
    499,
    `call to ${address} abandoned by the caller`,
    'Client Closed Request',
  );
}
