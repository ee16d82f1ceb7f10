import { registries } from '../registry/index.ts';
import type { Registry } from '../registry/registry.ts';

/** The registry named by MICRO_REGISTRY (default `micro`, the control plane at MICRO_REGISTRY_ADDRESS or 127.0.0.1:8000). */
export function registryFromEnv(env: NodeJS.ProcessEnv = process.env): Registry {
  const name = env.MICRO_REGISTRY ?? 'micro';
  const make = (registries as Record<string, ((o: { address?: string }) => Registry) | undefined>)[
    name
  ];
  if (!make) {
    throw new TypeError(
      `MICRO_REGISTRY=${name} is not a registry; use one of ${Object.keys(registries).join(', ')}`,
    );
  }
  return make({ address: env.MICRO_REGISTRY_ADDRESS });
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
