// The dashboard's login sessions when auth is on: a session is one cookie (`micro_session`,
// HttpOnly, SameSite=Strict, Path=/, Secure over TLS) holding the user's access token and refresh
// token, which no page script, response body or URL ever sees. Each request's session is verified
// locally by the verifier (signature, claims, revocation); an access token that has expired, or is
// about to, is exchanged for a new pair with the refresh token first, and the new pair set in the
// cookie. Refresh tokens are single use (reusing one ends its whole family), so requests that
// arrive together with the same old pair share one exchange: its result is kept RENEWED_MS.
//
// Limits: the cookie is at most MAX_COOKIE characters; at most MAX_RENEWING exchanges are kept.
import { decodeJwt } from 'jose';
import type { Auth, TokenRequest, TokenResponse } from '../../platform/auth/auth.ts';
import type { Verifier } from '../../platform/auth/verifier.ts';
import { MicroError, badRequest } from '../../runtime/index.ts';
import type { Caller } from '../../runtime/server/guard.ts';
import { WEB_ID } from './web.ts';

/** The name of the session cookie. */
export const SESSION_COOKIE = 'micro_session';

/** Characters a session cookie's value may have; a longer one is refused. */
export const MAX_COOKIE = 8192;

/** Milliseconds an exchange of a refresh token is kept for requests that carry the old pair. */
export const RENEWED_MS = 30_000;

/** Exchanges kept at most. */
export const MAX_RENEWING = 10_000;

/** An access token expiring within this many milliseconds is renewed before it is used. */
const EARLY_MS = 10_000;

/** What the dashboard needs of a verifier (createVerifier's): verify a token, authorise a caller. */
export type SessionVerifier = Pick<Verifier, 'verify' | 'authorize'>;

/** The dashboard's `auth` option: the token endpoint and a verifier of the tokens it issues. */
export interface WebAuth {
  /** Logs users in and out (token and revoke); the control plane's, or any Auth. */
  auth: Pick<Auth, 'token' | 'revoke'>;
  verifier: SessionVerifier;
}

/** One verified session of a request. */
export interface Session {
  caller: Caller;
  /** The access token calls are made with. */
  access: string;
  /** The Set-Cookie header to send when the pair was renewed. */
  renewed?: string;
  /** When the access token expires, ms since the epoch. */
  expires: number;
}

/** The dashboard's sessions. */
export interface Sessions {
  /** The verified session of a Cookie header, renewed if it had expired; throws a 401 MicroError. */
  check(cookie: string | undefined, secure: boolean): Promise<Session>;
  /** Logs in with an account's id and secret; resolves to the Set-Cookie header of the session. */
  login(id: unknown, secret: unknown, secure: boolean): Promise<{ caller: Caller; cookie: string }>;
  /** Revokes the session's tokens (if any); resolves to the Set-Cookie header that clears it. */
  logout(cookie: string | undefined, secure: boolean): Promise<string>;
}

/** A 401 of the dashboard's own, which tells the pages to log in again. */
export const loginNeeded = (detail: string): MicroError => new MicroError(WEB_ID, 401, detail);

/** The value of the session cookie in a Cookie header. */
export function sessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie header of a session holding this pair. */
export function setCookie(
  pair: Pick<TokenResponse, 'access_token' | 'refresh_token'>,
  secure: boolean,
): string {
  return cookieHeader(`${pair.access_token}~${pair.refresh_token}`, secure);
}

/** The Set-Cookie header that ends the session in the browser. */
export const clearCookie = (secure: boolean): string => `${cookieHeader('', secure)}; Max-Age=0`;

const cookieHeader = (value: string, secure: boolean): string =>
  `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;

/** Splits a cookie value into its access token and refresh token (base64url has no `~`). */
function pairOf(value: string): { access: string; refresh?: string } {
  const tilde = value.lastIndexOf('~');
  if (tilde < 0) return { access: value };
  return { access: value.slice(0, tilde), refresh: value.slice(tilde + 1) || undefined };
}

/** When a token says it expires, ms since the epoch; undefined when it is no readable JWT. */
function expiryOf(token: string): number | undefined {
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** An id or secret field of the login form, checked. */
function field(v: unknown, name: string, max: number): string {
  if (typeof v !== 'string' || v === '') throw badRequest(WEB_ID, `${name} is required`);
  if (v.length > max) throw badRequest(WEB_ID, `${name} is longer than ${max} characters`);
  return v;
}

/** Whether an error of the token endpoint is a refused grant (400/401), not an outage. */
const refused = (err: unknown): boolean =>
  err instanceof MicroError && (err.code === 400 || err.code === 401);

/** Creates the sessions of one dashboard. */
export function createSessions(o: WebAuth): Sessions {
  const renewing = new Map<string, { at: number; pending: Promise<TokenResponse> }>();

  /** Exchanges a refresh token once, however many requests carry it. */
  const renew = (refresh: string): Promise<TokenResponse> => {
    const now = Date.now();
    const known = renewing.get(refresh);
    if (known && now - known.at < RENEWED_MS) return known.pending;
    for (const [k, v] of renewing) {
      if (now - v.at < RENEWED_MS && renewing.size < MAX_RENEWING) break;
      renewing.delete(k);
    }
    const pending = o.auth.token({ grant_type: 'refresh_token', refresh_token: refresh });
    renewing.set(refresh, { at: now, pending });
    pending.catch(() => renewing.delete(refresh));
    return pending;
  };

  const verified = async (access: string, renewed?: string): Promise<Session> => {
    const caller = await o.verifier.verify(access);
    return { caller, access, expires: expiryOf(access) ?? Date.now(), ...(renewed && { renewed }) };
  };

  return {
    async check(header, secure) {
      const value = sessionCookie(header);
      if (!value) throw loginNeeded('log in first: no session (the page /_/login)');
      if (value.length > MAX_COOKIE)
        throw loginNeeded('the session cookie is too long: log in again');
      const { access, refresh } = pairOf(value);
      const exp = expiryOf(access);
      if (refresh && exp !== undefined && exp - Date.now() < EARLY_MS) {
        let pair: TokenResponse;
        try {
          pair = await renew(refresh);
        } catch (err) {
          if (refused(err)) throw loginNeeded('the session has ended: log in again');
          throw err;
        }
        return verified(pair.access_token, setCookie(pair, secure));
      }
      return verified(access);
    },

    async login(idValue, secretValue, secure) {
      const id = field(idValue, 'id', 128);
      const secret = field(secretValue, 'secret', 1024);
      // A user logs in with the password grant, a service account with client credentials.
      const grants: TokenRequest[] = [
        { grant_type: 'password', username: id, password: secret },
        { grant_type: 'client_credentials', client_id: id, client_secret: secret },
      ];
      for (const grant of grants) {
        try {
          const pair = await o.auth.token(grant);
          const caller = await o.verifier.verify(pair.access_token);
          return { caller, cookie: setCookie(pair, secure) };
        } catch (err) {
          if (!refused(err)) throw err;
        }
      }
      // Never say which of the two was wrong.
      throw loginNeeded('wrong id or secret');
    },

    async logout(header, secure) {
      const value = sessionCookie(header);
      if (value && value.length <= MAX_COOKIE) {
        const { access, refresh } = pairOf(value);
        // Unknown tokens are no error (RFC 7009); an unreachable auth still ends the cookie.
        await Promise.allSettled([
          o.auth.revoke({ token: access }),
          ...(refresh ? [o.auth.revoke({ token: refresh })] : []),
        ]);
      }
      return clearCookie(secure);
    },
  };
}
