import type { Schema } from '../registry/registry.ts';
import { MicroError, badRequest } from '../runtime/errors.ts';
import type { Metadata } from '../runtime/metadata.ts';
import { GATEWAY_ID, type GatewayRequest } from './proxy.ts';

/** Query, form or path values: one string, or several for a repeated name. */
export type Values = Record<string, string | string[]>;

const FORM = 'application/x-www-form-urlencoded';

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** Parses JSON text; a 400 naming the problem when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(GATEWAY_ID, `request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Parses a form body (`a=1&b=2`); a repeated name gives an array. */
export function parseForm(text: string): Values {
  const out: Values = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/**
 * Decodes a request body: JSON (also when unlabelled), or a form. `curl -d '{...}'` labels JSON as
 * a form, so a form body that starts like JSON is read as JSON. Other types get a 415.
 */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  const text = body.toString('utf8');
  if (type === undefined || type === 'application/json' || type.endsWith('+json'))
    return parseJson(text);
  if (type === FORM) return /^\s*[[{]/.test(text) ? parseJson(text) : parseForm(text);
  throw new MicroError(
    GATEWAY_ID,
    415,
    `unsupported content type ${type}: send application/json or ${FORM}`,
  );
}

/** Converts string values to the types the schema's properties declare (integer, number, boolean, array). */
export function coerce(values: Values, schema: Schema | undefined): Record<string, unknown> {
  const props = (schema?.properties ?? {}) as Record<string, { type?: unknown } | undefined>;
  const out: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(values)) {
    const type = props[k]?.type;
    const one = (v: string): unknown => {
      if (
        (type === 'integer' || type === 'number') &&
        v.trim() !== '' &&
        Number.isFinite(Number(v))
      )
        return Number(v);
      if (type === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
      return v;
    };
    if (type === 'array') out[k] = (Array.isArray(raw) ? raw : [raw]).map(one);
    else out[k] = Array.isArray(raw) ? raw.map(one) : one(raw);
  }
  return out;
}

/**
 * The RPC request of an HTTP request: the body, or the query when there is none, with path
 * parameters on top. A JSON body with no parameters to add is passed on as the bytes it is: the
 * service decodes and validates it (a malformed one gets the service's 400).
 */
export function rpcRequest(
  req: GatewayRequest,
  body: Buffer | undefined,
  schema: Schema | undefined,
  params: Record<string, string> | undefined,
): unknown {
  const hasParams = params !== undefined && Object.keys(params).length > 0;
  let value: unknown;
  if (body && body.length > 0) {
    const contentType = req.headers['content-type'];
    const type = mediaType(contentType);
    const json = type === undefined || type === 'application/json' || type.endsWith('+json');
    if (json && !hasParams) return body;
    const form = type === FORM && !/^\s*[[{]/.test(body.toString('utf8'));
    value = form ? coerce(parseForm(body.toString('utf8')), schema) : decodeBody(body, contentType);
  } else value = coerce(req.query, schema);
  if (!hasParams) return value;
  if (!isPlainObject(value))
    throw badRequest(
      GATEWAY_ID,
      'the request body must be a JSON object when the path has parameters',
    );
  return { ...value, ...coerce(params, schema) };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Call metadata: the allowed headers, any X-Forwarded-* sent, and X-Forwarded-For with the client's address appended. */
export function metadataFrom(req: GatewayRequest, allowed: readonly string[]): Metadata {
  const h = req.headers;
  const md: Metadata = {};
  for (const name of allowed) {
    const v = h[name];
    if (v !== undefined) md[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  for (const name in h) {
    const v = h[name];
    if (v !== undefined && name.startsWith('x-forwarded-'))
      md[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  const forwarded = md['x-forwarded-for'];
  md['x-forwarded-for'] = forwarded ? `${forwarded}, ${req.ip}` : req.ip;
  return md;
}
