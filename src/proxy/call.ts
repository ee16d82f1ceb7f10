import type { Endpoint } from '../registry/registry.ts';
import type { CallResponse, Client } from '../runtime/client/client.ts';
import { parseTimeout, timerDelay } from '../runtime/deadline.ts';
import type { MicroError } from '../runtime/errors.ts';
import type { Metadata } from '../runtime/metadata.ts';
import type { Filter } from '../runtime/selector/selector.ts';
import { asError } from './errors.ts';
import { GATEWAY_ID, type GatewayRequest } from './proxy.ts';
import { versionFilter } from './version.ts';

/** One unary call as the gateway makes it. */
export interface GatewayCall {
  service: string;
  endpoint: string;
  request: unknown;
  metadata: Metadata;
  /** Milliseconds until the deadline. */
  timeout: number;
  version?: string;
  /** Retries the client makes itself, with the target policy's back-off (a resiliency file's). */
  retries?: number;
  /** Cancels the call (on the wire too) when aborted. */
  signal?: AbortSignal;
}

/** True when the node could not take the call, so another node may: it is unreachable, the connection broke, or it is draining (503). */
export function unreachable(err: MicroError): boolean {
  return err.code === 503 || (err.id === 'micro.client' && err.code === 502);
}

/** The selector filters for a version spec. */
export function filtersFor(version: string | undefined): Filter[] | undefined {
  return version ? [versionFilter(version)] : undefined;
}

/** The endpoint's `timeout` metadata in ms, clamped to what a timer honours; undefined when it sets none. */
export function routeTimeout(record: Endpoint | undefined): number | undefined {
  const route = Number(record?.metadata.timeout);
  return Number.isFinite(route) && route > 0 ? timerDelay(route) : undefined;
}

/**
 * The call's time budget: the endpoint's `timeout` metadata or the default, shortened by the
 * caller's Micro-Timeout (a 400 naming the header when that is not a positive number).
 */
export function callTimeout(
  req: GatewayRequest,
  record: Endpoint | undefined,
  fallback: number,
): number {
  const ms = routeTimeout(record) ?? timerDelay(fallback);
  const asked = parseTimeout(req.headers['micro-timeout'], GATEWAY_ID);
  return asked === undefined ? ms : Math.min(ms, asked);
}

/**
 * Calls with the deadline passed on, retrying on another node only when a node could not take the
 * call; errors a handler raised (4xx, 500, 408) are never retried, so a request runs at most once
 * wherever it was delivered, except that a call in flight on a connection that breaks is repeated.
 * A target policy's retries (call.retries) are the client's instead: any retryable failure.
 */
export async function callWithRetries(
  client: Client,
  call: GatewayCall,
  retries: number,
): Promise<CallResponse<Buffer>> {
  const deadline = Date.now() + call.timeout;
  const filters = filtersFor(call.version);
  // The target's policy asks for retries: the client makes them, on any retryable failure.
  if (call.retries !== undefined)
    return client.request<Buffer>(call.service, call.endpoint, call.request, {
      timeout: call.timeout,
      retries: call.retries,
      metadata: call.metadata,
      filters,
      signal: call.signal,
    });
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.request<Buffer>(call.service, call.endpoint, call.request, {
        timeout: Math.max(1, deadline - Date.now()),
        retries: 0,
        metadata: call.metadata,
        filters,
        signal: call.signal,
      });
    } catch (err) {
      const e = asError(err);
      if (attempt >= retries || !unreachable(e) || Date.now() >= deadline || call.signal?.aborted)
        throw e;
    }
  }
}
