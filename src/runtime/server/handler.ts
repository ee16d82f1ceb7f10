import type { Schema } from '../../registry/registry.ts';
import type { Context } from '../context.ts';

/** How an endpoint exchanges messages. */
export type StreamKind = 'unary' | 'server' | 'client' | 'bidi';

/** The function a handler wrapper wraps: one decoded request in, one response out. */
export type HandlerFunc = (request: unknown, ctx: Context) => Promise<unknown>;

/** Server middleware around unary endpoints; the first listed is outermost. */
export type HandlerWrapper = (next: HandlerFunc) => HandlerFunc;

/** A function that serves an endpoint, by stream kind. */
export type EndpointFunction =
  | ((request: any, ctx: Context) => unknown) // eslint-disable-line @typescript-eslint/no-explicit-any
  | ((input: AsyncIterable<any>, ctx: Context) => unknown); // eslint-disable-line @typescript-eslint/no-explicit-any

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
  readonly [MARK]: true;
  fn: EndpointFunction;
}

/** Declares a unary endpoint with schemas: `Hello: endpoint({request, response}, async (req, ctx) => ...)`. */
export function endpoint<Req, Rsp>(
  options: EndpointOptions,
  fn: (request: Req, ctx: Context) => Rsp | Promise<Rsp>,
): EndpointDefinition {
  return { ...options, fn: fn as EndpointFunction, [MARK]: true };
}

/** Declares a server stream: one request in, the yielded values out. */
export function serverStream<Req, Rsp>(
  fn: (request: Req, ctx: Context) => AsyncIterable<Rsp> | Iterable<Rsp>,
  options: EndpointOptions = {},
): EndpointDefinition {
  return { ...options, stream: 'server', fn: fn as EndpointFunction, [MARK]: true };
}

/** Declares a client stream: many requests in, one response out. */
export function clientStream<Req, Rsp>(
  fn: (input: AsyncIterable<Req>, ctx: Context) => Promise<Rsp>,
  options: EndpointOptions = {},
): EndpointDefinition {
  return { ...options, stream: 'client', fn: fn as EndpointFunction, [MARK]: true };
}

/** Declares a bidirectional stream: requests in and responses out, in any rhythm. */
export function bidiStream<Req, Rsp>(
  fn: (input: AsyncIterable<Req>, ctx: Context) => AsyncIterable<Rsp>,
  options: EndpointOptions = {},
): EndpointDefinition {
  return { ...options, stream: 'bidi', fn: fn as EndpointFunction, [MARK]: true };
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
  extra: Record<string, EndpointOptions> = {},
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
