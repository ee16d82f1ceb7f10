// The control plane's own services traced like any platform service (MICRO_TRACE and the sampling
// variables of its environment), their spans exported to its own trace service through one client
// of its own (with its token when auth is on). Not traced: the registry service (every node's
// heartbeats and lookups would each be a trace of their own) and the trace service (its intake of
// spans, and the dashboard's reading of them, would trace themselves).
import { randomUUID } from 'node:crypto';
import type { Registry } from '../registry/registry.ts';
import type { Client } from '../runtime/client/client.ts';
import { createClient } from '../runtime/client/rpc-client.ts';
import type { Service, ServiceOptions } from '../runtime/service.ts';
import type { ClientTlsOptions } from '../runtime/transport/transport.ts';
import { authCallWrapper } from '../platform/auth/wrappers.ts';
import type { TokenSource } from '../platform/auth/token-source.ts';
import type { HostContext } from '../platform/hosting.ts';
import { tracingFromEnv, type Tracing } from '../platform/trace/enable.ts';

/** The services not traced (see the module comment). */
const UNTRACED = new Set(['registry', 'trace']);

/** How the control plane's spans reach its trace service. */
export interface PlaneExport {
  registry: Registry;
  tls?: ClientTlsOptions | undefined;
  /** The control plane's own token, when auth is on. */
  tokens?: TokenSource | undefined;
}

/** Tracing of the control plane's services. */
export interface PlaneTracing {
  /** The options with a node id and, unless off for this service, the tracing hooks. */
  traced<O extends ServiceOptions>(options: O): O;
  /** Stops a service, sending its last spans before its client closes. */
  stop(service: Service): Promise<void>;
  /** Closes the client the spans were sent with. */
  close(): Promise<void>;
}

/** The control plane's tracing; `via` is read at the first export. */
export function planeTracing(context: HostContext, via: () => PlaneExport): PlaneTracing {
  const tracings = new Map<string, Tracing>();
  let client: Client | undefined;
  const clientOf = (): Client => {
    if (client) return client;
    const { registry, tls, tokens } = via();
    return (client = createClient({
      registry,
      tls,
      ...(tokens && { wrappers: [authCallWrapper(tokens)] }),
    }));
  };
  return {
    traced(options) {
      const id = options.id ?? `${options.name}-${randomUUID()}`;
      if (UNTRACED.has(options.name)) return { ...options, id };
      const tracing = tracingFromEnv(context.env, {
        service: options.name,
        node: id,
        client: clientOf,
        logger: options.logger ?? context.logger,
      });
      if (!tracing) return { ...options, id };
      tracings.set(id, tracing);
      return {
        ...options,
        id,
        observe: tracing.observe,
        wrapCall: [tracing.wrapCall, ...(options.wrapCall ?? [])],
        wrapStream: [tracing.wrapStream, ...(options.wrapStream ?? [])],
        wrapPublish: [tracing.wrapPublish, ...(options.wrapPublish ?? [])],
      };
    },
    async stop(service) {
      const tracing = tracings.get(service.server.id);
      if (tracing) {
        await service.server.stop();
        await tracing.shutdown();
      }
      await service.stop();
    },
    async close() {
      await client?.close();
    },
  };
}
