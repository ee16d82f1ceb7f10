// Traffic rules at the edges (the gateway, the sidecar): routingFromEnv's rules applied by the edge's
// client, read through a plain client of the edge's registry (so the control plane it uses is
// the one asked), and the request headers a rule matches on passed on as call metadata.
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { routingFromEnv, type Routing } from '../platform/routing/index.ts';
import type { Registry } from '../registry/registry.ts';
import type { CallWrapper, Client, StreamWrapper } from '../runtime/client/client.ts';
import { createClient, type ClientOptions } from '../runtime/client/rpc-client.ts';
import type { Metadata } from '../runtime/metadata.ts';

/** The routing of an edge (undefined with MICRO_ROUTES=off), started at once, closed with its client. */
export function edgeRouting(
  env: NodeJS.ProcessEnv,
  registry: Registry,
  client?: () => Client,
): Routing | undefined {
  let own: Client | undefined;
  const routing = routingFromEnv(env, {
    client: client ?? (() => (own ??= createClient({ registry, wrappers: [unsampled] }))),
  });
  if (!routing) return undefined;
  // Once the caller's statement that made its client is done (`client` may name it).
  queueMicrotask(() => void routing.ready());
  return {
    ...routing,
    async close() {
      await routing.close();
      await own?.close();
    },
  };
}

/** Client options whose call and stream wrappers are `before` (when given) then the routing's. */
export function routedWrappers(
  routing: Routing | undefined,
  before?: { wrapCall: CallWrapper; wrapStream: StreamWrapper },
): Pick<ClientOptions, 'wrappers' | 'streamWrappers'> {
  if (!routing) return {};
  return {
    wrappers: before ? [before.wrapCall, routing.wrapCall] : [routing.wrapCall],
    streamWrappers: before ? [before.wrapStream, routing.wrapStream] : [routing.wrapStream],
  };
}

/** `metadata` plus the request headers a rule matches on or sticks by (lower-case names). */
export function routeMetadata(
  routing: Pick<Routing, 'headers'> | undefined,
  headers: IncomingHttpHeaders,
  metadata: Metadata | undefined,
): Metadata | undefined {
  if (!routing) return metadata;
  let extra: Metadata | undefined;
  for (const name of routing.headers(NONE)) {
    // micro's own keys (micro-from-service...) are never taken from an HTTP client.
    if (name.startsWith('micro-')) continue;
    const v = headers[name];
    if (v === undefined || metadata?.[name] !== undefined) continue;
    (extra ??= {})[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  return extra ? { ...metadata, ...extra } : metadata;
}

const NONE: readonly string[] = [];

/**
 * The edge's own reads of the rules carry a traceparent that says "not sampled": with none, the
 * config service would start (and keep) a trace of its own for every read and refresh.
 */
const unsampled: CallWrapper = (next) => (req) =>
  next({
    ...req,
    options: {
      ...req.options,
      metadata: { traceparent: `00-${randomHex(16)}-${randomHex(8)}-00`, ...req.options.metadata },
    },
  });

const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');
