import type { GatewayOptions, HandlerName } from '../../proxy/proxy.ts';
import type { TokenGetter } from '../../registry/micro.ts';
import { DEFAULTS } from '../../proxy/options.ts';
import { parseDuration } from './input.ts';

/**
 * The API gateway's flags, shared by `micro api` and `micro run`. Each is prefixed `api-` so it
 * cannot clash with another command's flag (`--address` means the service's own elsewhere).
 */
export const apiFlags = {
  'api-address': {
    type: 'string',
    default: '127.0.0.1:8080',
    describe: 'where the API gateway listens [MICRO_API_ADDRESS]',
  },
  'api-namespace': {
    type: 'string',
    default: '',
    describe:
      'service name prefix: /greeter/... then calls <namespace>.greeter [MICRO_API_NAMESPACE]',
  },
  'api-handler': {
    choices: ['rpc', 'api', 'http', 'web'] as const,
    default: 'rpc' as const,
    describe: 'handler of routes whose endpoint or service names none [MICRO_API_HANDLER]',
  },
  'api-cors': {
    type: 'string',
    default: '',
    describe: 'origins allowed by CORS, comma separated, or * [MICRO_API_CORS]',
  },
  'api-body-limit': {
    type: 'number',
    default: 1024 * 1024,
    describe: 'largest request body in bytes; larger ones get 413 [MICRO_API_BODY_LIMIT]',
  },
  'api-timeout': {
    type: 'string',
    default: '10s',
    describe:
      'deadline of a call unless its endpoint sets one (e.g. 500ms, 10s) [MICRO_API_TIMEOUT]',
  },
  'api-retries': {
    type: 'number',
    default: 2,
    describe:
      'further attempts, each on another node, when a node cannot be reached [MICRO_API_RETRIES]',
  },
  'api-headers': {
    type: 'string',
    default: 'authorization,accept-language,x-request-id,traceparent,tracestate',
    describe: 'HTTP headers copied into call metadata, besides X-Forwarded-* [MICRO_API_HEADERS]',
  },
  'api-rate-limit': {
    type: 'number',
    default: 0,
    describe: 'requests per second allowed per client IP; 0 for no limit [MICRO_API_RATE_LIMIT]',
  },
  'api-rate-burst': {
    type: 'number',
    default: 0,
    describe:
      'requests a client may burst above the rate (default: the rate) [MICRO_API_RATE_BURST]',
  },
  'api-allowed-hosts': {
    type: 'string',
    default: '',
    describe:
      'host names served besides localhost while bound to loopback, comma separated; requests naming other hosts get 421 (DNS rebinding) [MICRO_API_ALLOWED_HOSTS]',
  },
  'api-deny': {
    type: 'string',
    default: DEFAULTS.deny.join(','),
    describe: 'services never exposed, comma separated [MICRO_API_DENY]',
  },
  'api-log': {
    type: 'boolean',
    default: true,
    describe: 'log a line per request on stderr [MICRO_API_LOG]',
  },
} as const;

/** The parsed values of apiFlags. */
export interface ApiArgs {
  apiAddress: string;
  apiNamespace: string;
  apiHandler: HandlerName;
  apiCors: string;
  apiBodyLimit: number;
  apiTimeout: string;
  apiRetries: number;
  apiHeaders: string;
  apiRateLimit: number;
  apiRateBurst: number;
  apiDeny: string;
  apiAllowedHosts: string;
  apiLog: boolean;
}

/** The items of a comma-separated flag value, trimmed, empty ones dropped. */
export const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** Gateway options from the flags. */
export function gatewayOptions(args: ApiArgs): GatewayOptions {
  return {
    address: args.apiAddress,
    namespace: args.apiNamespace,
    handler: args.apiHandler,
    cors: list(args.apiCors),
    bodyLimit: args.apiBodyLimit,
    timeout: parseDuration(args.apiTimeout, 'api-timeout'),
    retries: args.apiRetries,
    headers: list(args.apiHeaders).map((h) => h.toLowerCase()),
    rateLimit: args.apiRateLimit,
    rateBurst: args.apiRateBurst,
    deny: list(args.apiDeny),
    allowedHosts: list(args.apiAllowedHosts ?? ''),
    log: args.apiLog ? undefined : false,
  };
}

/** The gateway as a part of `micro run`: where it listens, or why it could not start. */
export interface ApiPart {
  where: string;
  /** The gateway's URL (`http://127.0.0.1:8080`), when it started. */
  url?: string;
  close(): Promise<void>;
}

/**
 * Starts the gateway inside `micro run`, reaching the registry at its address as `micro api` does
 * (so its errors name it), with `registryToken`'s token when auth is on; a busy address is
 * reported in `where`, not fatal.
 */
export async function apiPart(
  options: GatewayOptions,
  registryAddress: string,
  registryToken?: TokenGetter,
): Promise<ApiPart> {
  const [{ createGateway }, { VERSION }, { createMicroRegistry }] = await Promise.all([
    import('../../proxy/index.ts'),
    import('./version.ts'),
    import('../../registry/micro.ts'),
  ]);
  const registry = createMicroRegistry({
    address: registryAddress,
    ...(registryToken && { token: registryToken }),
  });
  try {
    const gateway = await createGateway({ ...options, registry, version: VERSION });
    return {
      where: options.tls ? `https://${gateway.address}` : gateway.address,
      url: `${options.tls ? 'https' : 'http'}://${gateway.address}`,
      async close() {
        await gateway.close();
        await registry.close();
      },
    };
  } catch (err) {
    await registry.close();
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'EADDRINUSE' || (e as { code?: unknown }).code === 409
        ? `${options.address ?? ''} is in use (--api-address)`
        : e.message;
    return { where: `not started: ${why}`, close: async () => {} };
  }
}
