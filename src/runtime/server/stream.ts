// Serving one open stream: its requests decoded in, the handler's values encoded out, by kind.
import type { Codec } from '../codec/index.ts';
import type { RequestContext } from '../context.ts';
import { MicroError, badRequest, timeout as timeoutError } from '../errors.ts';
import type { Pipe } from '../transport/transport.ts';
import type { EndpointEntry, HandlerFunc } from './handler.ts';

/** What serving a stream needs of its route. */
export interface StreamRoute {
  entry: EndpointEntry;
  /** The unary function with wrappers applied, for a unary endpoint opened as a stream. */
  call: HandlerFunc;
  /** Decodes and checks one request message. */
  decode(body: Uint8Array): unknown;
}

/**
 * Runs the route's handler on the stream until it is done: a unary or server stream takes one
 * request, client and bidi streams the iterable of them; what it returns or yields is sent back.
 * Throws what ends the stream in error (the caller fails the pipe with it); the caller ends the
 * pipe otherwise, so that it knows the stream's end was its own.
 */
export async function pump(
  service: string,
  route: StreamRoute,
  codec: Codec,
  ctx: RequestContext,
  pipe: Pipe,
): Promise<void> {
  const input = (async function* () {
    for await (const body of pipe) yield route.decode(body);
  })();
  const first = async (): Promise<unknown> => {
    const r = await input.next();
    if (r.done)
      throw badRequest(
        service,
        `${route.entry.name} needs a request message before the stream ends`,
      );
    return r.value;
  };
  const fn = route.entry.fn as (a: unknown, c: RequestContext) => unknown;
  const kind = route.entry.kind;
  if (kind === 'unary') {
    pipe.send(codec.encode(await route.call(await first(), ctx)));
  } else if (kind === 'client') {
    pipe.send(codec.encode(await fn(input, ctx)));
  } else {
    const out = fn(kind === 'server' ? await first() : input, ctx) as
      AsyncIterable<unknown> | Iterable<unknown>;
    for await (const value of out) {
      if (ctx.signal.aborted) {
        const reason: unknown = ctx.signal.reason;
        throw reason instanceof MicroError ? reason : timeoutError(service, 'stream cancelled');
      }
      pipe.send(codec.encode(value));
    }
  }
}
