import { registries, type RegistryFactoryOptions } from '../registry/index.ts';
import type { Registry, RegistryFactory } from '../registry/registry.ts';
import { brokers } from './broker/index.ts';
import type { Broker, BrokerFactory } from './broker/broker.ts';
import { pickPlugin } from './plugins.ts';
import { transports } from './transport/index.ts';
import type {
  ClientTlsOptions,
  ListenOptions,
  ServerTlsOptions,
  Transport,
  TransportFactory,
} from './transport/transport.ts';

/**
 * The registry named by MICRO_REGISTRY (default `micro`, the control plane at MICRO_REGISTRY_ADDRESS
 * or 127.0.0.1:8000), given `options` too (the token the control plane's registry sends).
 */
export function registryFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: Omit<RegistryFactoryOptions, 'address'> = {},
): Registry {
  const name = env.MICRO_REGISTRY || 'micro';
  const make = pickPlugin<RegistryFactory<RegistryFactoryOptions>>(
    registries,
    'registry',
    name,
    'MICRO_REGISTRY',
  );
  return make({ ...options, address: env.MICRO_REGISTRY_ADDRESS || undefined });
}

/** The broker named by MICRO_BROKER (default `http`, peer to peer through the registry), at MICRO_BROKER_ADDRESS. */
export function brokerFromEnv(registry: Registry, env: NodeJS.ProcessEnv = process.env): Broker {
  const name = env.MICRO_BROKER || 'http';
  const make = pickPlugin<BrokerFactory>(brokers, 'broker', name, 'MICRO_BROKER');
  return make({ registry, address: env.MICRO_BROKER_ADDRESS || undefined });
}

/** The transport named by MICRO_TRANSPORT (default `tcp`), given MICRO_TRANSPORT_ADDRESS (the engine's, for nats). */
export function transportFromEnv(env: NodeJS.ProcessEnv = process.env): Transport {
  const name = env.MICRO_TRANSPORT || 'tcp';
  const make = pickPlugin<TransportFactory>(transports, 'transport', name, 'MICRO_TRANSPORT');
  return make({ address: env.MICRO_TRANSPORT_ADDRESS || undefined });
}

/** Milliseconds from an environment variable, or the fallback when unset or not a number. */
export function msFromEnv(
  name: string,
  fallback: number,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const v = Number(env[name]);
  return env[name] !== undefined && Number.isFinite(v) && v >= 0 ? v : fallback;
}

/** A comma-separated list from an environment variable; undefined when unset or empty. */
const listFromEnv = (name: string, env: NodeJS.ProcessEnv): string[] | undefined => {
  const list = (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length > 0 ? list : undefined;
};

/**
 * What a service's port serves besides loopback names and Origin-less programs:
 * MICRO_SERVER_ALLOWED_HOSTS (Host names, e.g. a reverse proxy's) and MICRO_SERVER_ALLOWED_ORIGINS
 * (web origins, or `*`), comma separated.
 */
export function listenFromEnv(env: NodeJS.ProcessEnv = process.env): ListenOptions {
  const allowedHosts = listFromEnv('MICRO_SERVER_ALLOWED_HOSTS', env);
  const allowedOrigins = listFromEnv('MICRO_SERVER_ALLOWED_ORIGINS', env);
  return { ...(allowedHosts && { allowedHosts }), ...(allowedOrigins && { allowedOrigins }) };
}

/** A PEM from an environment variable holding a file path (or the PEM itself); undefined when unset. */
function pemFromEnv(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const v = env[name];
  if (!v) return undefined;
  if (v.startsWith('-----BEGIN')) return v;
  try {
    return process.getBuiltinModule('node:fs').readFileSync(v, 'utf8');
  } catch (err) {
    throw new Error(`${name}: cannot read ${v}: ${(err as NodeJS.ErrnoException).code ?? ''}`, {
      cause: err,
    });
  }
}

/**
 * TLS of a service's port from MICRO_TLS_CERT and MICRO_TLS_KEY (PEM files; none: plain TCP, the
 * default); MICRO_TLS_MUTUAL=on also requires each peer's certificate, signed by MICRO_TLS_CA.
 */
export function serverTlsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): ServerTlsOptions | undefined {
  const cert = pemFromEnv('MICRO_TLS_CERT', env);
  const key = pemFromEnv('MICRO_TLS_KEY', env);
  if (!cert && !key) return undefined;
  if (!cert || !key)
    throw new Error('MICRO_TLS_CERT and MICRO_TLS_KEY go together: set both, or neither');
  const ca = pemFromEnv('MICRO_TLS_CA', env);
  const mutual = env.MICRO_TLS_MUTUAL === 'on';
  if (mutual && !ca)
    throw new Error(
      'MICRO_TLS_MUTUAL=on needs MICRO_TLS_CA: the CA client certificates must chain to',
    );
  return { cert, key, ...(ca && { ca }), ...(mutual && { mutual }) };
}

/**
 * TLS of a client dialing nodes that serve TLS: trusts MICRO_TLS_CA besides Node's CAs, and
 * presents MICRO_TLS_CERT and MICRO_TLS_KEY (else MICRO_TLS_CLIENT_CERT and MICRO_TLS_CLIENT_KEY,
 * a client's own) to servers asking for a certificate (mutual TLS).
 */
export function clientTlsFromEnv(env: NodeJS.ProcessEnv = process.env): ClientTlsOptions {
  const ca = pemFromEnv('MICRO_TLS_CA', env);
  const own = env.MICRO_TLS_CERT !== undefined && env.MICRO_TLS_CERT !== '';
  const cert = pemFromEnv(own ? 'MICRO_TLS_CERT' : 'MICRO_TLS_CLIENT_CERT', env);
  const key = pemFromEnv(own ? 'MICRO_TLS_KEY' : 'MICRO_TLS_CLIENT_KEY', env);
  return { ...(ca && { ca }), ...(cert && key && { cert, key }) };
}
