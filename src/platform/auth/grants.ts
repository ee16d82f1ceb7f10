// The token endpoint's three grants (RFC 6749): client credentials (4.4) and password (4.3), each
// checked against the account's scrypt hash (an unknown id costs the same time as a wrong secret,
// and both get the same answer), and refresh token (6). A refresh token is used once: its use is
// marked in the same atomic step that finds it, so two concurrent uses cannot both pass; using one
// again revokes its whole family (every refresh token rotated from the same grant, and the access
// tokens issued with them). A requested scope must be a subset of what the account (or the refresh
// token) holds, else invalid_scope; with none, all of it.
import { randomUUID } from 'node:crypto';
import type { TokenRequest, TokenResponse } from './auth.ts';
import type { AuthCore } from './engine.ts';
import { OAuthError } from './errors.ts';
import { verifySecret } from './hash.ts';
import type { StoredAccount } from './storage.ts';
import { accessClaims, newRefreshToken, sha256 } from './tokens.ts';
import { checkTokenRequest, parseScope } from './token-request.ts';
import { AUTH_LIMITS } from './validate.ts';

/** The scopes a token gets: the requested ones, each held; all held when none are requested. */
function narrow(held: readonly string[], requested: string | undefined): string[] {
  const asked = parseScope(requested);
  if (asked === undefined) return [...held];
  const extra = asked.filter((s) => !held.includes(s));
  if (extra.length > 0)
    throw new OAuthError(
      'invalid_scope',
      `scope ${extra.join(' ')} is not granted to this account`,
    );
  return asked;
}

/** Issues an access token and a refresh token (of `family`, a new one when absent). */
async function issue(
  core: AuthCore,
  account: StoredAccount,
  scopes: string[],
  family: string = randomUUID(),
): Promise<TokenResponse> {
  const { storage, settings } = core;
  const key = await core.signing();
  // Never before a cut-off of the account: a token issued in its second would be refused.
  const now = core.seconds();
  const claims = accessClaims(
    account,
    scopes,
    now,
    storage.revokedBefore()[account.id] ?? 0,
    settings,
  );
  const access_token = await core.sign(key, claims);
  const refresh = newRefreshToken();
  const t = settings.now();
  storage.atomic(() => {
    const still = storage.account(account.id);
    if (!still || still.disabled)
      throw new OAuthError('invalid_grant', `account ${account.id} is gone or disabled`);
    storage.putRefresh({
      hash: refresh.hash,
      account: account.id,
      family,
      scope: claims.scope,
      created: t,
      expires: t + settings.refreshTtl,
      used: false,
      jti: claims.jti,
      exp: claims.exp,
    });
    storage.trimRefresh(account.id, AUTH_LIMITS.refreshPerAccount);
  });
  return {
    access_token,
    token_type: 'Bearer',
    expires_in: claims.exp - now,
    refresh_token: refresh.token,
    scope: claims.scope,
  };
}

/** Checks an id and secret; the same error (after the same work) for an unknown id and a wrong secret. */
async function authenticate(
  core: AuthCore,
  id: string,
  secret: string,
  refuse: () => OAuthError,
): Promise<StoredAccount> {
  const account = core.storage.account(id);
  const ok = await verifySecret(secret, account?.hash);
  if (!account || !ok) throw refuse();
  if (account.disabled) throw refuse();
  return account;
}

/** Answers a token request. */
export async function grant(core: AuthCore, request: TokenRequest): Promise<TokenResponse> {
  const r = checkTokenRequest(request);
  if (r.grant_type === 'client_credentials') {
    const account = await authenticate(
      core,
      r.client_id!,
      r.client_secret!,
      () =>
        new OAuthError(
          'invalid_client',
          'unknown client_id, wrong client_secret, or a disabled account',
        ),
    );
    return issue(core, account, narrow(account.scopes, r.scope));
  }
  if (r.grant_type === 'password') {
    const account = await authenticate(
      core,
      r.username!,
      r.password!,
      () =>
        new OAuthError('invalid_grant', 'unknown username, wrong password, or a disabled account'),
    );
    return issue(core, account, narrow(account.scopes, r.scope));
  }
  const { storage, settings } = core;
  const hash = sha256(r.refresh_token!);
  const found = storage.atomic(() => {
    const row = storage.refresh(hash);
    if (!row || row.expires <= settings.now()) return 'unknown' as const;
    if (row.used) {
      core.revokeFamily(row.family);
      storage.bump();
      return 'reused' as const;
    }
    storage.markUsed(hash);
    return row;
  });
  if (found === 'unknown')
    throw new OAuthError('invalid_grant', 'the refresh token is unknown, expired or revoked');
  if (found === 'reused')
    throw new OAuthError(
      'invalid_grant',
      'the refresh token was already used: every token of its family is now revoked; log in again',
    );
  const account = storage.account(found.account);
  if (!account || account.disabled)
    throw new OAuthError('invalid_grant', `account ${found.account} is gone or disabled`);
  // What the refresh token held, less what the account lost since.
  const held = found.scope.split(' ').filter((s) => s !== '' && account.scopes.includes(s));
  return issue(core, account, narrow(held, r.scope), found.family);
}
