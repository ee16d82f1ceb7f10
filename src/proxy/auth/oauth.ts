// The OAuth 2.0 routes the gateway and the sidecar serve when auth is on, in front of the platform's
// Auth: `POST /oauth/token` (RFC 6749: client credentials, password and refresh token grants),
// `POST /oauth/revoke` (RFC 7009), `GET /.well-known/jwks.json` (RFC 7517) and
// `GET /.well-known/oauth-authorization-server` (RFC 8414). Anyone may reach them (no token).
//
// Guarantees: token answers carry `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 5.1);
// errors are RFC 6749 5.2's `{error, error_description}` beside the micro shape, 400, or 401 with
// `WWW-Authenticate: Basic` for invalid_client; a revoke of an unknown token is a 200 (RFC 7009
// 2.2); nothing here logs or echoes a token or secret. Limits: OAUTH_LIMITS (16 KiB, 32 fields).
import type { IncomingHttpHeaders } from 'node:http';
import type { TokenRequest } from '../../platform/auth/auth.ts';
import { MicroError, methodNotAllowed, toMicroError } from '../../runtime/errors.ts';
import { REALM, type EdgeAuth } from './edge.ts';
import { OAuthError, asOAuthError } from '../../platform/auth/errors.ts';
import { basicCredentials, invalidClient, invalidRequest, oauthParams } from './oauth-input.ts';

/** The paths of the OAuth routes. */
export const OAUTH_PATHS = {
  /** `POST`: RFC 6749's token endpoint. */
  token: '/oauth/token',
  /** `POST`: RFC 7009's revocation endpoint. */
  revoke: '/oauth/revoke',
  /** `GET`: the public keys tokens are signed with (RFC 7517). */
  jwks: '/.well-known/jwks.json',
  /** `GET`: RFC 8414's authorization server metadata. */
  metadata: '/.well-known/oauth-authorization-server',
} as const;

const BY_PATH = new Map<string, keyof typeof OAUTH_PATHS>(
  Object.entries(OAUTH_PATHS).map(([k, v]) => [v, k as keyof typeof OAUTH_PATHS]),
);

/** True for a path the OAuth routes serve. */
export const isOAuthPath = (path: string): boolean => BY_PATH.has(path);

/** The grants the token endpoint takes. */
export const GRANT_TYPES = ['client_credentials', 'password', 'refresh_token'] as const;

/** One request to an OAuth route, as either edge read it. */
export interface OAuthRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body, at most OAUTH_LIMITS.body bytes. */
  body: Buffer | undefined;
  /** `http://host:port` (or https) as the client reached the edge, for the metadata's URLs. */
  base: string;
}

/** The answer to send. */
export interface OAuthAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

const json = (status: number, value: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(value),
});

/** An error of the Auth as RFC 6749 5.2 says (an OAuthError read back from the wire is one again). */
const oauthError = (id: string, err: unknown): MicroError => asOAuthError(toMicroError(err, id));

/** The answer of an error, with the Basic challenge of an invalid_client. */
function errorAnswer(err: MicroError): OAuthAnswer {
  const basic: Record<string, string> =
    err instanceof OAuthError && err.error === 'invalid_client'
      ? { 'www-authenticate': `Basic realm="${REALM}", charset="UTF-8"` }
      : {};
  const status = err.code >= 400 && err.code <= 599 ? err.code : 500;
  return json(status, err, { ...NO_STORE, ...basic });
}

const GRANT_FIELDS: Record<TokenRequest['grant_type'], string[]> = {
  client_credentials: ['scope'],
  password: ['username', 'password', 'scope'],
  refresh_token: ['refresh_token', 'scope'],
};

/** The TokenRequest a token request makes: the grant's own parameters and the client's credentials. */
function tokenRequest(id: string, r: OAuthRequest): TokenRequest {
  const basic = basicCredentials(id, r.headers);
  const p = oauthParams(id, r.headers, r.body);
  const grant = p.get('grant_type');
  if (grant === undefined) throw invalidRequest(id, 'grant_type is required');
  if (!(GRANT_TYPES as readonly string[]).includes(grant))
    throw new OAuthError(
      'unsupported_grant_type',
      `grant_type ${JSON.stringify(grant.slice(0, 64))} is not supported; use ${GRANT_TYPES.join(', ')}`,
    );
  const g = grant as TokenRequest['grant_type'];
  if (basic && p.has('client_secret'))
    throw invalidRequest(id, 'send the client credentials once: Basic or the body, not both');
  if (basic && p.has('client_id') && p.get('client_id') !== basic.client_id)
    throw invalidRequest(id, 'client_id differs from the Basic credentials');
  const out: TokenRequest = { grant_type: g };
  for (const f of GRANT_FIELDS[g]) {
    const v = p.get(f);
    if (v !== undefined) (out as unknown as Record<string, string>)[f] = v;
  }
  const clientId = basic?.client_id ?? p.get('client_id');
  const secret = basic?.client_secret ?? p.get('client_secret');
  if (clientId !== undefined) out.client_id = clientId;
  if (secret !== undefined) out.client_secret = secret;
  if (g === 'client_credentials' && (clientId === undefined || secret === undefined))
    throw invalidClient(id, 'client_credentials needs client_id and client_secret (Basic or body)');
  if (g === 'password' && (out.username === undefined || out.password === undefined))
    throw invalidRequest(id, 'the password grant needs username and password');
  if (g === 'refresh_token' && out.refresh_token === undefined)
    throw invalidRequest(id, 'the refresh_token grant needs refresh_token');
  return out;
}

/** The RFC 8414 metadata of this edge. */
function metadata(base: string, issuer: string) {
  return {
    issuer,
    token_endpoint: `${base}${OAUTH_PATHS.token}`,
    revocation_endpoint: `${base}${OAUTH_PATHS.revoke}`,
    jwks_uri: `${base}${OAUTH_PATHS.jwks}`,
    grant_types_supported: GRANT_TYPES,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic'],
    response_types_supported: [],
    token_endpoint_auth_signing_alg_values_supported: ['EdDSA'],
  };
}

/** Serves the OAuth routes of one edge (`id`: its error id) over `edge.auth`. */
export function createOAuthRoutes(
  edge: EdgeAuth,
  id: string,
): (r: OAuthRequest) => Promise<OAuthAnswer> {
  const issuer = edge.issuer ?? (process.env.MICRO_AUTH_ISSUER || 'micro');
  const only = (r: OAuthRequest, method: string): void => {
    if (r.method !== method)
      throw methodNotAllowed(id, `${r.path} takes ${method} (RFC 6749, 7009, 8414)`);
  };
  return async (r) => {
    const route = BY_PATH.get(r.path);
    try {
      switch (route) {
        case 'token': {
          only(r, 'POST');
          const answer = await edge.auth.token(tokenRequest(id, r));
          return json(200, answer, NO_STORE);
        }
        case 'revoke': {
          only(r, 'POST');
          const p = oauthParams(id, r.headers, r.body);
          if (r.headers.authorization !== undefined) basicCredentials(id, r.headers);
          const token = p.get('token');
          if (token === undefined) throw invalidRequest(id, 'token is required (RFC 7009)');
          await edge.auth.revoke({ token });
          return { status: 200, headers: { ...NO_STORE }, body: '' };
        }
        case 'jwks':
          only(r, 'GET');
          return json(200, await edge.auth.jwks(), { 'cache-control': 'public, max-age=60' });
        case 'metadata':
          only(r, 'GET');
          return json(200, metadata(r.base, issuer), { 'cache-control': 'public, max-age=300' });
        default:
          throw new MicroError(id, 404, `no OAuth route ${r.path.slice(0, 100)}`);
      }
    } catch (err) {
      const e =
        route === 'token' || route === 'revoke' ? oauthError(id, err) : toMicroError(err, id);
      return e.code === 405
        ? { ...errorAnswer(e), headers: { ...errorAnswer(e).headers, allow: allowOf(route) } }
        : errorAnswer(e);
    }
  };
}

const allowOf = (route: keyof typeof OAUTH_PATHS | undefined): string =>
  route === 'token' || route === 'revoke' ? 'POST' : 'GET';
