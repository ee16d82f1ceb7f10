// The check of token requests: OAuthErrors (invalid_request, unsupported_grant_type,
// invalid_scope) as RFC 6749 section 5.2 asks, rather than plain 400s; unknown fields are ignored,
// as its section 3.2 asks. Messages never quote a secret or a token.
import type { TokenRequest } from './auth.ts';
import { kind, OAuthError, shown } from './errors.ts';
import { AUTH_LIMITS, NAME } from './validate.ts';

const GRANTS = ['client_credentials', 'password', 'refresh_token'] as const;

/** A token request's string field: absent, or a string within bounds (an invalid_request otherwise). */
function param(o: Record<string, unknown>, field: string, needed: boolean): string | undefined {
  const v = o[field];
  if (v === undefined || v === '') {
    if (needed) throw new OAuthError('invalid_request', `${field} is missing`);
    return undefined;
  }
  if (typeof v !== 'string' || v.length > AUTH_LIMITS.tokenLength)
    throw new OAuthError(
      'invalid_request',
      `${field} must be a string of at most ${AUTH_LIMITS.tokenLength} characters`,
    );
  return v;
}

/** A token request, checked: its grant's fields present (unknown fields ignored, RFC 6749 3.2). */
export function checkTokenRequest(request: unknown): TokenRequest {
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    throw new OAuthError('invalid_request', 'a token request must be an object');
  const o = request as Record<string, unknown>;
  const grant = param(o, 'grant_type', true) as TokenRequest['grant_type'];
  if (!GRANTS.includes(grant))
    throw new OAuthError(
      'unsupported_grant_type',
      `grant_type must be one of ${GRANTS.join(', ')}, not ${kind(grant)}`,
    );
  const r: TokenRequest = { grant_type: grant };
  const set = (field: keyof TokenRequest, needed: boolean) => {
    const v = param(o, field, needed);
    if (v !== undefined) (r as unknown as Record<string, string>)[field] = v;
  };
  const needs = {
    client_credentials: ['client_id', 'client_secret'],
    password: ['username', 'password'],
    refresh_token: ['refresh_token'],
  } as const;
  for (const field of needs[grant]) set(field, true);
  set('scope', false);
  return r;
}

/** A requested scope (space-separated), as names; malformed ones are an invalid_scope. */
export function parseScope(scope: string | undefined): string[] | undefined {
  if (scope === undefined) return undefined;
  const names = scope.split(' ').filter((s) => s !== '');
  for (const n of names)
    if (n.length > AUTH_LIMITS.nameLength || !NAME.test(n))
      throw new OAuthError('invalid_scope', `scope ${shown(n)} is not a scope name`);
  return [...new Set(names)];
}
