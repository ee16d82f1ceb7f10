// What the OAuth routes read from a request, strictly: a form (RFC 6749 appendix B: UTF-8,
// percent-encoded, `+` a space) or a JSON object of strings, and client credentials from HTTP Basic
// (RFC 6749 2.3.1: each part form-encoded before base64). Refused with RFC 6749 5.2's errors: a
// repeated parameter, a malformed escape, more than OAUTH_LIMITS.fields fields, a value that is not a
// string, or credentials sent two ways at once. An empty value counts as absent (RFC 6749 3.1).
// Errors are the auth area's OAuthErrors (id `auth`), as the token endpoint's own.
import type { IncomingHttpHeaders } from 'node:http';
import { OAuthError } from '../../platform/auth/errors.ts';
import { mediaType } from '../request.ts';

/** Bounds of an OAuth request. */
export const OAUTH_LIMITS = {
  /** Largest body, bytes. */
  body: 16 * 1024,
  /** Most parameters in a body. */
  fields: 32,
} as const;

/** A 400 `invalid_request` (RFC 6749 5.2). */
export const invalidRequest = (_id: string, detail: string): OAuthError =>
  new OAuthError('invalid_request', detail);

/** A 401 `invalid_client` (answered with `WWW-Authenticate: Basic`). */
export const invalidClient = (_id: string, detail: string): OAuthError =>
  new OAuthError('invalid_client', detail);

const ESCAPES = /%(?![0-9A-Fa-f]{2})/;

/** Decodes one form-encoded part; undefined when its escapes are malformed or not UTF-8. */
function formDecode(part: string): string | undefined {
  if (ESCAPES.test(part)) return undefined;
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The parameters of a form body: each once, each escape well formed. */
function parseForm(id: string, text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (text === '') return out;
  const pairs = text.split('&');
  if (pairs.length > OAUTH_LIMITS.fields)
    throw invalidRequest(id, `the body has more than ${OAUTH_LIMITS.fields} parameters`);
  for (const pair of pairs) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = formDecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = formDecode(eq < 0 ? '' : pair.slice(eq + 1));
    if (name === undefined || value === undefined)
      throw invalidRequest(id, 'the body is not a well-formed form (a bad % escape)');
    if (out.has(name))
      throw invalidRequest(id, `${JSON.stringify(name.slice(0, 64))} is given more than once`);
    out.set(name, value);
  }
  return out;
}

/** The parameters of a JSON body: an object whose values are strings. */
function parseJsonBody(id: string, text: string): Map<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidRequest(id, 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidRequest(id, 'the body must be a JSON object');
  const entries = Object.entries(value);
  if (entries.length > OAUTH_LIMITS.fields)
    throw invalidRequest(id, `the body has more than ${OAUTH_LIMITS.fields} parameters`);
  const out = new Map<string, string>();
  for (const [k, v] of entries) {
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string')
      throw invalidRequest(id, `${JSON.stringify(k.slice(0, 64))} must be a string`);
    out.set(k, v);
  }
  return out;
}

/** A request's parameters (empty values dropped), from a form or JSON body. */
export function oauthParams(
  id: string,
  headers: IncomingHttpHeaders,
  body: Buffer | undefined,
): Map<string, string> {
  if (body && body.length > OAUTH_LIMITS.body)
    throw invalidRequest(id, `the body is over ${OAUTH_LIMITS.body} bytes`);
  const type = mediaType(headers['content-type']);
  const text = body ? body.toString('utf8') : '';
  if (body && Buffer.compare(Buffer.from(text, 'utf8'), body) !== 0)
    throw invalidRequest(id, 'the body is not UTF-8');
  const charset = /;\s*charset="?([^";\s]+)/i.exec(headers['content-type'] ?? '')?.[1];
  if (charset && charset.toLowerCase() !== 'utf-8')
    throw invalidRequest(id, `charset ${charset.slice(0, 32)} is not supported: send UTF-8`);
  let params: Map<string, string>;
  if (type === 'application/x-www-form-urlencoded') params = parseForm(id, text);
  else if (type === 'application/json') params = parseJsonBody(id, text);
  else if (text === '') params = new Map();
  else
    throw invalidRequest(
      id,
      'send the parameters as application/x-www-form-urlencoded (RFC 6749) or application/json',
    );
  for (const [k, v] of params) if (v === '') params.delete(k);
  return params;
}

/** Client credentials from `Authorization: Basic` (RFC 6749 2.3.1); undefined without that header. */
export function basicCredentials(
  id: string,
  headers: IncomingHttpHeaders,
): { client_id: string; client_secret: string } | undefined {
  const header = headers.authorization;
  if (header === undefined) return undefined;
  const m = /^basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  if (!m) {
    if (/^basic\b/i.test(header)) throw invalidClient(id, 'the Basic credentials are malformed');
    throw invalidRequest(id, 'the token endpoint takes client credentials as Basic, or none');
  }
  const text = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  const clientId = colon < 0 ? undefined : formDecode(text.slice(0, colon));
  const secret = colon < 0 ? undefined : formDecode(text.slice(colon + 1));
  if (!clientId || secret === undefined)
    throw invalidClient(id, 'the Basic credentials are not client_id:client_secret');
  return { client_id: clientId, client_secret: secret };
}
