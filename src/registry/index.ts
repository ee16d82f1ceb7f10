import { createEtcdRegistry } from './etcd.ts';
import { createMdnsRegistry } from './mdns.ts';
import { createMemoryRegistry } from './memory.ts';
import { createMicroRegistry } from './micro.ts';
import { createNatsRegistry } from './nats.ts';

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

/** The registries by name: `--registry` and MICRO_REGISTRY pick from it. */
export const registries = {
  micro: createMicroRegistry,
  memory: createMemoryRegistry,
  mdns: createMdnsRegistry,
  etcd: createEtcdRegistry,
  nats: createNatsRegistry,
} as const;
