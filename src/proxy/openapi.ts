import type { Endpoint, Schema, Service } from '../registry/registry.ts';
import { streamKindOf } from '../runtime/server/handler.ts';
import { endpointPath } from './resolver.ts';
import { cleanServices } from './record.ts';
import { compilePattern } from './routes.ts';
import { proxyHandler } from './target.ts';
import { compareNatural } from '../registry/listing.ts';

/** Options of the OpenAPI document. */
export interface OpenApiOptions {
  /** The gateway's namespace: only its services are listed, their paths without the prefix. */
  namespace: string;
  /** Services left out of the document, as the gateway denies them. */
  deny: string[];
  /** The gateway's version, as the document's info.version. */
  version: string;
}

const ERROR_REF = { $ref: '#/components/responses/Error' };
const BODYLESS = new Set(['get', 'head', 'delete']);

/** The properties of an object schema, for parameters: its own keys whose values are schemas. */
function properties(schema: Schema | undefined): Record<string, Schema> {
  const props = schema?.properties;
  if (typeof props !== 'object' || props === null || Array.isArray(props)) return {};
  const out: [string, Schema][] = [];
  for (const [k, v] of Object.entries(props))
    if (typeof v === 'object' && v !== null) out.push([k, v as Schema]);
  return Object.fromEntries(out);
}

/** The operation of an endpoint at its RPC path (`route` undefined) or at the route it declares, with that route's parameters. */
function operation(
  service: string,
  e: Endpoint,
  versions: string[],
  method: string,
  route?: string[],
): Operation {
  const stream = streamKindOf(e);
  const props = properties(e.request);
  const params = route ?? [];
  const parameters = params.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: Object.hasOwn(props, name) ? props[name] : { type: 'string' },
  }));
  const op: Operation = {
    // A declared route's operations carry their method: its POST must not share the RPC path's id.
    operationId: `${service}.${e.name}${route ? `.${method}` : ''}`,
    tags: [service],
    summary: `${service} ${e.name}`,
    ...(e.metadata.description ? { description: e.metadata.description } : {}),
    'x-micro-service': service,
    'x-micro-endpoint': e.name,
    'x-micro-versions': versions,
  };
  if (stream !== 'unary') {
    op['x-micro-stream'] = stream;
    op.description =
      stream === 'server'
        ? 'A server stream: open a WebSocket on this path, or ask for text/event-stream.'
        : `A ${stream} stream: open a WebSocket on this path and send one JSON text message per request; an empty message ends them.`;
  }
  if (BODYLESS.has(method)) {
    for (const [name, schema] of Object.entries(props))
      if (!params.includes(name)) parameters.push({ name, in: 'query', required: false, schema });
  } else {
    op.requestBody = {
      required: false,
      content: { 'application/json': { schema: e.request ?? { type: 'object' } } },
    };
  }
  if (parameters.length > 0) op.parameters = parameters;
  const ok: Record<string, unknown> = { 'application/json': { schema: e.response ?? {} } };
  if (stream === 'server') ok['text/event-stream'] = { schema: { type: 'string' } };
  op.responses = { '200': { description: 'The response', content: ok }, default: ERROR_REF };
  return op;
}

/** Paths of a document, each with its operations by method; without prototypes, so `__proto__` is a key like any other. */
export type Paths = Record<string, Record<string, Operation>>;

/** One operation of the document (an OpenAPI Operation Object). */
export type Operation = Record<string, unknown>;

/**
 * The services a document lists, by name, each with its versions: those the gateway calls over RPC.
 * Denied services, names with `:` and the HTTP and web apps it proxies are left out. Records are
 * taken as they are: clean them first (the catalog's are).
 */
export function documentedServices(
  services: Service[],
  deny: ReadonlySet<string>,
): Map<string, Service[]> {
  const byName = new Map<string, Service[]>();
  for (const s of services) {
    if (deny.has(s.name) || s.name.includes(':') || proxyHandler([s])) continue;
    const versions = byName.get(s.name);
    if (versions) versions.push(s);
    else byName.set(s.name, [s]);
  }
  return byName;
}

/** The paths of one service: its endpoints' RPC paths (within the namespace) and the routes they declare. */
export function servicePaths(name: string, versions: Service[], namespace: string): Paths {
  const paths = Object.create(null) as Paths;
  const add = (path: string, method: string, op: Operation): void => {
    (paths[path] ??= Object.create(null) as Record<string, Operation>)[method] = op;
  };
  const endpoints = new Map<string, { e: Endpoint; versions: string[] }>();
  for (const s of versions) {
    for (const e of s.endpoints) {
      if (e.metadata.subscriber === 'true') continue;
      const seen = endpoints.get(e.name);
      if (seen) seen.versions.push(s.version);
      else endpoints.set(e.name, { e, versions: [s.version] });
    }
  }
  for (const { e, versions: vs } of endpoints.values()) {
    const path = endpointPath(name, e.name, namespace);
    if (path) add(path, 'post', operation(name, e, vs, 'post'));
    const declared = e.metadata.path;
    const compiled = declared ? compilePattern(declared) : undefined;
    if (!declared || !compiled) continue;
    const openPath = declared.replace(/\{(\w+)\.\.\.\}/g, '{$1}');
    const methods = (e.metadata.method ?? 'POST').split(',').map((m) => m.trim().toLowerCase());
    for (const m of methods.filter(Boolean))
      add(openPath, m, operation(name, e, vs, m, compiled.params));
  }
  return paths;
}

/** Where the gateway serves one service's document: the index lists it on each service's tag. */
export const serviceDocumentPath = (name: string): string =>
  `/openapi.json?service=${encodeURIComponent(name)}`;

/** The tags of a document: one per service, naming the URL of that service's own document. */
export function serviceTags(names: string[]): Record<string, string>[] {
  return names.map((name) => ({ name, 'x-micro-openapi': serviceDocumentPath(name) }));
}

/** The document around its paths; `title` says what it covers. */
export function documentOf(
  paths: Paths | string,
  tags: Record<string, string>[],
  o: Pick<OpenApiOptions, 'version'>,
  title = 'micro API gateway',
): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title,
      version: o.version,
      description:
        'Generated from the registry: every service endpoint reachable through this gateway.',
    },
    paths,
    components: COMPONENTS,
    tags,
  };
}

const COMPONENTS = {
  schemas: {
    Error: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        code: { type: 'integer' },
        detail: { type: 'string' },
        status: { type: 'string' },
      },
      required: ['id', 'code', 'detail', 'status'],
    },
  },
  responses: {
    Error: {
      description: 'An error: the HTTP status is its code',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    },
  },
};

/**
 * An OpenAPI 3.1 document of every endpoint the gateway can reach, from the registry's schemas.
 * Odd records (metadata that is not strings, paths that are not patterns) are left out. Where two
 * services declare the same path and method, the one whose name sorts last is listed.
 */
export function openApiDocument(services: unknown, o: OpenApiOptions): Record<string, unknown> {
  const byName = documentedServices(cleanServices(services), new Set(o.deny));
  const names = [...byName.keys()].sort(compareNatural);
  const paths = Object.create(null) as Paths;
  for (const name of names) {
    const own = servicePaths(name, byName.get(name) ?? [], o.namespace);
    for (const path in own)
      Object.assign((paths[path] ??= Object.create(null) as Record<string, Operation>), own[path]);
  }
  return documentOf(paths, serviceTags(names), o);
}
