import { createEtcdRegistry } from './etcd.ts';
import { createMdnsRegistry } from './mdns.ts';
import { createMemoryRegistry } from './memory.ts';
import { createMicroRegistry } from './micro.ts';
import { createNatsRegistry } from './nats.ts';
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

/** What every entry of the registries table is given: the base options and `--registry-address`. */
export interface RegistryFactoryOptions extends RegistryOptions {
  /** `host:port` of the registry's server (etcd, nats, the control plane); each has its default. */
  address?: string;
}

/** The registries by name: `--registry` and MICRO_REGISTRY pick from it. */
export const registries = {
  micro: createMicroRegistry,
  memory: createMemoryRegistry,
  mdns: createMdnsRegistry,
  etcd: createEtcdRegistry,
  nats: createNatsRegistry,
} satisfies Record<string, RegistryFactory<RegistryFactoryOptions>>;
