import type { ServiceClient } from './typed.ts';
import type { Node } from '../../registry/registry.ts';
import type { Context } from '../context.ts';
import type { Metadata } from '../metadata.ts';
import type { Filter, Strategy } from '../selector/selector.ts';
import type { HedgeOptions } from '../resilience/policy.ts';

/** Options for one call; each falls back to the client's default. */
export interface CallOptions {
  /** Total milliseconds for the call, retries included (default 5000). */
  timeout?: number;
  /** Further attempts after a retryable failure (connection errors, 408, 5xx), each on another node if there is one. */
  retries?: number;
  /** Ms each attempt may take (no limit but the call's own timeout by default); one past it is a 504, retried. */
  attemptTimeout?: number;
  /** Milliseconds to wait before attempt n (n >= 1); default 0 for the first retry, then 10 * 2^(n-1). */
  backoff?: (attempt: number) => number;
  /** Call this `host:port` directly, skipping the registry. */
  address?: string;
  /** Call this registered node directly, over the transport its metadata names; wins over address. */
  node?: Node;
  /** Metadata sent with the call. */
  metadata?: Metadata;
  /** Only nodes of this version. */
  version?: string;
  /** Further filters on the nodes found, after the version's. */
  filters?: Filter[];
  /** How a node is picked for this call (default: the selector's strategy). */
  strategy?: Strategy;
  /** Content type of the request, and so of the response (default application/json). */
  contentType?: string;
  /** The request being served, whose deadline and metadata cascade to this call. */
  parent?: Context;
  /**
   * Hedge this call (it must be idempotent): another attempt on another node when the first has
   * not answered in time (see HedgeOptions); false: never, whatever the target's policy says.
   */
  hedge?: HedgeOptions | false;
  /**
   * Cancels the call when aborted: the attempt in flight is cancelled on the wire (the server's
   * handler sees its context cancelled), no retry is made, and the call fails with a 499.
   */
  signal?: AbortSignal;
}

/** A response with what came with it. */
export interface CallResponse<T = unknown> {
  /** The decoded response. */
  body: T;
  /** Metadata the handler sent back. */
  metadata: Metadata;
  /** The node that answered. */
  node: Node;
}

/** One call as wrappers see it. */
export interface CallRequest {
  /** The service called. */
  service: string;
  /** The endpoint called, `Handler.Method`. */
  endpoint: string;
  /** The request, before encoding. */
  body: unknown;
  /** The call's options, over the client's defaults. */
  options: CallOptions;
}

/** Makes a call; what a CallWrapper wraps. */
export type CallFunc = (request: CallRequest) => Promise<CallResponse>;

/** Client middleware; the first listed is outermost. */
export type CallWrapper = (next: CallFunc) => CallFunc;

/** One stream being opened, as stream wrappers see it. */
export interface StreamRequest {
  /** The service called. */
  service: string;
  /** The streaming endpoint, `Handler.Method`. */
  endpoint: string;
  /** The stream's options, over the client's defaults. */
  options: CallOptions;
}

/** Opens a stream; what a StreamWrapper wraps. */
export type StreamFunc = (request: StreamRequest) => Promise<ClientStream>;

/** Client middleware around opening streams; the first listed is outermost. */
export type StreamWrapper = (next: StreamFunc) => StreamFunc;

/** One publish, as publish wrappers see it. */
export interface PublishRequest {
  /** The topic. */
  topic: string;
  /** The message, before encoding. */
  message: unknown;
  /** The publish's options. */
  options: PublishOptions;
}

/** Publishes; what a PublishWrapper wraps. */
export type PublishFunc = (request: PublishRequest) => Promise<void>;

/** Client middleware around publishes; the first listed is outermost. */
export type PublishWrapper = (next: PublishFunc) => PublishFunc;

/** The client's side of a stream: send requests, end, and iterate the responses. */
export interface ClientStream<Req = unknown, Rsp = unknown> extends AsyncIterable<Rsp> {
  /** Sends one request. */
  send(message: Req): void;
  /** Says no more requests will be sent. */
  end(): void;
  /** Abandons the stream; the server's context is cancelled. */
  close(): void;
}

/** Options for publish. */
export interface PublishOptions {
  /** Metadata sent with the message. */
  metadata?: Metadata;
  /** Content type the message is encoded as (default application/json). */
  contentType?: string;
  /** The request being served, whose metadata the message carries. */
  parent?: Context;
  /**
   * Publish to the service's `durable` broker (the platform's events: stored, delivered at least
   * once to `durable` subscribers) instead of its broker; resolves once stored.
   */
  durable?: boolean;
  /** With `durable`: an idempotency key, so that a retried publish is stored once. */
  key?: string;
}

/** Calls services, opens streams and publishes messages. */
export interface Client {
  /** Calls an endpoint and resolves with the decoded response. */
  call<T = unknown>(
    service: string,
    endpoint: string,
    request: unknown,
    options?: CallOptions,
  ): Promise<T>;
  /** Like call, with the response's metadata and the node that answered. */
  request<T = unknown>(
    service: string,
    endpoint: string,
    request: unknown,
    options?: CallOptions,
  ): Promise<CallResponse<T>>;
  /** Opens a stream to an endpoint. */
  stream<Req = unknown, Rsp = unknown>(
    service: string,
    endpoint: string,
    options?: CallOptions,
  ): Promise<ClientStream<Req, Rsp>>;
  /**
   * A typed client of one service: `client.service<typeof greeter>('greeter').Say.Hello({ name })`.
   * T is the service's type (from createService(...).handle(...)) or a contract of its handlers.
   */
  service<T>(name: string): ServiceClient<T>;
  /** Publishes a message to a topic through the broker. */
  publish(topic: string, message: unknown, options?: PublishOptions): Promise<void>;
  /** Closes its connections, and the registry and broker it opened itself. */
  close(): Promise<void>;
}
