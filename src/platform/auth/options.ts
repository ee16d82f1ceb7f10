// The settings every Auth takes, and how the MICRO_AUTH_* variables give them.
import type { TokenSettings } from './tokens.ts';

/** Options of the memory and SQLite Auths. */
export interface AuthOptions {
  /** The `iss` of tokens (MICRO_AUTH_ISSUER, default `micro`). */
  issuer?: string;
  /** The `aud` of tokens (MICRO_AUTH_AUDIENCE, default `micro`). */
  audience?: string;
  /** Access token lifetime in ms (MICRO_AUTH_TOKEN_TTL, default 15 min). */
  tokenTtl?: number;
  /** Ms a key signs before the next takes over (MICRO_AUTH_KEY_ROTATE, default 24 h). */
  keyRotate?: number;
  /** Refresh token lifetime in ms (default 30 days). */
  refreshTtl?: number;
  /** The clock (ms since the epoch), for tests. */
  now?: () => number;
}

/** The options with their defaults. */
export interface AuthSettings extends TokenSettings {
  keyRotate: number;
  refreshTtl: number;
  now: () => number;
}

/** Fills in the defaults. */
export function authSettings(o: AuthOptions = {}): AuthSettings {
  return {
    issuer: o.issuer ?? 'micro',
    audience: o.audience ?? 'micro',
    tokenTtl: o.tokenTtl ?? 15 * 60 * 1000,
    keyRotate: o.keyRotate ?? 24 * 3600 * 1000,
    refreshTtl: o.refreshTtl ?? 30 * 24 * 3600 * 1000,
    now: o.now ?? Date.now,
  };
}

/** A whole number of ms from a variable, at least `min`; a TypeError naming it otherwise. */
function ms(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new TypeError(
      `${name} must be a whole number of milliseconds, at least ${min}; not ${JSON.stringify(v.slice(0, 40))}`,
    );
  return n;
}

/** The options MICRO_AUTH_ISSUER, MICRO_AUTH_AUDIENCE, MICRO_AUTH_TOKEN_TTL and MICRO_AUTH_KEY_ROTATE give. */
export function authOptionsFromEnv(env: NodeJS.ProcessEnv): AuthOptions {
  const o: AuthOptions = {};
  if (env.MICRO_AUTH_ISSUER) o.issuer = env.MICRO_AUTH_ISSUER;
  if (env.MICRO_AUTH_AUDIENCE) o.audience = env.MICRO_AUTH_AUDIENCE;
  const ttl = ms(env, 'MICRO_AUTH_TOKEN_TTL', 1000);
  if (ttl !== undefined) o.tokenTtl = ttl;
  const rotate = ms(env, 'MICRO_AUTH_KEY_ROTATE', 1000);
  if (rotate !== undefined) o.keyRotate = rotate;
  return o;
}
