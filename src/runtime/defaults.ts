import { registries } from '../registry/index.ts';
import type { Registry } from '../registry/registry.ts';
import { brokers, type BrokerFactoryOptions } from './broker/index.ts';
import type { Broker } from './broker/broker.ts';
import { transports } from './transport/index.ts';
import type { ListenOptions, Transport } from './transport/transport.ts';

/**
 * The factory a table holds under the name in `variable` (or `fallback` when unset); an unknown
 * name is a TypeError listing the valid ones, so a typo fails at start-up, not on the first call.
 */
function pick<O, T>(
  table: object,
  what: string,
  variable: string,
  fallback: string,
  env: NodeJS.ProcessEnv,
): (options: O) => T {
  const name = env[variable] || fallback;
  const make = Object.hasOwn(table, name)
    ? (table as Record<string, ((options: O) => T) | undefined>)[name]
    : undefined;
  if (!make) {
    throw new TypeError(
      `${variable}=${name} is not a ${what}; use one of ${Object.keys(table).join(', ')}`,
    );
  }
  return make;
}

/** The registry named by MICRO_REGISTRY (default `micro`, the control plane at MICRO_REGISTRY_ADDRESS or 127.0.0.1:8000). */
export function registryFromEnv(env: NodeJS.ProcessEnv = process.env): Registry {
  const make = pick<{ address?: string }, Registry>(
    registries,
    'registry',
    'MICRO_REGISTRY',
    'micro',
    env,
  );
  return make({ address: env.MICRO_REGISTRY_ADDRESS || undefined });
}

/** The broker named by MICRO_BROKER (default `http`, peer to peer through the registry), at MICRO_BROKER_ADDRESS. */
export function brokerFromEnv(registry: Registry, env: NodeJS.ProcessEnv = process.env): Broker {
  const make = pick<BrokerFactoryOptions, Broker>(brokers, 'broker', 'MICRO_BROKER', 'http', env);
  return make({ registry, address: env.MICRO_BROKER_ADDRESS || undefined });
}

/** The transport named by MICRO_TRANSPORT (default `tcp`), given MICRO_TRANSPORT_ADDRESS (the engine's, for nats). */
export function transportFromEnv(env: NodeJS.ProcessEnv = process.env): Transport {
  const make = pick<{ address?: string }, Transport>(
    transports,
    'transport',
    'MICRO_TRANSPORT',
    'tcp',
    env,
  );
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
