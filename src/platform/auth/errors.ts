// The auth area's errors: every Auth raises MicroErrors with id `auth` (400 bad input, 401, 403,
// 404, 409), and the token endpoint's refusals are OAuthErrors, whose JSON also carries RFC 6749
// section 5.2's `error` and `error_description`. Their detail starts with the `error` code, so a
// client that only kept {id, code, detail, status} (the RPC client) can tell them apart again. No
// error ever quotes a token, a refresh token or a secret.
import { printable } from '../../registry/printable.ts';
import { badRequest, MicroError } from '../../runtime/errors.ts';

/** The id of auth's errors, on the wire and in TypeScript. */
export const AUTH_ID = 'auth';

/** The token endpoint's error codes (RFC 6749 section 5.2). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'invalid_scope';

const CODES: readonly OAuthErrorCode[] = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unsupported_grant_type',
  'invalid_scope',
];

/** A token endpoint refusal: a MicroError (400, or 401 for invalid_client) whose JSON adds `error` and `error_description`. */
export class OAuthError extends MicroError {
  /** The RFC 6749 error code. */
  readonly error: OAuthErrorCode;
  /** What went wrong, for a person. */
  readonly error_description: string;
  constructor(error: OAuthErrorCode, description: string) {
    super(AUTH_ID, error === 'invalid_client' ? 401 : 400, `${error}: ${description}`);
    this.error = error;
    this.error_description = description;
  }
  /** Both shapes in one object: `{id, code, detail, status, error, error_description}`. */
  override toJSON(): ReturnType<MicroError['toJSON']> & {
    /** The RFC 6749 error code. */
    error: OAuthErrorCode;
    /** What went wrong, for a person. */
    error_description: string;
  } {
    return { ...super.toJSON(), error: this.error, error_description: this.error_description };
  }
}

/** The OAuthError an auth error read back from the wire was (by its detail), else the error as it is. */
export function asOAuthError(err: MicroError): MicroError {
  if (err instanceof OAuthError || err.id !== AUTH_ID) return err;
  const colon = err.detail.indexOf(': ');
  const code = err.detail.slice(0, colon) as OAuthErrorCode;
  return colon > 0 && CODES.includes(code)
    ? new OAuthError(code, err.detail.slice(colon + 2))
    : err;
}

/** A 400 from auth. */
export const invalid = (detail: string): MicroError => badRequest(AUTH_ID, detail);

/** A string as messages show it: JSON, control characters escaped, long ones cut. */
export const shown = (s: string): string =>
  printable(JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}...` : s), false);

/** What a wrong value is, for messages: `a number`, `null`, `an array`... (never a long string's text). */
export function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? 'a long string' : shown(v);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'object') return 'an object';
  return typeof v === 'undefined' ? 'undefined' : `a ${typeof v}`;
}
