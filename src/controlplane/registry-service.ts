import {
  RegistryError,
  RegistryErrors,
  type Registry,
  type Service,
  type WatchEvent,
} from '../registry/registry.ts';
import { listOptions, MAX_PAGE, pageOf } from '../registry/listing.ts';
import type { Schema } from '../registry/registry.ts';
import { normalizeService } from '../registry/util.ts';
import { DEFAULT_LIMITS, isObject, recordCheck, type RecordCheck } from '../registry/validate.ts';
import { badRequest, notFound, serviceUnavailable } from '../runtime/errors.ts';
import { closed as closedRequest, type ClosedSchema } from '../runtime/server/closed.ts';
import { endpoint, serverStream } from '../runtime/server/declare.ts';
import type { Context } from '../runtime/context.ts';
import type { Handler } from '../runtime/server/handler.ts';
import { accessCheck, type Check } from '../platform/access.ts';
import { TOPIC_PREFIX } from '../registry/topics.ts';

const ID = 'registry';

// Only the outline, advertised to readers (OpenAPI, the dashboard, gen client): the records
// themselves are checked by recordCheck (src/registry/validate.ts), which names the field at fault
// and bounds sizes, so that every registry gives the same answer.
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
  additionalProperties: false,
};

const listSchema = {
  type: 'object',
  properties: {
    prefix: {
      type: 'string',
      maxLength: DEFAULT_LIMITS.nameLength,
      description: 'names starting with this',
    },
    contains: {
      type: 'string',
      maxLength: DEFAULT_LIMITS.nameLength,
      description: 'names containing this, ignoring case',
    },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_PAGE,
      description: 'entries per page; all when left out',
    },
    cursor: { type: 'string', description: "a previous page's next" },
    summary: { type: 'boolean', description: 'one summary per name instead of full records' },
  },
  additionalProperties: false,
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
 * A Registry request schema: closed (an unknown field is a 400 naming it, see
 * src/runtime/server/closed.ts), checked by the registry's own code, whose failures are 400s.
 */
function closed<T>(
  endpoint: string,
  schema: Schema,
  check: (req: Record<string, unknown>) => T,
): ClosedSchema<T> {
  return closedRequest(ID, `Registry.${endpoint}`, schema, (req) => checked(() => check(req)));
}

/** A service record as a request carries it: an object, whose members recordCheck names. */
function record(v: unknown): Service {
  if (!isObject(v))
    throw new RegistryError(RegistryErrors.invalid, 'the service must be an object');
  if (v.nodes === undefined)
    throw new RegistryError(RegistryErrors.invalid, 'the service needs nodes: [{id, address}]');
  return normalizeService(v as Partial<Service> & { name: string });
}

/**
 * Refuses a change of a record unless the caller may: `registry:<name>:register|deregister`, or
 * for the http broker's `topic:<topic>` records (a topic's subscribers) `topic:<topic>:subscribe`.
 */
function mayChange(check: Check, ctx: Context, name: string, action: string): void {
  if (name.startsWith(TOPIC_PREFIX))
    check(ctx, 'topic', name.slice(TOPIC_PREFIX.length), 'subscribe');
  else check(ctx, 'registry', name, action);
}

/**
 * The Registry handler: any Registry, served to other processes as the `registry` service. Records
 * are checked here too (with `check`'s limits), so a registry given by the caller that checks
 * nothing is still fed valid records only. A registration naming no lease gets
 * `check.limits.remoteDefaultTtl` (30 s; maxTtl when shorter): micro's clients always name one, and a client that
 * names none without renewing it is gone soon rather than a day later. With `access` (auth on),
 * changes need the rights mayChange names, and reads `registry:<name, or * for all>:read`.
 */
export function registryHandler(
  registry: Registry,
  check: RecordCheck = recordCheck(),
  access: Check = accessCheck(undefined),
): Handler {
  const lease = Math.min(check.limits.remoteDefaultTtl, check.limits.maxTtl);
  return {
    Register: endpoint(
      {
        request: closed(
          'Register',
          {
            type: 'object',
            required: ['service'],
            properties: {
              service: serviceSchema,
              ttl: {
                type: 'number',
                description: `lease in ms; ${lease} when left out`,
              },
            },
            additionalProperties: false,
          },
          (req) => {
            const service = record(req.service);
            const ttl = check.registration(service, { ttl: req.ttl as number | undefined }, lease);
            // Registering no node would answer 200 and store nothing to find.
            if (service.nodes.length === 0)
              throw badRequest(ID, 'the service needs at least one node: nodes: [{id, address}]');
            return { service, ttl };
          },
        ),
      },
      async ({ service, ttl }, ctx) => {
        mayChange(access, ctx, service.name, 'register');
        await registry.register(service, { ttl }).catch(mapError);
        return {};
      },
    ),
    Deregister: endpoint(
      {
        request: closed(
          'Deregister',
          {
            type: 'object',
            required: ['service'],
            properties: { service: serviceSchema },
            additionalProperties: false,
          },
          (req) => {
            const service = record(req.service);
            check.deregistration(service);
            return service;
          },
        ),
      },
      async (service, ctx) => {
        mayChange(access, ctx, service.name, 'deregister');
        await registry.deregister(service).catch(mapError);
        return {};
      },
    ),
    GetService: endpoint(
      {
        request: closed(
          'GetService',
          {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string', minLength: 1 } },
            additionalProperties: false,
          },
          (req) => {
            if (typeof req.name !== 'string' || req.name === '')
              throw new RegistryError(RegistryErrors.invalid, 'name must be a non-empty string');
            return req.name;
          },
        ),
      },
      async (name, ctx) => {
        access(ctx, 'registry', name, 'read');
        return { services: await registry.getService(name).catch(mapError) };
      },
    ),
    ListServices: endpoint(
      { request: closed('ListServices', listSchema, (req) => listOptions(req)) },
      async (options, ctx) => {
        access(ctx, 'registry', '*', 'read');
        return pageOf(await registry.listServices(), options);
      },
    ),
    Watch: serverStream(
      {
        request: closed(
          'Watch',
          {
            type: 'object',
            properties: { service: { type: 'string' } },
            additionalProperties: false,
          },
          (req) => {
            if (req.service !== undefined && typeof req.service !== 'string')
              throw new RegistryError(RegistryErrors.invalid, 'service must be a string: a name');
            return req.service;
          },
        ),
      },
      async function* (service, ctx): AsyncGenerator<WatchEvent | { ready: true }> {
        access(ctx, 'registry', service || '*', 'read');
        const watcher = registry.watch(service ? { service } : {});
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
