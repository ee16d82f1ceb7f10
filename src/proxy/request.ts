import type { Schema } from '../registry/registry.ts';
import { MicroError, badRequest } from '../runtime/errors.ts';
import type { Metadata } from '../runtime/metadata.ts';
import { LIMITS, overLimit, type RequestLimits } from './limits.ts';
import { nestedDeeper } from './nesting.ts';
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

/** Parses JSON text; a 400 naming the problem when it is not JSON or nests deeper than maxDepth. */
export function parseJson(text: string, maxDepth = LIMITS.depth): unknown {
  // Checked first: the walks that follow (JSON.stringify, codecs, validators) recurse and would
  // throw RangeError on 100,000 nested arrays.
  if (text.length > maxDepth && nestedDeeper(text, maxDepth))
    throw overLimit(400, `the JSON nests deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(GATEWAY_ID, `request body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Parses a form body or query string (`a=1&b=2`); a repeated name gives an array. Linear in the
 * text; more than maxFields fields is a 413 (a body) or 414 (a query) before anything is decoded.
 */
export function parseForm(
  text: string,
  maxFields: number = LIMITS.fields,
  source: 'body' | 'query' = 'body',
): Values {
  let fields = 0;
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf('&', start);
    if (end < 0) end = text.length;
    if (end > start && ++fields > maxFields)
      throw source === 'query'
        ? overLimit(414, `the query string has more than ${maxFields} fields`)
        : overLimit(413, `the form has more than ${maxFields} fields`);
    start = end + 1;
  }
  const byName = new Map<string, string | string[]>();
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = byName.get(k);
    if (prev === undefined) byName.set(k, v);
    else if (Array.isArray(prev)) prev.push(v);
    else byName.set(k, [prev, v]);
  }
  // fromEntries defines each name as an own property, so `__proto__` is a field like any other.
  return Object.fromEntries(byName);
}

/** The media type is JSON: unlabelled, application/json or any +json type. */
const isJson = (type: string | undefined): boolean =>
  type === undefined || type === 'application/json' || type.endsWith('+json');

/** A form body that is really JSON: what `curl -d '{...}'` sends. */
const looksLikeJson = (text: string): boolean => /^\s*[[{]/.test(text);

/**
 * Decodes a request body: JSON (also when unlabelled), or a form. `curl -d '{...}'` labels JSON as
 * a form, so a form body that starts like JSON is read as JSON. Other types get a 415.
 */
export function decodeBody(
  body: Buffer,
  contentType: string | undefined,
  limits: Pick<RequestLimits, 'fields' | 'depth'> = LIMITS,
): unknown {
  const type = mediaType(contentType);
  const text = body.toString('utf8');
  if (isJson(type)) return parseJson(text, limits.depth);
  if (type === FORM)
    return looksLikeJson(text) ? parseJson(text, limits.depth) : parseForm(text, limits.fields);
  throw new MicroError(
    GATEWAY_ID,
    415,
    `unsupported content type ${type}: send application/json or ${FORM}`,
  );
}

/** The declared type of a schema property, when the schema has an object of properties. */
function propertyType(schema: Schema | undefined, name: string): unknown {
  const props = schema?.properties;
  if (typeof props !== 'object' || props === null || !Object.hasOwn(props, name)) return undefined;
  const prop = (props as Record<string, unknown>)[name];
  return typeof prop === 'object' && prop !== null ? (prop as { type?: unknown }).type : undefined;
}

/** Converts string values to the types the schema's properties declare (integer, number, boolean, array). */
export function coerce(values: Values, schema: Schema | undefined): Record<string, unknown> {
  const out: [string, unknown][] = [];
  for (const [k, raw] of Object.entries(values)) {
    const type = propertyType(schema, k);
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
    if (type === 'array') out.push([k, (Array.isArray(raw) ? raw : [raw]).map(one)]);
    else out.push([k, Array.isArray(raw) ? raw.map(one) : one(raw)]);
  }
  return Object.fromEntries(out);
}

/**
 * The RPC request of an HTTP request: the body, or the query when there is none, with path
 * parameters on top. A JSON body with no parameters to add is passed on as the bytes it is, once
 * its nesting is checked: the service decodes and validates it (a malformed one gets its 400).
 */
export function rpcRequest(
  req: GatewayRequest,
  body: Buffer | undefined,
  schema: Schema | undefined,
  params: Record<string, string> | undefined,
  limits: Pick<RequestLimits, 'fields' | 'depth'> = LIMITS,
): unknown {
  const hasParams = params !== undefined && Object.keys(params).length > 0;
  let value: unknown;
  if (body && body.length > 0) {
    const contentType = req.headers['content-type'];
    const type = mediaType(contentType);
    if (isJson(type) && !hasParams) {
      // Passed on unparsed, but not deeper than the limit: the service's codec and validator
      // recurse too (an echo of 5,000 nested arrays was a 500 from the service).
      if (body.length > limits.depth && nestedDeeper(body.toString('latin1'), limits.depth))
        throw overLimit(400, `the JSON nests deeper than ${limits.depth} levels`);
      return body;
    }
    const text = body.toString('utf8');
    value =
      type === FORM && !looksLikeJson(text)
        ? coerce(parseForm(text, limits.fields), schema)
        : decodeBody(body, contentType, limits);
  } else value = coerce(req.query, schema);
  if (!hasParams) return value;
  if (!isPlainObject(value))
    throw badRequest(
      GATEWAY_ID,
      'the request body must be a JSON object when the path has parameters',
    );
  return { ...value, ...coerce(params, schema) };
}

/** True for a JSON object (not null, not an array). */
export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
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
