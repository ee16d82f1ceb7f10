/** GET /openapi.json (`?service=NAME`, `?prefix=P`) and /openapi/NAME.json: cached documents with ETags. */
import type { ServerResponse } from 'node:http';
import { badRequest, notFound } from '../../runtime/errors.ts';
import { send } from '../http-io.ts';
import type { OpenApiCache, OpenApiScope } from '../openapi-cache.ts';
import { GATEWAY_ID, type GatewayRequest } from '../proxy.ts';

const PARAMETERS = ['service', 'prefix'];

/** The one value of a query parameter; a 400 when it is repeated or over the name limit. */
function single(req: GatewayRequest, name: string, maxLength: number): string | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest(GATEWAY_ID, `${name} is given more than once`);
  if (v.length > maxLength)
    throw badRequest(GATEWAY_ID, `${name} is longer than ${maxLength} characters`);
  return v;
}

/** What a request asks for: every service, one (by the path's name or `?service=`), or a prefix. */
export function openApiScope(
  req: GatewayRequest,
  pathService: string | undefined,
  maxLength: number,
): OpenApiScope {
  for (const k of Object.keys(req.query))
    if (!PARAMETERS.includes(k))
      throw badRequest(
        GATEWAY_ID,
        `unknown parameter ${JSON.stringify(k.slice(0, 100))}: /openapi.json takes service=NAME or prefix=P`,
      );
  const service = single(req, 'service', maxLength);
  const prefix = single(req, 'prefix', maxLength);
  if (pathService !== undefined && (service !== undefined || prefix !== undefined))
    throw badRequest(GATEWAY_ID, `${req.path} names its service: it takes no parameters`);
  if (service !== undefined && prefix !== undefined)
    throw badRequest(GATEWAY_ID, 'give service or prefix, not both');
  const name = pathService ?? service;
  if (name === '') throw badRequest(GATEWAY_ID, 'service is empty: name a service');
  if (name !== undefined) return { service: name };
  return prefix === undefined ? undefined : { prefix };
}

/** True when an If-None-Match header holds the tag (or `*`); weak tags match as well. */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/**
 * Answers a document request: 200 with the document and its ETag, 304 when If-None-Match holds
 * that tag, 404 for a service the document does not list.
 */
export async function serveOpenApi(
  cache: OpenApiCache,
  req: GatewayRequest,
  res: ServerResponse,
  scope: OpenApiScope,
): Promise<void> {
  const doc = await cache.document(scope);
  if (!doc)
    throw notFound(
      GATEWAY_ID,
      `no service ${JSON.stringify(scope && 'service' in scope ? scope.service : '')} in this gateway's OpenAPI document; GET /openapi.json lists every service it has`,
    );
  res.setHeader('etag', doc.etag);
  // Kept, but asked about again each time: the registry may have changed.
  res.setHeader('cache-control', 'no-cache');
  if (matches(req.headers['if-none-match'], doc.etag)) {
    res.writeHead(304);
    res.end();
    return;
  }
  send(res, 200, doc.body);
}
