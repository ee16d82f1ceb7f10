import { createEtcdRegistry } from './etcd.ts';
import { createMdnsRegistry } from './mdns/index.ts';
import { createMemoryRegistry } from './memory.ts';
import { createMicroRegistry } from './micro.ts';
import { createNatsRegistry } from './nats/index.ts';
import type { RegistryFactory, RegistryOptions } from './registry.ts';

export type * from './registry.ts';
export { RegistryError, RegistryErrors } from './registry.ts';
export { Channel } from './channel.ts';
export { copyService, normalizeService, validateService } from './util.ts';
export {
  createEtcdRegistry,
  createMdnsRegistry,
  createMemoryRegistry,
  createMicroRegistry,
  createNatsRegistry,
};
export type { EtcdRegistryOptions } from './etcd.ts';
export type { MdnsRegistryOptions } from './mdns/index.ts';
export type { MemoryRegistryOptions, RegistryStore, StoredNode } from './memory.ts';
export type { MicroRegistry, MicroRegistryOptions, TokenGetter } from './micro.ts';
import type { TokenGetter } from './micro.ts';
export {
  compareNatural,
  isPaged,
  listPage,
  listPages,
  MAX_PAGE,
  pageOf,
  summarize,
} from './listing.ts';
export type {
  ListOptions,
  PagedRegistry,
  PageOf,
  ServicePage,
  ServiceSummary,
  SummaryPage,
} from './listing.ts';
export type { NatsRegistryOptions } from './nats/index.ts';
export type { RecordLimits } from './validate.ts';

/** What every entry of the registries table is given: the base options and `--registry-address`. */
export interface RegistryFactoryOptions extends RegistryOptions {
  /** `host:port` of the registry's server (etcd, nats, the control plane); each has its default. */
  address?: string;
  /** The access token the control plane's registry (micro) sends when it enforces auth; others ignore it. */
  token?: TokenGetter;
}

/** The registries by name: `--registry` and MICRO_REGISTRY pick from it. */
export const registries = {
  /** The control plane (`micro run`, `micro registry`); the default. */
  micro: createMicroRegistry,
  /** In this process only: tests and single-process programs. */
  memory: createMemoryRegistry,
  /** Multicast DNS: no server; discovery on this host unless `interface` names a network. */
  mdns: createMdnsRegistry,
  /** An etcd cluster (127.0.0.1:2379 by default). */
  etcd: createEtcdRegistry,
  /** A NATS server (127.0.0.1:4222 by default). */
  nats: createNatsRegistry,
} satisfies Record<string, RegistryFactory<RegistryFactoryOptions>>;
