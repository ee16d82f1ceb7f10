// endpoint(), serverStream(), clientStream() and bidiStream(): an endpoint's function with its
// options. Their schemas type the function: a Zod (or any Standard Schema) or TypeBox request
// schema gives the handler its request type, a response schema the type it must return, and the
// declaration carries both for a typed client. Plain JSON Schema leaves the types to the function.
import type { Context } from '../context.ts';
import type { InputOf, OutputOf, SchemaLike } from '../schema/types.ts';
import {
  MARK,
  type EndpointDefinition,
  type EndpointFunction,
  type EndpointOptions,
  type StreamKind,
} from './handler.ts';

/** A value or a promise of it. */
export type Awaitable<T> = T | Promise<T>;

/** endpoint()'s options with the schemas' own types kept, so they can type the function. */
export type DeclareOptions<RqS, RsS> = Omit<EndpointOptions, 'request' | 'response' | 'stream'> & {
  /** The request's schema: Zod, Valibot, ArkType (any Standard Schema), TypeBox or JSON Schema. */
  request?: RqS;
  /** The response's schema, as for the request. */
  response?: RsS;
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

/**
 * Declares a unary endpoint with schemas: `Hello: endpoint({ request, response }, async (req, ctx) => ...)`.
 * With a Zod/Valibot/ArkType/TypeBox request schema `req` is typed by it; with JSON Schema, by the
 * function's own annotation.
 */
export function endpoint<
  RqS extends SchemaLike | undefined = undefined,
  RsS extends SchemaLike | undefined = undefined,
  Req = unknown,
  Rsp = unknown,
>(
  options: DeclareOptions<RqS, RsS>,
  fn: (request: OutputOf<RqS, Req>, ctx: Context) => Awaitable<InputOf<RsS, Rsp>>,
): EndpointDefinition<InputOf<RqS, Req>, InputOf<RsS, Rsp>, 'unary'> {
  return declare('endpoint', 'unary', options, fn);
}

/** A stream kind's function: what serverStream, clientStream or bidiStream take. */
export type StreamFunction<
  Kind extends 'server' | 'client' | 'bidi',
  Req,
  Rsp,
> = Kind extends 'server'
  ? ServerStreamFunction<Req, Rsp>
  : Kind extends 'client'
    ? ClientStreamFunction<Req, Rsp>
    : BidiStreamFunction<Req, Rsp>;

/** The signatures of serverStream, clientStream and bidiStream: `(options, fn)`, `(fn)`, or the old `(fn, options)`. */
export interface StreamDeclarer<Kind extends 'server' | 'client' | 'bidi'> {
  /** Declares the stream with its options; Zod/Valibot/ArkType/TypeBox schemas type the function. */
  <
    RqS extends SchemaLike | undefined = undefined,
    RsS extends SchemaLike | undefined = undefined,
    Req = unknown,
    Rsp = unknown,
  >(
    options: DeclareOptions<RqS, RsS>,
    fn: StreamFunction<Kind, OutputOf<RqS, Req>, InputOf<RsS, Rsp>>,
  ): EndpointDefinition<InputOf<RqS, Req>, InputOf<RsS, Rsp>, Kind>;
  /** Declares the stream without options. */
  <Req, Rsp>(fn: StreamFunction<Kind, Req, Rsp>): EndpointDefinition<Req, Rsp, Kind>;
  /** @deprecated The function first is the old order; put the options first: `(options, fn)`. */
  <Req, Rsp>(
    fn: StreamFunction<Kind, Req, Rsp>,
    options: EndpointOptions,
  ): EndpointDefinition<Req, Rsp, Kind>;
}

/** A declarer of one stream kind, taking its arguments in any of the three orders. */
function streamOf<Kind extends 'server' | 'client' | 'bidi'>(
  helper: string,
  kind: Kind,
): StreamDeclarer<Kind> {
  // One implementation behind the interface's three signatures.
  return ((a: unknown, b?: unknown) => declareStream(helper, kind, a, b)) as StreamDeclarer<Kind>;
}

/** Declares a server stream, one request in and the yielded values out: `serverStream({ request }, async function* (req, ctx) {...})`. */
export const serverStream: StreamDeclarer<'server'> = streamOf('serverStream', 'server');

/** Declares a client stream, many requests in and one response out: `clientStream({ request }, async (input, ctx) => ...)`. */
export const clientStream: StreamDeclarer<'client'> = streamOf('clientStream', 'client');

/** Declares a bidirectional stream, requests in and responses out in any rhythm: `bidiStream({ request }, async function* (input, ctx) {...})`. */
export const bidiStream: StreamDeclarer<'bidi'> = streamOf('bidiStream', 'bidi');

/** A stream declaration from (options, fn), (fn) or the old (fn, options): options are never a function. */
function declareStream(
  helper: string,
  kind: StreamKind,
  a: unknown,
  b: unknown,
): EndpointDefinition {
  return typeof a === 'function' ? declare(helper, kind, b ?? {}, a) : declare(helper, kind, a, b);
}

function declare<D extends EndpointDefinition>(
  helper: string,
  kind: StreamKind,
  options: unknown,
  fn: unknown,
): D {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${helper}(options, fn): the options must be an object`);
  if (typeof fn !== 'function')
    throw new TypeError(`${helper}(options, fn): fn must be a function`);
  return {
    ...(options as EndpointOptions),
    stream: kind,
    fn: fn as EndpointFunction,
    [MARK]: true,
  } as D;
}
