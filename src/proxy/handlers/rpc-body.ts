import { MicroError, badRequest } from '../../runtime/errors.ts';
import { LIMITS, overLimit, type RequestLimits } from '../limits.ts';
import { GATEWAY_ID, type GatewayRequest, type Target } from '../proxy.ts';
import { decodeBody, isPlainObject, parseJson } from '../request.ts';
import type { TargetResolver } from '../target.ts';

const USAGE = '/rpc needs "service" and "endpoint" (strings) and an optional "request"';

/** `POST /rpc`: the service, endpoint and request named in a JSON or form body; the request as given. */
export async function rpcBody(
  targets: TargetResolver,
  req: GatewayRequest,
  body: Buffer | undefined,
  limits: RequestLimits = LIMITS,
): Promise<{ target: Target; request: unknown }> {
  if (req.method !== 'POST')
    throw new MicroError(GATEWAY_ID, 405, 'POST {service, endpoint, request} to /rpc');
  const value =
    body && body.length > 0 ? decodeBody(body, req.headers['content-type'], limits) : {};
  if (!isPlainObject(value)) throw badRequest(GATEWAY_ID, `${USAGE}, as a JSON object or a form`);
  const service = value.service;
  const endpoint = value.endpoint ?? value.method;
  if (typeof service !== 'string' || typeof endpoint !== 'string' || !service || !endpoint)
    throw badRequest(GATEWAY_ID, USAGE);
  const version = typeof value.version === 'string' ? value.version : undefined;
  const long = Object.entries({ service, endpoint, version }).find(
    ([, v]) => v !== undefined && v.length > limits.nameLength,
  );
  if (long) throw overLimit(400, `the ${long[0]} is longer than ${limits.nameLength} characters`);
  const target = await targets.endpoint(service, endpoint, version);
  if (target.kind !== 'rpc' && target.kind !== 'api')
    throw badRequest(GATEWAY_ID, `${service} is not an RPC service`);
  const raw = value.request;
  const request = typeof raw === 'string' ? parseJson(raw, limits.depth) : (raw ?? {});
  return { target: { ...target, kind: 'rpc' }, request };
}
