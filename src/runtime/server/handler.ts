import type { Endpoint, Schema } from '../../registry/registry.ts';
import type { SchemaLike } from '../schema/types.ts';
import type { Context } from '../context.ts';

/** The ways an endpoint exchanges messages, as the registry advertises them (`metadata.stream`). */
export const STREAM_KINDS = ['unary', 'server', 'client', 'bidi'] as const;

/** How an endpoint exchanges messages: one request and one response, or a stream one way or both. */
export type StreamKind = (typeof STREAM_KINDS)[number];

/** The stream kind a registry endpoint advertises in `metadata.stream`; none (or one unknown) is unary. */
export function streamKindOf(endpoint: Pick<Endpoint, 'metadata'> | undefined): StreamKind {
  const kind = endpoint?.metadata.stream;
  return (STREAM_KINDS as readonly string[]).includes(kind ?? '') ? (kind as StreamKind) : 'unary';
}

/** The function a handler wrapper wraps: one decoded request in, one response out. */
export type HandlerFunc = (request: unknown, ctx: Context) => Promise<unknown>;

/** Server middleware around unary endpoints; the first listed is outermost. */
export type HandlerWrapper = (next: HandlerFunc) => HandlerFunc;

/**
 * A function that serves an endpoint: the request (for client and bidi streams, an AsyncIterable
 * of them) and the context in; the response (for server and bidi streams, an iterable) out.
 */
export type EndpointFunction = (request: any, ctx: Context) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What can be said about an endpoint besides its function. */
export interface EndpointOptions {
  /** The request's schema (Zod, Valibot, ArkType, TypeBox or JSON Schema); requests that do not match get a 400. */
  request?: SchemaLike;
  /** The response's schema, advertised in the registry as JSON Schema. */
  response?: SchemaLike;
  /** Extra endpoint metadata, e.g. for gateway routing. */
  metadata?: Record<string, string>;
  /** The stream kind; unary by default. */
  stream?: StreamKind;
  /**
   * Calling it twice does no more than once (a read, a put of the same value): advertised as
   * endpoint metadata `idempotent: 'true'`, so that clients whose policy hedges may hedge it.
   */
  idempotent?: boolean;
}

/** Brands what endpoint() and the stream helpers return. */
export const MARK = Symbol.for('micro.endpoint');

/** What an endpoint declaration says of its messages, for typed clients. */
export interface EndpointTypes<Req, Rsp, Kind extends StreamKind> {
  /** What a caller sends. */
  request: Req;
  /** What a caller gets back (each message, for a stream). */
  response: Rsp;
  /** The stream kind. */
  kind: Kind;
}

/**
 * An endpoint function together with its options. `Req` and `Rsp` are what a caller sends and gets
 * back, `Kind` its stream kind: a typed client (`client.service<T>()`) reads them.
 */
export interface EndpointDefinition<
  Req = unknown,
  Rsp = unknown,
  Kind extends StreamKind = StreamKind,
> extends EndpointOptions {
  /** @internal Brands what endpoint() and the stream helpers return. */
  readonly [MARK]: true;
  /** The function serving the endpoint. */
  fn: EndpointFunction;
  /** Never set: carries the endpoint's types for typed clients. */
  readonly '~types'?: EndpointTypes<Req, Rsp, Kind>;
}

/** A method a handler serves: a function `(request, ctx) => response`, or what endpoint(), serverStream(), clientStream() or bidiStream() declared. */
export type HandlerMethod = EndpointFunction | EndpointDefinition;

/** An object whose methods are served as `Name.Method` endpoints: `{ Hello: async (req, ctx) => ({...}) }`. */
export interface Handler {
  readonly [method: string]: HandlerMethod;
}

/**
 * A class instance (or any object of type T) as handle() takes it: each method is an endpoint
 * function; fields that are neither functions nor declarations, and names starting with `_`, are
 * not served.
 */
export type HandlerOf<T> = {
  [K in keyof T]: K extends `_${string}`
    ? T[K]
    : T[K] extends (...args: never[]) => unknown
      ? EndpointFunction
      : T[K];
};

/** A resolved endpoint, ready to serve. */
export interface EndpointEntry {
  name: string;
  kind: StreamKind;
  fn: EndpointFunction;
  options: EndpointOptions;
  /** Hidden endpoints (Debug.*) are served but not advertised. */
  internal: boolean;
  /** The schemas as JSON Schema for the registry, set when the router adds the endpoint. */
  json?: { request: Schema | undefined; response: Schema | undefined };
}

function isDefinition(v: unknown): v is EndpointDefinition {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[MARK] === true;
}

/** Lists the endpoints of a handler object: its functions and endpoint definitions, own or inherited from a class. */
export function extractEndpoints(
  handlerName: string,
  handler: object,
  extra: { readonly [method: string]: EndpointOptions | undefined } = {},
): EndpointEntry[] {
  if (!/^[A-Za-z_][\w]*$/.test(handlerName))
    throw new TypeError(`handler name "${handlerName}" must be an identifier such as Say`);
  const names = new Set<string>();
  for (
    let o: object | null = handler;
    o && o !== Object.prototype;
    o = Object.getPrototypeOf(o) as object | null
  ) {
    for (const k of Object.getOwnPropertyNames(o))
      if (k !== 'constructor' && !k.startsWith('_')) names.add(k);
  }
  const out: EndpointEntry[] = [];
  for (const method of names) {
    const value = (handler as Record<string, unknown>)[method];
    const more = extra[method] ?? {};
    if (isDefinition(value)) {
      const options = { ...value, ...more };
      out.push({
        name: `${handlerName}.${method}`,
        kind: options.stream ?? 'unary',
        fn: value.fn,
        options,
        internal: false,
      });
    } else if (typeof value === 'function') {
      const fn = (value as (...args: unknown[]) => unknown).bind(handler) as EndpointFunction;
      out.push({
        name: `${handlerName}.${method}`,
        kind: more.stream ?? 'unary',
        fn,
        options: more,
        internal: false,
      });
    }
  }
  if (out.length === 0) throw new TypeError(`handler ${handlerName} has no methods to serve`);
  return out;
}
