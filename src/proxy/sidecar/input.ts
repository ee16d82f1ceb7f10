/** The sidecar's inputs checked for shape: a 400 naming the field, never a TypeError from deep in a handler. */
import type { Endpoint, Node, Service } from '../../registry/registry.ts';
import { badRequest } from '../../runtime/errors.ts';
import { parseBoundedJson } from '../nesting.ts';
import { SIDECAR_ID } from './guard.ts';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const invalid = (what: string) => badRequest(SIDECAR_ID, what);

function text(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw invalid(`${field} must be a non-empty string`);
  return v;
}

function version(v: unknown): string {
  if (v === undefined || v === null) return 'latest';
  if (typeof v !== 'string') throw invalid('version must be a string');
  return v;
}

function strings(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string'))
    throw invalid(`${field} must be an object of strings`);
  return v as Record<string, string>;
}

function list<T>(v: unknown, field: string, item: (x: unknown, at: string) => T): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`${field} must be an array`);
  return v.map((x, i) => item(x, `${field}[${i}]`));
}

function schema(v: unknown, field: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw invalid(`${field} must be a JSON schema object`);
  return v;
}

/** A service record from a request body: `{"name": ..., "nodes": [{"id": ..., "address": ...}]}`. */
export function serviceFrom(body: unknown): Service {
  if (!isObject(body))
    throw invalid(
      'the body must be a service: {"name": ..., "nodes": [{"id": ..., "address": ...}]}',
    );
  return {
    name: text(body.name, 'name'),
    version: version(body.version),
    metadata: strings(body.metadata, 'metadata'),
    endpoints: list(body.endpoints, 'endpoints', (e, at): Endpoint => {
      if (!isObject(e)) throw invalid(`${at} must be an object`);
      const request = schema(e.request, `${at}.request`);
      const response = schema(e.response, `${at}.response`);
      return {
        name: text(e.name, `${at}.name`),
        ...(request ? { request } : {}),
        ...(response ? { response } : {}),
        metadata: strings(e.metadata, `${at}.metadata`),
      };
    }),
    nodes: list(body.nodes, 'nodes', (n, at): Node => {
      if (!isObject(n)) throw invalid(`${at} must be an object`);
      return {
        id: text(n.id, `${at}.id`),
        address: text(n.address, `${at}.address`),
        metadata: strings(n.metadata, `${at}.metadata`),
      };
    }),
  };
}

/** What `POST /rpc` names: the service, the endpoint and the request. */
export interface RpcBody {
  service: string;
  endpoint: string;
  request: unknown;
}

/** The call a `POST /rpc` body names; `request` may be a JSON string (as a form sends it). */
export function rpcFrom(body: unknown, jsonDepth: number): RpcBody {
  const b = body ?? {};
  const usage =
    'the body needs service and endpoint: {"service":"greeter","endpoint":"Say.Hello","request":{...}}';
  if (!isObject(b)) throw invalid(usage);
  if (b.service === undefined || (b.endpoint ?? b.method) === undefined) throw invalid(usage);
  const service = text(b.service, 'service');
  const endpoint = text(b.endpoint ?? b.method, b.endpoint === undefined ? 'method' : 'endpoint');
  const request =
    typeof b.request === 'string'
      ? parseBoundedJson(b.request, jsonDepth, SIDECAR_ID, 'request')
      : b.request;
  return { service, endpoint, request };
}
