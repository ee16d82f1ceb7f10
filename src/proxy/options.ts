import { platformHosts } from '../platform/hosts.ts';
import { LIMITS, type RequestLimits } from './limits.ts';
import type { GatewayOptions } from './proxy.ts';

/** Gateway settings with every default filled in. */
export type Settings = Required<
  Omit<
    GatewayOptions,
    'registry' | 'log' | 'limits' | 'announce' | 'auth' | 'tls' | 'trace' | 'policy' | 'mcp'
  >
> &
  Pick<GatewayOptions, 'log' | 'tls'> & {
    /** Every request limit, the defaults filled in. */
    limits: RequestLimits;
  };

/** The defaults of every gateway option. */
export const DEFAULTS: Settings = {
  address: '127.0.0.1:8080',
  namespace: '',
  handler: 'rpc',
  cors: [],
  bodyLimit: 1024 * 1024,
  limits: LIMITS,
  allowedHosts: [],
  timeout: 10_000,
  retries: 2,
  headers: ['authorization', 'accept-language', 'x-request-id', 'traceparent', 'tracestate'],
  rateLimit: 0,
  rateBurst: 0,
  // The control plane's own services: the registry, the runtime and the platform's (store, config...).
  deny: ['registry', 'runtime', ...Object.keys(platformHosts)],
  middleware: [],
  log: undefined,
  version: '',
};

/** The options given over the defaults; keys set to undefined keep their default. */
export function withDefaults(options: GatewayOptions): Settings {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const limits = Object.fromEntries(
    Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined),
  );
  return { ...DEFAULTS, ...given, limits: { ...LIMITS, ...limits } };
}
