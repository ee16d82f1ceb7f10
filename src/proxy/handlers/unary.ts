import type { ServerResponse } from 'node:http';
import { badGateway } from '../../runtime/errors.ts';
import type { Metadata } from '../../runtime/metadata.ts';
import { targetPolicy } from '../../runtime/resilience/policy.ts';
import { callTimeout, callWithRetries } from '../call.ts';
import { HOP_BY_HOP } from '../headers.ts';
import { send } from '../http-io.ts';
import type { GatewayRequest, Target } from '../proxy.ts';
import { GATEWAY_ID } from '../proxy.ts';
import { rpcRequest } from '../request.ts';
import { jsonBytes, type HandlerDeps } from './deps.ts';

type EndpointTarget = Extract<Target, { kind: 'rpc' | 'api' }>;

/** Sets the headers a service sent back, dropping those HTTP cannot carry. */
function setHeaders(res: ServerResponse, header: Record<string, unknown>): void {
  for (const k in header) {
    const v = header[k];
    const name = k.toLowerCase();
    // HTTP owns the hop-by-hop headers and the length; they are never copied from an answer.
    if (typeof v !== 'string' || HOP_BY_HOP.has(name) || name === 'content-length') continue;
    try {
      res.setHeader(k, v);
    } catch {
      // not a valid header value: dropped rather than failing the request
    }
  }
}

/**
 * A unary call. `rpc`: the request body (or query) and path parameters go to the endpoint; its JSON
 * comes back. `api`: the whole HTTP request goes to the endpoint, which answers status, headers and body.
 */
export async function serveUnary(
  deps: HandlerDeps,
  req: GatewayRequest,
  body: Buffer | undefined,
  target: EndpointTarget,
  metadata: Metadata,
  res: ServerResponse,
  request?: unknown,
): Promise<void> {
  const api = target.kind === 'api';
  const policy = targetPolicy(deps.policy, target.service);
  const rsp = await callWithRetries(
    deps.client,
    {
      service: target.service,
      endpoint: target.endpoint,
      request: api
        ? apiRequest(req, body, target)
        : (request ?? rpcRequest(req, body, target.record?.request, target.params, deps.limits)),
      metadata,
      timeout: callTimeout(req, target.record, policy?.timeout ?? deps.timeout),
      version: target.version,
      retries: policy?.retries,
    },
    deps.retries,
  );
  if (api) return sendApiResponse(res, target, rsp.body);
  setHeaders(res, rsp.metadata);
  send(res, 200, jsonBytes(rsp.body));
}

/** What an `api` endpoint is given: the HTTP request. */
function apiRequest(req: GatewayRequest, body: Buffer | undefined, target: EndpointTarget) {
  const header: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) header[k] = Array.isArray(v) ? v.join(', ') : v;
  return {
    method: req.method,
    path: req.path,
    header,
    query: req.query,
    params: target.params ?? {},
    body: body ? body.toString('utf8') : '',
  };
}

/** What an `api` endpoint answers. */
interface ApiResponse {
  statusCode?: number;
  header?: Record<string, string>;
  body?: unknown;
}

/** Sends the status, headers and body an `api` endpoint answered; a 502 when they make no HTTP response. */
function sendApiResponse(res: ServerResponse, target: EndpointTarget, raw: unknown): void {
  let out: ApiResponse;
  try {
    out = (Buffer.isBuffer(raw) ? JSON.parse(raw.toString('utf8')) : raw) as ApiResponse;
  } catch {
    throw badGateway(
      GATEWAY_ID,
      `${target.service} ${target.endpoint} answered an api request with something that is not JSON`,
    );
  }
  const status = out?.statusCode ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 599)
    throw badGateway(
      GATEWAY_ID,
      `${target.service} ${target.endpoint} answered statusCode ${String(status)}`,
    );
  if (out.header && typeof out.header === 'object') setHeaders(res, out.header);
  const text =
    typeof out.body === 'string'
      ? out.body
      : out.body === undefined
        ? ''
        : JSON.stringify(out.body);
  const type = res.getHeader('content-type');
  res.removeHeader('content-type');
  send(
    res,
    status,
    text,
    typeof type === 'string'
      ? type
      : typeof out.body === 'string'
        ? 'text/plain; charset=utf-8'
        : 'application/json',
  );
}
