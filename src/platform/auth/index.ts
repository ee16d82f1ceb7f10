// The auth area: accounts, rules and tokens (auth.ts), the one rule engine (rules.ts), the table
// of Auths by name (MICRO_AUTH_PROVIDER picks: `micro`, the control plane's, by default; `memory`)
// and authFromEnv. Light on purpose: SQLite and the service load only where the control plane
// hosts them.
import type { Client } from '../../runtime/client/client.ts';
import { pickPlugin } from '../../runtime/plugins.ts';
import type { Auth } from './auth.ts';
import { createMicroAuth, type MicroAuthOptions } from './client.ts';
import { createMemoryAuth } from './memory.ts';
import { authOptionsFromEnv, type AuthOptions } from './options.ts';

/** What every entry of the auths table is given. */
export interface AuthFactoryOptions extends AuthOptions, MicroAuthOptions {}

/** The Auths by name: MICRO_AUTH_PROVIDER picks from it. */
export const auths: Readonly<Record<string, (options?: AuthFactoryOptions) => Auth>> = {
  /** The control plane's `auth` service (SQLite in micro.db); the default. */
  micro: createMicroAuth,
  /** In this process only: tests and single-process programs. */
  memory: createMemoryAuth,
};

/**
 * The Auth MICRO_AUTH_PROVIDER names (default `micro`): the control plane's at MICRO_AUTH_ADDRESS,
 * else the one MICRO_REGISTRY_ADDRESS names when the registry is the control plane's, else through
 * `client` (a service's own), else 127.0.0.1:8000; memory with the MICRO_AUTH_* token settings.
 * An unknown name is a TypeError listing the valid ones.
 */
export function authFromEnv(env: NodeJS.ProcessEnv, defaults: { client?: Client } = {}): Auth {
  const name = env.MICRO_AUTH_PROVIDER || 'micro';
  const make = pickPlugin(auths, 'auth', name, 'MICRO_AUTH_PROVIDER');
  const registry = !env.MICRO_REGISTRY || env.MICRO_REGISTRY === 'micro';
  const address =
    env.MICRO_AUTH_ADDRESS ||
    (registry && !defaults.client ? env.MICRO_REGISTRY_ADDRESS : undefined);
  return make({
    ...authOptionsFromEnv(env),
    ...(address && { address }),
    ...(defaults.client && !address && { client: defaults.client }),
  });
}

export { createMemoryAuth, createMicroAuth, authOptionsFromEnv };
export { whoami } from './client.ts';
export { bootstrapAuth, bootstrapLines } from './bootstrap.ts';
export { AUTH_ID, OAuthError, type OAuthErrorCode } from './errors.ts';
export { AUTH_LIMITS } from './validate.ts';
export { RESOURCE_ACTIONS } from './auth.ts';
export { decide, refusal, seedRules, PUBLIC_AUTH_ENDPOINTS } from './rules.ts';
export type * from './auth.ts';
export type { AuthOptions } from './options.ts';
export type { MicroAuthOptions } from './client.ts';
export type { SqliteAuthOptions } from './sqlite.ts';
