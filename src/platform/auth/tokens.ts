// Tokens as the engine makes them. Access tokens: JWTs of AccessClaims (RFC 9068 style) signed by
// keys.ts. Refresh tokens: `mrt_` and 43 characters of base64url (32 random bytes), opaque, stored
// only as their sha256 (hex), single use. Reading back one of our own access tokens (for revoke)
// checks its signature against our own keys with jose, so that nobody can fill the revoked list
// with made-up token ids: a token that does not verify, or has expired, needs no revoking.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { AccessClaims, Jwks } from './auth.ts';
import type { StoredAccount } from './storage.ts';

/** The settings tokens are made with. */
export interface TokenSettings {
  issuer: string;
  audience: string;
  /** Access token lifetime, ms. */
  tokenTtl: number;
}

/**
 * The claims of an access token for the account, with these scopes, valid from `now` (s). Its iat
 * is never before `notBefore` (the account's last cut-off, which may be up to a second ahead).
 */
export function accessClaims(
  account: StoredAccount,
  scopes: readonly string[],
  now: number,
  notBefore: number,
  s: TokenSettings,
): AccessClaims {
  const claims: AccessClaims = {
    iss: s.issuer,
    sub: account.id,
    aud: s.audience,
    iat: Math.max(now, notBefore),
    nbf: now,
    exp: now + Math.max(1, Math.floor(s.tokenTtl / 1000)),
    jti: randomUUID(),
    client_id: account.id,
    scope: scopes.join(' '),
    account_type: account.type,
    roles: [...account.roles],
  };
  if (Object.keys(account.metadata).length > 0) claims.metadata = { ...account.metadata };
  return claims;
}

/** The prefix of refresh tokens. */
export const REFRESH_PREFIX = 'mrt_';

/** A new refresh token and the hash it is stored under. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = `${REFRESH_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: sha256(token) };
}

/** sha256 of the text, hex. */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The claims of an access token this Auth issued and that has not expired, else undefined. */
export async function ownClaims(
  token: string,
  jwks: Jwks,
  s: TokenSettings,
): Promise<{ jti: string; exp: number; sub: string } | undefined> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      algorithms: ['EdDSA'],
      issuer: s.issuer,
      audience: s.audience,
      typ: 'at+jwt',
    });
    const { jti, exp, sub } = payload;
    return typeof jti === 'string' && typeof exp === 'number' && typeof sub === 'string'
      ? { jti, exp, sub }
      : undefined;
  } catch {
    return undefined;
  }
}
