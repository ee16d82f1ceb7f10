import {
  MicroError,
  badRequest,
  notFound,
  serviceUnavailable,
  timeout as timeoutError,
  retryAfterHeader,
  toMicroError,
} from '../errors.ts';
import type { CodecTable, Codec } from '../codec/index.ts';
import { RequestContext, type ContextOutlet } from '../context.ts';
import { parseTimeout } from '../deadline.ts';
import { mergeMetadata, metadataFromHeader, type Metadata } from '../metadata.ts';
import type { CallInfo, Message, Pipe, Reply, TransportHandler } from '../transport/transport.ts';
import type { ServerCounters } from './debug.ts';
import type { Guard } from './guard.ts';
import type { CallerLimiter } from './limits.ts';
import type { EndpointEntry, HandlerFunc, HandlerWrapper } from './handler.ts';
import { InFlight, type DrainTimeouts, type OpenStreamHandle } from './inflight.ts';
import type { Observation, Observer } from './observe.ts';
import type { Logger } from './server.ts';
import { pump } from './stream.ts';
import { requestCheck, type RequestCheck } from '../schema/check.ts';
import { toJsonSchema } from '../schema/json.ts';
import { createValidatorCompiler } from './validator.ts';

interface Route {
  entry: EndpointEntry;
  /** The unary function with wrappers applied. */
  call: HandlerFunc;
  /** Checks (and, for a Standard Schema, may transform) each decoded request. */
  check: RequestCheck | undefined;
}

/** Options of the router. */
export interface RouterOptions {
  name: string;
  codecs: CodecTable;
  counters: ServerCounters;
  wrappers: HandlerWrapper[];
  outlet: ContextOutlet | undefined;
  logger: Logger;
  /** Names or refuses the caller of every call and stream, once its route is found. */
  guard?: Guard | undefined;
  /** Shown every call and stream as it arrives (tracing, metrics); none: nothing is made. */
  observe?: Observer | undefined;
  /** Limits per caller (ServerOptions.limits); none: nothing is counted. */
  limits?: CallerLimiter | undefined;
}

function encodeError(err: MicroError): Reply {
  const retryAfter = retryAfterHeader(err);
  return {
    header: retryAfter
      ? { 'content-type': 'application/json', 'retry-after': retryAfter }
      : { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(err)),
    error: true,
  };
}

/**
 * What a guard's throw becomes: its MicroError (a 401 or 403) as it is; anything else a 500 that
 * tells the caller nothing, logged with its message only (never the request's metadata).
 */
export function guardError(name: string, logger: Logger, err: unknown, what: string): MicroError {
  if (err instanceof MicroError) return err;
  logger.error(`the guard failed on ${what}: ${err instanceof Error ? err.message : String(err)}`);
  return new MicroError(name, 500, `${name} could not check the caller of ${what}`);
}

/** Maps incoming calls and streams to endpoints: decoding, validation, context, wrappers and errors. */
export class Router implements TransportHandler {
  readonly #routes = new Map<string, Route>();
  readonly #o: RouterOptions;
  readonly #compile = createValidatorCompiler();
  /** While draining, new calls get a 503 so callers retry on another node. */
  draining = false;
  readonly #inflight = new InFlight();

  /**
   * Refuses new calls and streams with a 503, then resolves once the unary calls in flight are
   * done (or after `ms.calls`) and the open streams are done (or after `ms.streams`, when those
   * still open end with a 503).
   */
  async drain(ms: DrainTimeouts): Promise<void> {
    this.draining = true;
    await this.#inflight.drain(ms, this.#shuttingDown());
  }

  #shuttingDown(): MicroError {
    return serviceUnavailable(this.#o.name, `${this.#o.name} is shutting down; try another node`);
  }

  constructor(options: RouterOptions) {
    this.#o = options;
  }

  /** Adds an endpoint; a name already served is an error. */
  add(entry: EndpointEntry): void {
    if (this.#routes.has(entry.name))
      throw new TypeError(`endpoint ${entry.name} is already served`);
    const schema = entry.options.request;
    const check = schema
      ? requestCheck(this.#o.name, entry.name, schema, this.#compile)
      : undefined;
    const warn = (m: string): void => this.#o.logger.warn(`${entry.name}: ${m}`);
    entry.json = {
      request: schema && toJsonSchema(schema, 'input', warn),
      response: entry.options.response && toJsonSchema(entry.options.response, 'output', warn),
    };
    let call: HandlerFunc = async (req, ctx) =>
      (entry.fn as (r: unknown, c: unknown) => unknown)(req, ctx);
    if (!entry.internal) for (const w of [...this.#o.wrappers].reverse()) call = w(call);
    if (!entry.internal && this.#o.limits) call = this.#o.limits.wrap(call);
    this.#routes.set(entry.name, { entry, call, check });
  }

  /** The endpoints served, internal ones included. */
  entries(): EndpointEntry[] {
    return [...this.#routes.values()].map((r) => r.entry);
  }

  #route(endpoint: string | undefined): Route {
    const route = endpoint === undefined ? undefined : this.#routes.get(endpoint);
    if (route) return route;
    // With a guard on, an unknown endpoint does not list the others to a caller not yet checked.
    const known = this.entries()
      .filter((e) => !e.internal && !this.#o.guard)
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

  /** The decoded, checked request; a promise of it only when the schema validates asynchronously. */
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
    return route.check ? route.check(value) : value;
  }

  /** The request's context; a Micro-Timeout that is not a positive number is a 400. */
  #context(
    message: Message,
    endpoint: string,
    info: CallInfo,
    metadata: Metadata | undefined,
  ): RequestContext {
    const header = message.header;
    const ms = parseTimeout(header['micro-timeout'], this.#o.name);
    return new RequestContext(
      this.#o.name,
      endpoint,
      metadata ?? metadataFromHeader(header),
      ms === undefined ? Number.POSITIVE_INFINITY : Date.now() + ms,
      info.remote,
      this.#o.outlet,
    );
  }

  /** Sets ctx.caller from the guard; what it throws refuses the request. Awaits only a promise. */
  #guard(ctx: RequestContext, kind: 'call' | 'stream'): Promise<void> | undefined {
    const fail = (err: unknown): never => {
      throw guardError(this.#o.name, this.#o.logger, err, ctx.endpoint);
    };
    let caller: ReturnType<Guard>;
    try {
      caller = this.#o.guard!({
        service: this.#o.name,
        endpoint: ctx.endpoint,
        kind,
        metadata: ctx.metadata,
        remote: ctx.remote,
      });
    } catch (err) {
      return fail(err);
    }
    if (!(caller instanceof Promise)) {
      ctx.caller = caller;
      return undefined;
    }
    return caller.then((c) => {
      ctx.caller = c;
    }, fail);
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

  /** The observation of a request arriving, when there is an observer and it watches this one. */
  #observe(
    message: Message,
    info: CallInfo,
    kind: 'call' | 'stream',
    observe: Observer,
  ): [Observation | undefined, Metadata] {
    const metadata = metadataFromHeader(message.header);
    const obs = observe({
      service: this.#o.name,
      endpoint: message.header['micro-endpoint'] ?? '',
      kind,
      metadata,
      remote: info.remote,
    });
    return [obs, metadata];
  }

  call(message: Message, info: CallInfo): Promise<Reply> {
    const observe = this.#o.observe;
    if (!observe) return this.#call(message, info, undefined, undefined);
    const [obs, metadata] = this.#observe(message, info, 'call', observe);
    return this.#call(message, info, obs, metadata);
  }

  /** The guard, the decoding and the handler of one call: what the observation's run wraps. */
  async #invoke(
    route: Route,
    codec: Codec,
    ctx: RequestContext,
    body: Uint8Array,
    info: CallInfo,
    onCancel: () => void,
  ): Promise<unknown> {
    if (this.#o.guard) {
      const guarded = this.#guard(ctx, 'call');
      if (guarded) await guarded;
    }
    let request = this.#decode(codec, body, route);
    if (request instanceof Promise) request = await request;
    if (ctx.deadline <= Date.now()) {
      throw timeoutError(
        this.#o.name,
        `the deadline of ${route.entry.name} passed before it started`,
      );
    }
    info.onCancel = onCancel;
    return await route.call(request, ctx);
  }

  async #call(
    message: Message,
    info: CallInfo,
    obs: Observation | undefined,
    metadata: Metadata | undefined,
  ): Promise<Reply> {
    const counters = this.#o.counters;
    counters.requests++;
    counters.inflight++;
    this.#inflight.callStarted();
    let ctx: RequestContext | undefined;
    let cancelled = false;
    const endpoint = message.header['micro-endpoint'];
    try {
      if (this.draining) throw this.#shuttingDown();
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
      const c = (ctx = this.#context(message, route.entry.name, info, metadata));
      const onCancel = (): void => {
        // A caller whose deadline passed timed out: that stays an error (a 408), as before.
        cancelled = Date.now() < c.deadline;
        c.cancel(
          new MicroError(this.#o.name, 499, 'the caller cancelled', 'Client Closed Request'),
        );
      };
      const result = await (obs
        ? obs.run(() => this.#invoke(route, codec, c, message.body, info, onCancel))
        : this.#invoke(route, codec, c, message.body, info, onCancel));
      // The caller has given up: an answer now would arrive after its deadline.
      if (ctx.deadline <= Date.now())
        throw timeoutError(this.#o.name, `${route.entry.name} ran past its deadline`);
      const md = ctx.responseMetadataIfAny;
      const header: Record<string, string> = { 'content-type': codec.contentType };
      if (md) mergeMetadata(header, md);
      const body = codec.encode(result);
      if (cancelled) counters.cancelled++; // answered, but to no one
      obs?.end(undefined, cancelled);
      return { header, body };
    } catch (err) {
      // A call its caller left is counted as cancelled, whatever its handler then threw.
      if (cancelled) counters.cancelled++;
      else counters.errors++;
      // Logged inside the observation, so the line carries the request's trace.
      const e = obs ? obs.run(() => this.#fail(err, endpoint)) : this.#fail(err, endpoint);
      obs?.end(e, cancelled);
      return encodeError(e);
    } finally {
      counters.inflight--;
      ctx?.finish();
      this.#inflight.callEnded();
    }
  }

  stream(open: Message, pipe: Pipe, info: CallInfo): void {
    const observe = this.#o.observe;
    if (!observe) {
      void this.#serveStream(open, pipe, info, undefined, undefined);
      return;
    }
    const [obs, metadata] = this.#observe(open, info, 'stream', observe);
    void this.#serveStream(open, pipe, info, obs, metadata);
  }

  /** The guard and the handler of one open stream: what the observation's run wraps. */
  async #pumpStream(
    route: Route,
    codec: Codec,
    ctx: RequestContext,
    pipe: Pipe,
    opened: (ctx: RequestContext) => void,
  ): Promise<void> {
    if (this.#o.guard) {
      const guarded = this.#guard(ctx, 'stream');
      if (guarded) await guarded;
    }
    const admitted = this.#o.limits?.stream(route.entry, ctx, pipe);
    if (admitted) await admitted;
    opened(ctx);
    const decode = (body: Uint8Array): unknown => this.#decode(codec, body, route);
    await pump(this.#o.name, { ...route, decode }, codec, ctx, pipe);
  }

  async #serveStream(
    open: Message,
    pipe: Pipe,
    info: CallInfo,
    obs: Observation | undefined,
    metadata: Metadata | undefined,
  ): Promise<void> {
    const counters = this.#o.counters;
    counters.requests++;
    counters.inflight++;
    let ctx: RequestContext | undefined;
    let handle: OpenStreamHandle | undefined;
    // Set once this side ended or failed the stream: the pipe closing after that is no abandonment.
    let ended = false;
    let abandoned = false;
    const endpoint = open.header['micro-endpoint'];
    try {
      if (this.draining) throw this.#shuttingDown();
      this.#checkService(open.header['micro-service']);
      const route = this.#route(endpoint);
      const codec = this.#codec(open.header['content-type']);
      ctx = this.#context(open, route.entry.name, info, metadata);
      const opened = (c: RequestContext): void => {
        const h = (handle = this.#inflight.streamOpened(c, pipe));
        void pipe.done.then(() => {
          if (ended) return;
          abandoned = !h.drained && Date.now() < c.deadline;
          c.cancel(new MicroError(this.#o.name, 499, 'stream closed', 'Client Closed Request'));
        });
      };
      const c = ctx;
      await (obs
        ? obs.run(() => this.#pumpStream(route, codec, c, pipe, opened))
        : this.#pumpStream(route, codec, c, pipe, opened));
      if (abandoned) counters.cancelled++;
      ended = true;
      obs?.end(undefined, abandoned);
      pipe.end();
    } catch (err) {
      // Logged inside the observation, so the line carries the request's trace.
      const e = obs ? obs.run(() => this.#fail(err, endpoint)) : this.#fail(err, endpoint);
      // The caller went first: its handler ending on that (a 499, or a 5xx such as reading a
      // closed connection) is a cancellation. A 4xx is the stream's own refusal (e.g. a 413 for
      // sending faster than the handler reads) and stays an error.
      if (abandoned && (e.code === 499 || e.code >= 500)) counters.cancelled++;
      else counters.errors++;
      ended = true;
      obs?.end(e, abandoned);
      pipe.fail(e);
    } finally {
      counters.inflight--;
      ctx?.finish();
      handle?.close();
    }
  }
}
