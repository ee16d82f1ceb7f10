import {
  RegistryError,
  RegistryErrors,
  type Registry,
  type Service,
  type WatchEvent,
} from '../registry/registry.ts';
import { badRequest, notFound, serviceUnavailable } from '../runtime/errors.ts';
import { endpoint, serverStream } from '../runtime/server/handler.ts';

const ID = 'registry';

const serviceSchema = {
  type: 'object',
  required: ['name', 'nodes'],
  properties: {
    name: { type: 'string', minLength: 1 },
    version: { type: 'string' },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    endpoints: { type: 'array' },
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'address'],
        properties: { id: { type: 'string', minLength: 1 }, address: { type: 'string' } },
      },
    },
  },
};

function complete(s: Service): Service {
  return {
    name: s.name,
    version: s.version ?? 'latest',
    metadata: s.metadata ?? {},
    endpoints: (s.endpoints ?? []).map((e) => ({ ...e, metadata: e.metadata ?? {} })),
    nodes: s.nodes.map((n) => ({ ...n, metadata: n.metadata ?? {} })),
  };
}

function mapError(err: unknown): never {
  if (err instanceof RegistryError) {
    if (err.code === RegistryErrors.notFound) throw notFound(ID, err.message);
    if (err.code === RegistryErrors.invalid) throw badRequest(ID, err.message);
    throw serviceUnavailable(ID, err.message);
  }
  if (err instanceof TypeError) throw badRequest(ID, err.message);
  throw err;
}

/** The Registry handler: any Registry, served to other processes as the `registry` service. */
export function registryHandler(registry: Registry): object {
  return {
    Register: endpoint(
      {
        request: {
          type: 'object',
          required: ['service'],
          properties: { service: serviceSchema, ttl: { type: 'number', minimum: 0 } },
        },
      },
      async (req: { service: Service; ttl?: number }) => {
        await registry.register(complete(req.service), { ttl: req.ttl }).catch(mapError);
        return {};
      },
    ),
    Deregister: endpoint(
      {
        request: { type: 'object', required: ['service'], properties: { service: serviceSchema } },
      },
      async (req: { service: Service }) => {
        await registry.deregister(complete(req.service)).catch(mapError);
        return {};
      },
    ),
    GetService: endpoint(
      {
        request: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1 } },
        },
      },
      async (req: { name: string }) => ({
        services: await registry.getService(req.name).catch(mapError),
      }),
    ),
    ListServices: endpoint({ request: { type: 'object' } }, async () => ({
      services: await registry.listServices(),
    })),
    Watch: serverStream(
      async function* (
        req: { service?: string },
        ctx,
      ): AsyncGenerator<WatchEvent | { ready: true }> {
        const watcher = registry.watch(req.service ? { service: req.service } : {});
        ctx.signal.addEventListener('abort', () => watcher.stop());
        try {
          // Tells the client its watch is in place, so nothing it does afterwards is missed.
          yield { ready: true };
          for await (const event of watcher) yield event;
        } finally {
          watcher.stop();
        }
      },
      { request: { type: 'object', properties: { service: { type: 'string' } } } },
    ),
  };
}
