import type { Client } from '../../runtime/client/client.ts';
import type { ResiliencyPolicy } from '../../runtime/resilience/policy.ts';
import type { Selector } from '../../runtime/selector/selector.ts';
import type { RequestLimits } from '../limits.ts';
import type { GatewayMetrics } from '../metrics.ts';

/** What the handlers share: how to reach services, and the gateway's settings. */
export interface HandlerDeps {
  client: Client;
  /** Picks nodes for the reverse proxies; the client uses the same one. */
  selector: Selector;
  metrics: GatewayMetrics;
  /** Default deadline of a call, in ms. */
  timeout: number;
  /** Further attempts on another node when one cannot be reached. */
  retries: number;
  /** What a request may hold. */
  limits: RequestLimits;
  /** Resiliency per target: its timeout and retries win over the two above. */
  policy?: ResiliencyPolicy;
}

/** A response body as JSON text: service bytes pass through, anything else is serialized. */
export function jsonBytes(value: unknown): Buffer | string {
  return Buffer.isBuffer(value) ? value : JSON.stringify(value ?? null);
}
