// Typed clients: `client.service<typeof greeter>('greeter').Say.Hello({ name })` checks the
// request and types the response from the service's own declarations (or a contract module of
// handlers), with no code generation. At run time each method calls, or opens a stream, by the
// endpoint's kind as the registry advertises it.
import type { Registry } from '../../registry/registry.ts';
import type { EndpointDefinition, StreamKind } from '../server/handler.ts';
import { streamKindOf } from '../server/handler.ts';
import type { CallOptions, Client, ClientStream } from './client.ts';

/** Anything that carries handler types: a Service built with handle() (its type), or a plain `{ Handler: { Method } }` contract. */
export interface Handlers<H extends object = object> {
  /** Never set: the handlers a service serves, as handle() added them. */
  readonly '~handlers'?: H;
}

/** The handlers T carries: a Service's (from handle()), or T itself for a contract object. */
export type HandlersOf<T> = T extends Handlers<infer H> ? (object extends H ? T : H) : T;

/** The client of one method, by its kind: unary and server streams take the request, client and bidi streams open empty. */
export type MethodClient<E> = E extends (request: infer Rq, ...rest: never[]) => infer Rs
  ? (request: Rq, options?: CallOptions) => Promise<Awaited<Rs>>
  : E extends EndpointDefinition<infer Rq, infer Rs, infer K>
    ? K extends 'server'
      ? (request: Rq, options?: CallOptions) => Promise<ClientStream<never, Rs>>
      : K extends 'client' | 'bidi'
        ? (options?: CallOptions) => Promise<ClientStream<Rq, Rs>>
        : (request: Rq, options?: CallOptions) => Promise<Rs>
    : never;

/** The client of one handler: a method for each endpoint it serves (names starting with `_` are not served). */
export type HandlerClient<T> = {
  readonly [M in keyof T as M extends `_${string}` ? never : M]: MethodClient<T[M]>;
};

/** A typed client of a service: `svc.Handler.Method(request)`, from the service's type or a contract. */
export type ServiceClient<T> = {
  readonly [H in keyof HandlersOf<T>]: HandlerClient<HandlersOf<T>[H]>;
};

/**
 * Builds the typed client of a service on an untyped client. The kind of each endpoint (unary or a
 * stream) is read once from the registry; an endpoint the registry does not list is called as unary.
 */
export function serviceClient<T>(
  client: Client,
  registry: Registry,
  service: string,
): ServiceClient<T> {
  const kinds = new Map<string, StreamKind>();
  const kindOf = async (endpoint: string): Promise<StreamKind> => {
    let kind = kinds.get(endpoint);
    if (kind) return kind;
    const found = (await registry.getService(service))
      .flatMap((s) => s.endpoints)
      .find((e) => e.name === endpoint);
    kind = streamKindOf(found);
    if (found) kinds.set(endpoint, kind);
    return kind;
  };
  const method =
    (endpoint: string) =>
    async (...args: unknown[]): Promise<unknown> => {
      const kind = await kindOf(endpoint);
      if (kind === 'unary') return client.call(service, endpoint, args[0], args[1] as CallOptions);
      if (kind !== 'server') return client.stream(service, endpoint, args[0] as CallOptions);
      const stream = await client.stream(service, endpoint, args[1] as CallOptions);
      stream.send(args[0]);
      stream.end();
      return stream;
    };
  const handlers = new Map<string, object>();
  const handlerClient = (name: string): object => {
    const methods = new Map<string, unknown>();
    return new Proxy(
      {},
      {
        get(_, m) {
          if (typeof m !== 'string') return undefined;
          let fn = methods.get(m);
          if (!fn) methods.set(m, (fn = method(`${name}.${m}`)));
          return fn;
        },
      },
    );
  };
  return new Proxy(
    {},
    {
      get(_, h) {
        // Not a thenable: `await client.service(...)` must not look for a `then` handler.
        if (typeof h !== 'string' || h === 'then') return undefined;
        let handler = handlers.get(h);
        if (!handler) handlers.set(h, (handler = handlerClient(h)));
        return handler;
      },
    },
  ) as ServiceClient<T>;
}
