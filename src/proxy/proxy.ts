import type { IncomingHttpHeaders } from 'node:http';
import type { Endpoint, Registry } from '../registry/registry.ts';
import type { Metadata } from '../runtime/metadata.ts';
import type { ResiliencyPolicy } from '../runtime/resilience/policy.ts';
import type { ServerTlsOptions } from '../runtime/transport/transport.ts';
import type { RequestLimits } from './limits.ts';
import type { EdgeAuth } from './auth/edge.ts';
import type { Tracing } from '../platform/trace/enable.ts';

/** How a route reaches its service: an RPC call, the whole HTTP request, or a reverse proxy. */
export type HandlerName = 'rpc' | 'api' | 'http' | 'web';

/** What a request was resolved to. */
export type Target =
  | {
      /** `rpc`: the body is the request; `api`: the whole HTTP request is. */
      kind: 'rpc' | 'api';
      /** The service called, the namespace included. */
      service: string;
      /** The endpoint called, `Handler.Method`. */
      endpoint: string;
      /** The endpoint's registry record, when the registry lists it. */
      record?: Endpoint;
      /** A version spec (`v1`, `1.2`, `1.2.3`) the chosen node's version must match. */
      version?: string;
      /** Path parameters of an endpoint-declared route. */
      params?: Record<string, string>;
    }
  | {
      /** `http`: proxied as it came; `web`: a web app, its prefix stripped before forwarding. */
      kind: 'http' | 'web';
      /** The service proxied to, the namespace included. */
      service: string;
      /** A version spec (`v1`, `1.2`, `1.2.3`) the chosen node's version must match. */
      version?: string;
      /** The path that named the service (`/app`, `/v1/app`): `web` strips it before forwarding. */
      prefix: string;
    }
  | {
      /** `POST /event/<topic>`: the body is published. */
      kind: 'event';
      /** The topic published to. */
      topic: string;
    }
  | {
      /** The gateway's OpenAPI document: `/openapi.json`, or one service's at `/openapi/NAME.json`. */
      kind: 'openapi';
      /** The service the path names, for `/openapi/NAME.json`. */
      service?: string;
    }
  | {
      /** The gateway's own `/metrics` or `/`, or `/mcp` (MCP, src/proxy/mcp/gateway.ts). */
      kind: 'metrics' | 'root' | 'mcp';
    };

/** The parts of an HTTP request that middleware and handlers read. */
export interface GatewayRequest {
  /** The HTTP method, upper case. */
  method: string;
  /** The path without the query string, percent-decoding not applied. */
  path: string;
  /** The query string's fields; a repeated name gives an array. */
  query: Record<string, string | string[]>;
  /** The request headers, names in lower case. */
  headers: IncomingHttpHeaders;
  /** The client's IP address, as the socket sees it. */
  ip: string;
}

/** What middleware sees and may change for one request. */
export interface GatewayContext {
  /** What the request was resolved to. */
  readonly target: Target;
  /** Metadata sent with the call; middleware may add to it (e.g. the authenticated user). */
  metadata: Metadata;
}

/** Runs before each request is passed on; throw a MicroError (e.g. unauthorized) to refuse it. */
export type Middleware = (req: GatewayRequest, ctx: GatewayContext) => Promise<void> | void;

/** One request log line's fields. */
export interface RequestLogEntry {
  /** The client's IP address. */
  ip: string;
  /** The HTTP method. */
  method: string;
  /** The request's path and query, as sent. */
  url: string;
  /** The status code answered. */
  status: number;
  /** Milliseconds from arrival to the answer. */
  ms: number;
  /** What the request reached (`greeter Say.Hello`, `app (web)`, `event orders`); empty when nothing. */
  target: string;
}

/** Options of the API gateway; everything has a default. */
export interface GatewayOptions {
  /** `host:port` to listen on (default MICRO_API_ADDRESS, else 127.0.0.1:8080). */
  address?: string;
  /**
   * Print `micro api listening on http://<address>` on stderr once listening (default: when the
   * gateway opened its own registry, as a program's `createGateway()` does; the CLI says its own).
   */
  announce?: boolean;
  /** Where services are found (default: MICRO_REGISTRY). */
  registry?: Registry;
  /** Prefix of service names: `/greeter/...` reaches `<namespace>.greeter` (default none). */
  namespace?: string;
  /** Handler of routes whose endpoint or service names none (default rpc). */
  handler?: HandlerName;
  /** Origins allowed by CORS; `*` allows any (default none). */
  cors?: string[];
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /**
   * Limits on form and query fields (1000), JSON nesting (128), path length (8192) and segments
   * (128), and service and endpoint names (256); a request over one gets a 4xx naming it.
   */
  limits?: Partial<RequestLimits>;
  /**
   * Host names served besides loopback ones while bound to loopback (default none). Requests naming
   * any other Host get 421, so a web page whose DNS name was re-pointed at 127.0.0.1 (DNS
   * rebinding) cannot reach the gateway; bound elsewhere, any Host is served.
   */
  allowedHosts?: string[];
  /** Default deadline of a call in ms (default 10 s); endpoint metadata `timeout` overrides it. */
  timeout?: number;
  /** Further attempts, each on another node, when a node cannot be reached (default 2). */
  retries?: number;
  /** Request headers copied into call metadata, besides X-Forwarded-* (lower case). */
  headers?: string[];
  /** Requests per second allowed per client IP; 0 turns rate limiting off (default 0). */
  rateLimit?: number;
  /** Requests a client may burst above the rate (default: the rate, at least 1). */
  rateBurst?: number;
  /** Services the gateway never exposes (default: the control plane's registry and runtime). */
  deny?: string[];
  /** Run on every request before it is passed on; the first to throw refuses it. */
  middleware?: Middleware[];
  /** Request log sink; false turns logs off (default: a line per request through the `api` logger, src/platform/logs). */
  log?: false | ((entry: RequestLogEntry) => void);
  /** Reported at `GET /`. */
  version?: string;
  /**
   * Auth on (`micro api` with MICRO_AUTH=on, `micro run --auth`): every route but `GET /` needs a
   * token the rules allow, and the OAuth routes are served (src/proxy/auth). Default off.
   */
  auth?: EdgeAuth;
  /**
   * Serve HTTPS with this key and certificate (PEM; `mutual` also requires a client certificate
   * signed by `ca`); default plain HTTP.
   */
  tls?: ServerTlsOptions;
  /**
   * By default (unless MICRO_TRACE=off) each request is a SERVER span of the service `api`, a child
   * of its `traceparent` header's, and the calls it makes are its children; false: no spans; a
   * Tracing (src/platform/trace/enable.ts) of its own: spans made with it (shut down on close).
   */
  trace?: false | Tracing;
  /**
   * Resiliency per target service (default: the MICRO_RESILIENCY file's, read by
   * src/platform/routing/policy-file.ts): a target's timeout is the default deadline of its calls
   * and its retries are made by the client with its back-off (on any retryable failure, not only
   * on an unreachable node); its breaker, bulkhead, retry budget and hedge apply too.
   */
  policy?: ResiliencyPolicy;
  /** Serve MCP at `/mcp` (default: unless MICRO_MCP=off); tools per MICRO_MCP_* (src/proxy/mcp). */
  mcp?: boolean;
}

/** A running API gateway. */
export interface Gateway {
  /** The `host:port` bound. */
  readonly address: string;
  /** Stops listening, ends open streams and proxied sockets, and releases the registry watch. */
  close(): Promise<void>;
}

/** Header a caller sets to pick the service version: `v1`, `1.2` or an exact version. */
export const VERSION_HEADER = 'micro-version';

/** The error id of failures raised by the gateway itself. */
export const GATEWAY_ID = 'micro.api';
