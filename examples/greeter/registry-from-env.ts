import { registries, type Registry } from '../../src/runtime/index.ts';

/** Picks the registry named by MICRO_REGISTRY (memory or mdns). */
export function registryFromEnv(): Registry {
  const name = (process.env.MICRO_REGISTRY ?? 'mdns') as keyof typeof registries;
  const make = registries[name];
  if (!make)
    throw new Error(`unknown registry ${name}; use one of ${Object.keys(registries).join(', ')}`);
  return make();
}
