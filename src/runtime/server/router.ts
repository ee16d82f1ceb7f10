import type { ValidateFunction } from 'ajv';
import {
  MicroError,
  badRequest,
  notFound,
  serviceUnavailable,
  timeout as timeoutError,
  toMicroError,
} from '../errors.ts';
import type { CodecTable, Codec } from '../codec/index.ts';
import { RequestContext, type ContextOutlet } from '../context.ts';
import { parseTimeout, timerDelay } from '../deadline.ts';
import { mergeMetadata, metadataFromHeader } from '../metadata.ts';
import type { CallInfo, Message, Pipe, Reply, TransportHandler } from '../transport/transport.ts';
import type { ServerCounters } from './debug.ts';
import type { EndpointEntry, HandlerFunc, HandlerWrapper } from './handler.ts';
import type { Logger } from './server.ts';
import { createValidatorCompiler } from './validator.ts';

interface Route {
  entry: EndpointEntry;
  /** The unary function with wrappers applied. */
  call: HandlerFunc;
  validate: ValidateFunction | undefined;
}

/** Options of the router. */
export interface RouterOptions {
  name: string;
  codecs: CodecTable;
  counters: ServerCounters;
  wrappers: HandlerWrapper[];
  outlet: ContextOutlet | undefined;
  logger: Logger;
}

function encodeError(err: MicroError): Reply {
  return {
    header: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(err)),
    error: true,
  };
}

/** Maps incoming calls and streams to endpoints: decoding, validation, context, wrappers and errors. */
export class Router implements TransportHandler {
  readonly #routes = new Map<string, Route>();
  readonly #o: RouterOptions;
  readonly #compile = createValidatorCompiler();
  /** While draining, new calls get a 503 so callers retry on another node. */
  draining = false;
  #unary = 0;
  #idle: (() => void) | undefined;
  readonly #streams = new Set<{ ctx: RequestContext; pipe: Pipe }>();

  /** Refuses new calls, ends open streams with a 503, and resolves once unary calls in flight are done (or after ms). */
  async drain(ms: number): Promise<void> {
    this.draining = true;
    const bye = serviceUnavailable(
      this.#o.name,
      `${this.#o.name} is shutting down; try another node`,
    );
    for (const { ctx, pipe } of this.#streams) {
      ctx.cancel(bye);
      pipe.fail(bye);
    }
    if (this.#unary === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#idle = resolve;
      timer = setTimeout(resolve, timerDelay(ms));
    });
    clearTimeout(timer);
  }

  constructor(options: RouterOptions) {
    this.#o = options;
  }

  /** Adds an endpoint; a name already served is an error. */
  add(entry: EndpointEntry): void {
    if (this.#routes.has(entry.name))
      throw new TypeError(`endpoint ${entry.name} is already served`);
    const validate = entry.options.request ? this.#compile(entry.options.request) : undefined;
    let call: HandlerFunc = async (req, ctx) =>
      (entry.fn as (r: unknown, c: unknown) => unknown)(req, ctx);
    if (!entry.internal) for (const w of [...this.#o.wrappers].reverse()) call = w(call);
    this.#routes.set(entry.name, { entry, call, validate });
  }

  /** The endpoints served, internal ones included. */
  entries(): EndpointEntry[] {
    return [...this.#routes.values()].map((r) => r.entry);
  }

  #route(endpoint: string | undefined): Route {
    const route = endpoint === undefined ? undefined : this.#routes.get(endpoint);
    if (route) return route;
    const known = this.entries()
      .filter((e) => !e.internal)
      .map((e) => e.name)
      .join(', ');
    if (endpoint === undefined)
      throw badRequest(this.#o.name, 'the Micro-Endpoint header is missing');
    throw notFound(
      this.#o.name,
      `unknown endpoint ${endpoint} on ${this.#o.name}${known ? `; it serves ${known}` : ''}`,
    );
  }

  /** A call meant for another service reached this node, e.g. through a stale registry entry. */
  #checkService(service: string | undefined): void {
    if (service !== undefined && service !== '' && service !== this.#o.name) {
      throw serviceUnavailable(
        this.#o.name,
        `this node serves ${this.#o.name}, not ${service}; the caller's registry entry is stale`,
      );
    }
  }

  #codec(contentType: string | undefined): Codec {
    const codec = this.#o.codecs.get(contentType);
    if (!codec)
      throw new MicroError(
        this.#o.name,
        415,
        `unsupported content type ${contentType ?? ''}; use one of ${this.#o.codecs.types().join(', ')}`,
      );
    return codec;
  }

  #decode(codec: Codec, body: Uint8Array, route: Route): unknown {
    let value: unknown;
    try {
      value = codec.decode(body);
    } catch (err) {
      throw badRequest(
        this.#o.name,
        `request body is not valid ${codec.name}: ${(err as Error).message}`,
      );
    }
    if (route.validate && !route.validate(value)) {
      const why = (route.validate.errors ?? [])
        .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
        .join('; ');
      throw badRequest(
        this.#o.name,
        `request to ${route.entry.name} does not match its schema: ${why}`,
      );
    }
    return value;
  }

  /** The request's context; a Micro-Timeout that is not a positive number is a 400. */
  #context(message: Message, endpoint: string, info: CallInfo): RequestContext {
    const header = message.header;
    const ms = parseTimeout(header['micro-timeout'], this.#o.name);
    return new RequestContext(
      this.#o.name,
      endpoint,
      metadataFromHeader(header),
      ms === undefined ? Number.POSITIVE_INFINITY : Date.now() + ms,
      info.remote,
      this.#o.outlet,
    );
  }

  #fail(err: unknown, endpoint: string | undefined): MicroError {
    const e = toMicroError(err, this.#o.name);
    if (e.code >= 500 && !(err instanceof MicroError)) {
      this.#o.logger.error(
        `${endpoint ?? '?'} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    }
    return e;
  }

  async call(message: Message, info: CallInfo): Promise<Reply> {
    const counters = this.#o.counters;
    counters.requests++;
    counters.inflight++;
    this.#unary++;
    let ctx: RequestContext | undefined;
    const endpoint = message.header['micro-endpoint'];
    try {
      if (this.draining)
        throw serviceUnavailable(
          this.#o.name,
          `${this.#o.name} is shutting down; try another node`,
        );
      this.#checkService(message.header['micro-service']);
      const route = this.#route(endpoint);
      if (route.entry.kind !== 'unary') {
        throw badRequest(
          this.#o.name,
          `${route.entry.name} is a ${route.entry.kind} stream: open a stream to call it`,
        );
      }
      const contentType = message.header['content-type'];
      const codec = this.#codec(contentType);
      const request = this.#decode(codec, message.body, route);
      ctx = this.#context(message, route.entry.name, info);
      if (ctx.deadline <= Date.now()) {
        throw timeoutError(
          this.#o.name,
          `the deadline of ${route.entry.name} passed before it started`,
        );
      }
      const c = ctx;
      info.onCancel = () =>
        c.cancel(
          new MicroError(this.#o.name, 499, 'the caller cancelled', 'Client Closed Request'),
        );
      const result = await route.call(request, ctx);
      // The caller has given up: an answer now would arrive after its deadline.
      if (ctx.deadline <= Date.now())
        throw timeoutError(this.#o.name, `${route.entry.name} ran past its deadline`);
      const md = ctx.responseMetadataIfAny;
      const header: Record<string, string> = { 'content-type': codec.contentType };
      if (md) mergeMetadata(header, md);
      return { header, body: codec.encode(result) };
    } catch (err) {
      counters.errors++;
      return encodeError(this.#fail(err, endpoint));
    } finally {
      counters.inflight--;
      ctx?.finish();
      // The reply is written after this returns: let it go out before the listener closes.
      if (--this.#unary === 0 && this.#idle) setImmediate(this.#idle);
    }
  }

  stream(open: Message, pipe: Pipe, info: CallInfo): void {
    void this.#serveStream(open, pipe, info);
  }

  async #serveStream(open: Message, pipe: Pipe, info: CallInfo): Promise<void> {
    const counters = this.#o.counters;
    counters.requests++;
    counters.inflight++;
    let ctx: RequestContext | undefined;
    let tracked: { ctx: RequestContext; pipe: Pipe } | undefined;
    const endpoint = open.header['micro-endpoint'];
    try {
      if (this.draining)
        throw serviceUnavailable(
          this.#o.name,
          `${this.#o.name} is shutting down; try another node`,
        );
      this.#checkService(open.header['micro-service']);
      const route = this.#route(endpoint);
      const codec = this.#codec(open.header['content-type']);
      ctx = this.#context(open, route.entry.name, info);
      const c = ctx;
      tracked = { ctx, pipe };
      this.#streams.add(tracked);
      void pipe.done.then(() =>
        c.cancel(new MicroError(this.#o.name, 499, 'stream closed', 'Client Closed Request')),
      );
      const name = this.#o.name;
      const decode = (body: Uint8Array): unknown => this.#decode(codec, body, route);
      const input = (async function* () {
        for await (const body of pipe) yield decode(body);
      })();
      const first = async (): Promise<unknown> => {
        const r = await input.next();
        if (r.done)
          throw badRequest(
            name,
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
            throw reason instanceof MicroError
              ? reason
              : timeoutError(this.#o.name, 'stream cancelled');
          }
          pipe.send(codec.encode(value));
        }
      }
      pipe.end();
    } catch (err) {
      counters.errors++;
      pipe.fail(this.#fail(err, endpoint));
    } finally {
      counters.inflight--;
      ctx?.finish();
      if (tracked) this.#streams.delete(tracked);
    }
  }
}
