import { createMdnsRegistry } from './mdns.ts';
import { createMemoryRegistry } from './memory.ts';
import { createMicroRegistry } from './micro.ts';

export type * from './registry.ts';
export { RegistryError, RegistryErrors } from './registry.ts';
export { Channel } from './channel.ts';
export { copyService, normalizeService, validateService } from './util.ts';
export { createMdnsRegistry, createMemoryRegistry, createMicroRegistry };

/** The registries by name: `--registry` and MICRO_REGISTRY pick from it. */
export const registries = {
  micro: createMicroRegistry,
  memory: createMemoryRegistry,
  mdns: createMdnsRegistry,
} as const;
