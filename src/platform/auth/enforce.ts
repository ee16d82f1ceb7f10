// Auth enforcement of a service, from its environment: with MICRO_AUTH=on, a verifier polling the
// control plane's snapshot, the service's own token (MICRO_AUTH_ID + MICRO_AUTH_SECRET, or
// MICRO_AUTH_TOKEN), the guard for its server and the wrappers for its client. Off by default,
// and then nothing is made. The platform's createService installs it.
//
// Limits: the secret and tokens are read from the environment only, never from argv, and never
// logged; a poll or renewal failure is reported by its message, which carries neither.
import type { CallWrapper, PublishWrapper, StreamWrapper } from '../../runtime/client/client.ts';
import type { Guard } from '../../runtime/server/guard.ts';
import type { Auth } from './auth.ts';
import { tokenSource, type TokenCredentials, type TokenSource } from './token-source.ts';
import { createVerifier, type Verifier } from './verifier.ts';
import { authCallWrapper, authGuard, authPublishWrapper, authStreamWrapper } from './wrappers.ts';

/** What enforcing auth installs in a service. */
export interface Enforcement {
  /** Verifies callers' tokens against the polled snapshot. */
  readonly verifier: Verifier;
  /** The service's own token. */
  readonly tokens: TokenSource;
  /** The server's guard. */
  readonly guard: Guard;
  /** Sends the service's token (and the user's) with each call. */
  readonly wrapCall: CallWrapper;
  /** The same, when a stream opens. */
  readonly wrapStream: StreamWrapper;
  /** The same, with each published message. */
  readonly wrapPublish: PublishWrapper;
  /** Stops polling. */
  close(): void;
}

/** Options of enforceFromEnv. */
export interface EnforceOptions {
  /** The id refusals carry (the service's name). */
  id?: string;
  /** Told of a failed snapshot poll or token renewal. */
  onError?: (err: Error) => void;
}

/** Whether MICRO_AUTH asks for enforcement (`on`, `true`, `1`); a value that means neither is an error. */
export function authEnabled(env: NodeJS.ProcessEnv): boolean {
  const v = (env.MICRO_AUTH ?? '').trim().toLowerCase();
  if (v === 'on' || v === 'true' || v === '1') return true;
  if (v === '' || v === 'off' || v === 'false' || v === '0') return false;
  throw new TypeError(`MICRO_AUTH must be on or off, not ${JSON.stringify(v.slice(0, 20))}`);
}

/** The service's credentials: MICRO_AUTH_TOKEN, else MICRO_AUTH_ID + MICRO_AUTH_SECRET. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): TokenCredentials {
  if (env.MICRO_AUTH_TOKEN) return { token: env.MICRO_AUTH_TOKEN };
  if (env.MICRO_AUTH_ID && env.MICRO_AUTH_SECRET)
    return { id: env.MICRO_AUTH_ID, secret: env.MICRO_AUTH_SECRET };
  throw new TypeError(
    'MICRO_AUTH=on needs the service account: MICRO_AUTH_ID and MICRO_AUTH_SECRET, or MICRO_AUTH_TOKEN',
  );
}

/** MICRO_AUTH_REFRESH, in ms (default 2000, at least 10). */
function refreshFromEnv(env: NodeJS.ProcessEnv): number {
  const v = env.MICRO_AUTH_REFRESH;
  if (v === undefined || v === '') return 2000;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 10)
    throw new TypeError(
      `MICRO_AUTH_REFRESH must be a whole number of milliseconds, at least 10; not ${JSON.stringify(v.slice(0, 20))}`,
    );
  return n;
}

/**
 * The enforcement MICRO_AUTH=on asks for, snapshots and tokens coming from `auth` (the control
 * plane's, authFromEnv); undefined when auth is off.
 */
export function enforceFromEnv(
  env: NodeJS.ProcessEnv,
  auth: Pick<Auth, 'token' | 'snapshot'>,
  options: EnforceOptions = {},
): Enforcement | undefined {
  if (!authEnabled(env)) return undefined;
  const creds = credentialsFromEnv(env);
  const verifier = createVerifier({
    source: auth,
    issuer: env.MICRO_AUTH_ISSUER || undefined,
    audience: env.MICRO_AUTH_AUDIENCE || undefined,
    refresh: refreshFromEnv(env),
    id: options.id,
    onError: options.onError,
  });
  const tokens = tokenSource({ auth, onError: options.onError }, creds);
  return {
    verifier,
    tokens,
    guard: authGuard(verifier),
    wrapCall: authCallWrapper(tokens),
    wrapStream: authStreamWrapper(tokens),
    wrapPublish: authPublishWrapper(tokens),
    close: () => verifier.close(),
  };
}
