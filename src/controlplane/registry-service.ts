import {
  RegistryError,
  RegistryErrors,
  type Registry,
  type Service,
  type WatchEvent,
} from '../registry/registry.ts';
import { normalizeService } from '../registry/util.ts';
import { recordCheck, type RecordCheck } from '../registry/validate.ts';
import { badRequest, notFound, serviceUnavailable } from '../runtime/errors.ts';
import { endpoint, serverStream } from '../runtime/server/declare.ts';
import type { Handler } from '../runtime/server/handler.ts';

const ID = 'registry';

// Only the outline: the records themselves are checked by recordCheck (src/registry/validate.ts),
// which names the field at fault and bounds sizes, so that every registry gives the same answer.
const serviceSchema = {
  type: 'object',
  required: ['name', 'nodes'],
  properties: {
    name: { type: 'string' },
    version: { type: 'string' },
    metadata: { type: 'object' },
    endpoints: { type: 'array', items: { type: 'object' } },
    nodes: { type: 'array', items: { type: 'object' } },
  },
};

function mapError(err: unknown): never {
  if (err instanceof RegistryError) {
    if (err.code === RegistryErrors.notFound) throw notFound(ID, err.message);
    if (err.code === RegistryErrors.invalid) throw badRequest(ID, err.message);
    throw serviceUnavailable(ID, err.message);
  }
  if (err instanceof TypeError) throw badRequest(ID, err.message);
  throw err;
}

/** Checks a record as the registries do, and answers a 400 naming the field at fault. */
function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    return mapError(err);
  }
}

/**
 * The Registry handler: any Registry, served to other processes as the `registry` service. Records
 * are checked here too (with `check`'s limits), so a registry given by the caller that checks
 * nothing is still fed valid records only.
 */
export function registryHandler(registry: Registry, check: RecordCheck = recordCheck()): Handler {
  return {
    Register: endpoint(
      {
        request: {
          type: 'object',
          required: ['service'],
          properties: { service: serviceSchema, ttl: { type: 'number' } },
        },
      },
      async (req: { service: Service; ttl?: number }) => {
        const service = normalizeService(req.service);
        const ttl = checked(() => check.registration(service, { ttl: req.ttl }));
        await registry.register(service, { ttl }).catch(mapError);
        return {};
      },
    ),
    Deregister: endpoint(
      {
        request: { type: 'object', required: ['service'], properties: { service: serviceSchema } },
      },
      async (req: { service: Service }) => {
        const service = normalizeService(req.service);
        checked(() => check.deregistration(service));
        await registry.deregister(service).catch(mapError);
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
      { request: { type: 'object', properties: { service: { type: 'string' } } } },
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
    ),
  };
}
