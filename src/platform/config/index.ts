// The config area: the table of Config implementations, the one named by MICRO_CONFIG, and a
// service's merged, watched configuration (`service.config`). Engines load on first use: etcd3
// when an etcd config makes its first call, SQLite only in the control plane (service.ts).
import { pickPlugin } from '../../runtime/plugins.ts';
import type { Client } from '../../runtime/client/client.ts';
import type { Service } from '../../runtime/service.ts';
import { createMicroConfig } from './client.ts';
import type { Config, ConfigFactory } from './config.ts';
import { createEtcdConfig } from './etcd.ts';
import { createMemoryConfig } from './memory.ts';
import { createServiceConfig, type ServiceConfig, type ServiceConfigOptions } from './sources.ts';

export type { ConfigChange, ServiceConfig, ServiceConfigOptions } from './sources.ts';
export type { MicroConfigOptions } from './client.ts';
export type { EtcdConfigOptions } from './etcd.ts';
export type { MemoryConfigOptions } from './memory.ts';
export { createEtcdConfig, createMemoryConfig, createMicroConfig };

/** The Config implementations by name: MICRO_CONFIG and --config pick from it. */
export const configs = {
  /** The control plane's config service (SQLite there); the default. */
  micro: createMicroConfig,
  /** In this process only: tests and single-process programs. */
  memory: createMemoryConfig,
  /** An etcd cluster (127.0.0.1:2379 by default). */
  etcd: createEtcdConfig,
} satisfies Record<string, ConfigFactory>;

/** What a Config made from the environment may be given besides it. */
export interface ConfigDefaults {
  /** The client the micro config calls with (a service's own); default: one of the control plane. */
  client?: Client;
  /** The namespace of calls that name none. */
  namespace?: string;
  /** Who changes are recorded as made by, when nothing else says. */
  author?: string;
}

/** The Config named by MICRO_CONFIG (default `micro`, the control plane's), at MICRO_CONFIG_ADDRESS. */
export function configFromEnv(env: NodeJS.ProcessEnv, defaults: ConfigDefaults = {}): Config {
  const name = env.MICRO_CONFIG || 'micro';
  const make = pickPlugin<ConfigFactory>(configs, 'config', name, 'MICRO_CONFIG');
  const address = env.MICRO_CONFIG_ADDRESS || undefined;
  if (make === createMicroConfig)
    return createMicroConfig({
      address,
      // A control plane named by address is called there; else through the service's own client.
      client: address === undefined ? defaults.client : undefined,
      namespace: defaults.namespace,
      author: defaults.author,
    });
  return make({ address, namespace: defaults.namespace });
}

/**
 * The config of a service: defaults, file, MICRO_CONFIG_* and its namespace (its name) of
 * `options.source` (default: MICRO_CONFIG's, closed with it), merged and watched.
 */
export function configFor(
  service: Service,
  options: ServiceConfigOptions & { source?: Config } = {},
): ServiceConfig {
  const env = options.env ?? process.env;
  const source =
    options.source ?? configFromEnv(env, { client: service.client, namespace: service.name });
  return createServiceConfig({
    ...options,
    env,
    source,
    namespace: service.name,
    owned: options.source === undefined,
  });
}
