// A service's own access token: got from the token endpoint with the service account's client
// credentials (or given as is), and renewed before it expires, so that a call never waits for
// one except the first, or after a refusal.
//
// Guarantees: a token is renewed once 80% of its life has passed (the renewal runs while the
// current one is still handed out) or when a callee refused it (`renew`); a renewal tries the
// refresh token first, then the client credentials; renewals are single-flight. A token given as
// is (MICRO_AUTH_TOKEN) is never renewed. Limits: nothing here logs or puts in an error a token or
// the secret.
import type { Auth, TokenResponse } from './auth.ts';

/** How a service proves who it is: its account's client credentials, or a token as is. */
export type TokenCredentials =
  | {
      /** The service account's id (MICRO_AUTH_ID). */
      id: string;
      /** Its secret (MICRO_AUTH_SECRET). */
      secret: string;
    }
  | {
      /** A token used as it is (MICRO_AUTH_TOKEN), never renewed. */
      token: string;
    };

/** What a token source needs of the auth service. */
export interface TokenSourceOptions {
  /** The token endpoint (an `Auth`, usually the control plane's client). */
  auth: Pick<Auth, 'token'>;
  /** The share of a token's life after which it is renewed (default 0.8). */
  renewAt?: number;
  /** Told when a background renewal fails (the current token is kept while it lasts). */
  onError?: (err: Error) => void;
  /** The clock, ms since the epoch (default Date.now; for tests). */
  now?: () => number;
}

/** The service's current token, renewed as it ages. */
export interface TokenSource {
  /** The current token: synchronous while it is fresh, else once got. */
  token(): string | Promise<string>;
  /** Drops `refused` (a token a callee refused with a 401) and gets another; false when it cannot. */
  renew(refused: string): Promise<boolean>;
}

/** A token source for the credentials given. */
export function tokenSource(options: TokenSourceOptions, creds: TokenCredentials): TokenSource {
  if ('token' in creds) {
    const token = creds.token;
    return { token: () => token, renew: () => Promise.resolve(false) };
  }
  const share = options.renewAt ?? 0.8;
  const clock = options.now ?? Date.now;
  let current: string | undefined;
  let refresh: string | undefined;
  /** When to renew and when it expires, ms since the epoch. */
  let renewBy = 0;
  let expires = 0;
  let pending: Promise<string> | undefined;

  const take = (r: TokenResponse): string => {
    const now = clock();
    current = r.access_token;
    refresh = r.refresh_token || undefined;
    renewBy = now + r.expires_in * 1000 * share;
    expires = now + r.expires_in * 1000;
    return current;
  };

  const get = async (): Promise<string> => {
    if (refresh) {
      try {
        return take(
          await options.auth.token({ grant_type: 'refresh_token', refresh_token: refresh }),
        );
      } catch {
        refresh = undefined; // used, expired or revoked: the credentials still work
      }
    }
    return take(
      await options.auth.token({
        grant_type: 'client_credentials',
        client_id: creds.id,
        client_secret: creds.secret,
      }),
    );
  };

  const renewal = (): Promise<string> =>
    (pending ??= get().finally(() => {
      pending = undefined;
    }));

  return {
    token() {
      const now = clock();
      if (current !== undefined && now < renewBy) return current;
      if (current !== undefined && now < expires) {
        // Still valid: hand it out while a new one is got.
        renewal().catch((err: Error) => options.onError?.(err));
        return current;
      }
      return renewal();
    },
    async renew(refused) {
      try {
        if (refused === current || current === undefined) {
          current = undefined;
          renewBy = expires = 0;
          await renewal();
        } else if (pending) await pending;
        return current !== undefined;
      } catch (err) {
        options.onError?.(err as Error);
        return false;
      }
    },
  };
}
