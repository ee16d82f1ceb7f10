// Tokens at the edges (gateway and sidecar): where a request carries its token, the caller it names
// (verified locally by the platform's verifier: no call per request once a token is cached), and the
// refusals in the error shape with RFC 6750's WWW-Authenticate challenge. What a request is
// mapped to is resources.ts; the OAuth routes are oauth.ts.
//
// Guarantees: a token is read from `Authorization: Bearer` (scheme case-insensitive, RFC 6750 2.1),
// and only where the edge says also from Dapr's `dapr-api-token` or an `access_token` query parameter
// (WebSocket upgrades, which browsers cannot give headers); two different tokens in one request are
// a 400; a refusal never echoes the token.
import type { IncomingHttpHeaders } from 'node:http';
import type { Auth, Resource } from '../../platform/auth/auth.ts';
import { MicroError, badRequest } from '../../runtime/errors.ts';
import type { Caller } from '../../runtime/server/guard.ts';
import { bearer } from '../../platform/auth/verifier.ts';

/** What the edges need of the platform's verifier (createVerifier): verify a token, apply the rules. */
export interface EdgeVerifier {
  /** The caller a token names (synchronous when cached); throws a 401 saying why it is refused. */
  verify(token: string): Caller | Promise<Caller>;
  /** Throws the refusal (401 for no caller, 403 naming account and resource) unless a rule allows it. */
  authorize(caller: Caller | undefined, resource: Resource): void;
}

/** The `auth` option of the gateway and the sidecar: enforcement on, and the OAuth routes served. */
export interface EdgeAuth {
  /** Verifies tokens and applies the rules, locally. */
  verifier: EdgeVerifier;
  /** Serves `/oauth/token`, `/oauth/revoke` and the JWKS: the control plane's Auth, or a client of it. */
  auth: Pick<Auth, 'token' | 'revoke' | 'jwks'>;
  /** The issuer tokens name, reported in the RFC 8414 metadata (default MICRO_AUTH_ISSUER, else `micro`). */
  issuer?: string;
  /** The edge's own token, for what it reports for itself (the MCP audit); callers' tokens are theirs. */
  token?: () => string | Promise<string>;
}

/** The realm of every challenge. */
export const REALM = 'micro';

/** Where a request's token came from: the value of `authorization` to forward to the service. */
export interface Credentials {
  token: string;
}

/**
 * The token a request carries, or undefined when it carries none. `dapr` also reads Dapr's
 * `dapr-api-token` header; `query` is the `access_token` parameter (WebSocket upgrades only).
 */
export function tokenOf(
  id: string,
  headers: IncomingHttpHeaders,
  from: { dapr?: boolean; query?: string | string[] } = {},
): string | undefined {
  // Another scheme (Basic...) is not a token of ours: a 401, not taken as anonymous.
  let token: string | undefined;
  try {
    token = bearer(headers.authorization, id);
  } catch (err) {
    throw withChallenge(err, true);
  }
  const dapr = from.dapr ? headers['dapr-api-token'] : undefined;
  const q = from.query;
  if (dapr === undefined && q === undefined) return token;
  if (Array.isArray(q)) throw badRequest(id, 'access_token is given more than once');
  for (const other of [typeof dapr === 'string' ? dapr.trim() : '', q ?? '']) {
    if (other === '') continue;
    if (token !== undefined && other !== token)
      throw badRequest(id, 'the request carries two different tokens: send one');
    token = other;
  }
  return token;
}

/** A request target as logged: an `access_token` parameter's value replaced, so no log holds a token. */
export const redacted = (url: string): string =>
  url.includes('access_token') ? url.replace(/([?&]access_token=)[^&#]*/g, '$1[redacted]') : url;

/** Characters RFC 6750 3 allows in a challenge's quoted error_description. */
const description = (detail: string): string =>
  detail.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, ' ').slice(0, 300);

/**
 * The WWW-Authenticate value of a 401: `Bearer realm="micro"` when the request had no token (RFC
 * 6750 3.1: no error code then), with `error="invalid_token"` and the reason when it had a bad one.
 */
export function challenge(err: MicroError, hadToken: boolean): string {
  if (!hadToken) return `Bearer realm="${REALM}"`;
  return `Bearer realm="${REALM}", error="invalid_token", error_description="${description(err.detail)}"`;
}

/** An error carrying the headers its HTTP answer must have (the 401 challenge). */
export class EdgeRefusal extends MicroError {
  /** Headers the answer carries besides the body. */
  readonly headers: Record<string, string>;
  constructor(err: MicroError, headers: Record<string, string>) {
    super(err.id, err.code, err.detail, err.status);
    this.headers = headers;
  }
  /** The wire shape, as any MicroError. */
  override toJSON(): ReturnType<MicroError['toJSON']> {
    return super.toJSON();
  }
}

/** `err` with its 401 challenge attached, when it is a 401. */
export function withChallenge(err: unknown, hadToken: boolean): unknown {
  if (!(err instanceof MicroError) || err.code !== 401 || err instanceof EdgeRefusal) return err;
  return new EdgeRefusal(err, { 'www-authenticate': challenge(err, hadToken) });
}

/** The headers an error's answer carries (the 401 challenge), if any. */
export const refusalHeaders = (err: unknown): Record<string, string> | undefined =>
  err instanceof EdgeRefusal ? err.headers : undefined;

/** The caller of a token (undefined: none given); a bad token is a 401 with its challenge. */
export function callerOf(
  verifier: EdgeVerifier,
  token: string | undefined,
): Caller | undefined | Promise<Caller> {
  if (token === undefined) return undefined;
  try {
    const c = verifier.verify(token);
    return c instanceof Promise
      ? c.catch((err: unknown) => {
          throw withChallenge(err, true);
        })
      : c;
  } catch (err) {
    throw withChallenge(err, true);
  }
}

/** Applies the rules; a 401 (no token) gets its challenge. */
export function authorize(
  verifier: EdgeVerifier,
  caller: Caller | undefined,
  resources: readonly Resource[],
): void {
  try {
    for (const r of resources) verifier.authorize(caller, r);
  } catch (err) {
    throw withChallenge(err, caller !== undefined);
  }
}

/** A refusal for a request that needs a token and came with none: anything the edge serves to accounts only. */
export function needsToken(id: string, what: string): MicroError {
  return withChallenge(
    new MicroError(
      id,
      401,
      `${what} needs a token: send Authorization: Bearer <token> (micro login, or POST /oauth/token)`,
    ),
    false,
  ) as MicroError;
}
