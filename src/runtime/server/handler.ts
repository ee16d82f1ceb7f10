import type { Endpoint, Schema } from '../../registry/registry.ts';
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
  /** JSON Schema of the request; requests that do not match get a 400. */
  request?: Schema;
  /** JSON Schema of the response, advertised in the registry. */
  response?: Schema;
  /** Extra endpoint metadata, e.g. for gateway routing. */
  metadata?: Record<string, string>;
  /** The stream kind; unary by default. */
  stream?: StreamKind;
}

const MARK = Symbol.for('micro.endpoint');

/** An endpoint function together with its options. */
export interface EndpointDefinition extends EndpointOptions {
  /** @internal Brands what endpoint() and the stream helpers return. */
  readonly [MARK]: true;
  /** The function serving the endpoint. */
  fn: EndpointFunction;
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

/** A server stream's function: one request in, the values it yields out. */
export type ServerStreamFunction<Req, Rsp> = (
  request: Req,
  ctx: Context,
) => AsyncIterable<Rsp> | Iterable<Rsp>;

/** A client stream's function: the requests in, one response out. */
export type ClientStreamFunction<Req, Rsp> = (
  input: AsyncIterable<Req>,
  ctx: Context,
) => Promise<Rsp>;

/** A bidirectional stream's function: the requests in, the values it yields out. */
export type BidiStreamFunction<Req, Rsp> = (
  input: AsyncIterable<Req>,
  ctx: Context,
) => AsyncIterable<Rsp>;

/** Declares a unary endpoint with schemas: `Hello: endpoint({request, response}, async (req, ctx) => ...)`. */
export function endpoint<Req, Rsp>(
  options: EndpointOptions,
  fn: (request: Req, ctx: Context) => Rsp | Promise<Rsp>,
): EndpointDefinition {
  return declare('endpoint', options.stream ?? 'unary', options, fn);
}

/** A stream helper: `(options, fn)` as endpoint() takes them, `(fn)` alone, or the old `(fn, options)`. */
export interface StreamDeclarer<F> {
  /** Declares the stream with its options (schemas, metadata). */
  <T extends F>(options: EndpointOptions, fn: T): EndpointDefinition;
  /** Declares the stream without options. */
  <T extends F>(fn: T): EndpointDefinition;
  /** @deprecated The function first is the old order; put the options first: `(options, fn)`. */
  <T extends F>(fn: T, options: EndpointOptions): EndpointDefinition;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- what any request type fits */
/** Declares a server stream, one request in and the yielded values out: `serverStream({request}, async function* (req, ctx) {...})`. */
export const serverStream: StreamDeclarer<ServerStreamFunction<any, unknown>> = (
  a: unknown,
  b?: unknown,
) => declareStream('serverStream', 'server', a, b);

/** Declares a client stream, many requests in and one response out: `clientStream({request}, async (input, ctx) => ...)`. */
export const clientStream: StreamDeclarer<ClientStreamFunction<any, unknown>> = (
  a: unknown,
  b?: unknown,
) => declareStream('clientStream', 'client', a, b);

/** Declares a bidirectional stream, requests in and responses out in any rhythm: `bidiStream({request}, async function* (input, ctx) {...})`. */
export const bidiStream: StreamDeclarer<BidiStreamFunction<any, unknown>> = (
  a: unknown,
  b?: unknown,
) => declareStream('bidiStream', 'bidi', a, b);
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A stream declaration from (options, fn), (fn) or the old (fn, options): options are never a function. */
function declareStream(
  helper: string,
  kind: StreamKind,
  a: unknown,
  b: unknown,
): EndpointDefinition {
  return typeof a === 'function' ? declare(helper, kind, b ?? {}, a) : declare(helper, kind, a, b);
}

function declare(
  helper: string,
  kind: StreamKind,
  options: unknown,
  fn: unknown,
): EndpointDefinition {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${helper}(options, fn): the options must be an object`);
  if (typeof fn !== 'function')
    throw new TypeError(`${helper}(options, fn): fn must be a function`);
  return {
    ...(options as EndpointOptions),
    stream: kind,
    fn: fn as EndpointFunction,
    [MARK]: true,
  };
}

/** A resolved endpoint, ready to serve. */
export interface EndpointEntry {
  name: string;
  kind: StreamKind;
  fn: EndpointFunction;
  options: EndpointOptions;
  /** Hidden endpoints (Debug.*) are served but not advertised. */
  internal: boolean;
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
