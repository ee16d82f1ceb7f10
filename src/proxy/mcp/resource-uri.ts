// The URIs of `micro mcp`'s resources, parsed and checked, and their answers kept within bounds.
// `micro://services`, `micro://services/{name}`, `micro://traces/{service}`,
// `micro://logs/{service}`, `micro://config/{namespace}` and `micro://config/{namespace}/{path}`
// (the path's segments split by `/` or `.`). Segments may be percent-encoded. A malformed URI (too
// long, a query or fragment, an empty or badly encoded segment, a name with control characters)
// is a 400; a well-formed one naming nothing served here is a 404. An answer past its bound in
// bytes keeps as many whole items as fit and says `truncated: true`.
import { hasControls } from '../../registry/printable.ts';
import { badRequest, notFound } from '../../runtime/errors.ts';
import { checkNamespace, parsePath } from '../../platform/config/tree.ts';

/** The id of the resources' errors. */
export const RESOURCES_ID = 'micro.mcp';

/** Characters of a URI at most. */
export const MAX_URI = 2048;

/** Characters of a service name at most. */
const MAX_NAME = 256;

/** What a resource URI names. */
export type ResourceRef =
  | { kind: 'services' }
  | { kind: 'service'; name: string }
  | { kind: 'traces'; service: string }
  | { kind: 'logs'; service: string }
  | { kind: 'config'; namespace: string; path: string };

const SCHEME = 'micro://';

/** A URI as an error quotes it: JSON, cut to 80 characters. */
const quoted = (uri: string): string =>
  JSON.stringify(uri.length > 80 ? `${uri.slice(0, 80)}…` : uri);

function decode(segment: string, uri: string): string {
  if (segment === '')
    throw badRequest(RESOURCES_ID, `${quoted(uri)} has an empty segment (no // or trailing /)`);
  let text: string;
  try {
    text = decodeURIComponent(segment);
  } catch {
    throw badRequest(RESOURCES_ID, `${quoted(uri)} has a badly percent-encoded segment`);
  }
  if (text.length > MAX_NAME || hasControls(text))
    throw badRequest(
      RESOURCES_ID,
      `${quoted(uri)}: a name must be 1 to ${MAX_NAME} characters, without control characters`,
    );
  return text;
}

/** What `uri` names; a MicroError 400 when malformed, 404 when it names nothing served here. */
export function parseResourceUri(uri: unknown): ResourceRef {
  if (typeof uri !== 'string' || uri === '')
    throw badRequest(RESOURCES_ID, 'a resource URI must be a non-empty string');
  if (uri.length > MAX_URI)
    throw badRequest(RESOURCES_ID, `a resource URI is at most ${MAX_URI} characters`);
  const unknown = () =>
    notFound(
      RESOURCES_ID,
      `no resource ${quoted(uri)}: micro://services, micro://services/{name}, micro://traces/{service}, micro://logs/{service}, micro://config/{namespace}[/{path}]`,
    );
  if (!uri.startsWith(SCHEME)) throw unknown();
  if (/[?#]/.test(uri))
    throw badRequest(RESOURCES_ID, `${quoted(uri)}: resource URIs take no query or fragment`);
  const [area, ...raw] = uri.slice(SCHEME.length).split('/');
  const rest = raw.map((s) => decode(s, uri));
  switch (area) {
    case 'services':
      if (rest.length === 0) return { kind: 'services' };
      if (rest.length === 1) return { kind: 'service', name: rest[0]! };
      throw unknown();
    case 'traces':
    case 'logs':
      if (rest.length === 1) return { kind: area, service: rest[0]! };
      throw unknown();
    case 'config': {
      const [namespace, ...path] = rest;
      if (namespace === undefined) throw unknown();
      try {
        return {
          kind: 'config',
          namespace: checkNamespace(namespace),
          path: parsePath(path.join('.')).join('.'),
        };
      } catch (err) {
        throw badRequest(RESOURCES_ID, `${quoted(uri)}: ${(err as Error).message}`);
      }
    }
    default:
      throw unknown();
  }
}

/** A segment of a URI as this module writes it. */
export const segment = (name: string): string => encodeURIComponent(name);

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * `{...head, [key]: items}` as JSON of at most `maxBytes` bytes: the first items that fit (the last
 * ones with `newest`), with `truncated: true` when some were left out (or were past `maxItems`).
 */
export function boundedJson(
  head: Record<string, unknown>,
  key: string,
  all: readonly unknown[],
  maxItems: number,
  maxBytes: number,
  newest = false,
): string {
  const capped = all.length > maxItems;
  const items = capped ? (newest ? all.slice(-maxItems) : all.slice(0, maxItems)) : all;
  const text = (n: number, truncated: boolean): string =>
    JSON.stringify({
      ...head,
      [key]: newest ? items.slice(items.length - n) : items.slice(0, n),
      ...(truncated && { truncated: true }),
    });
  const whole = text(items.length, capped);
  if (bytes(whole) <= maxBytes) return whole;
  // The most items that fit, found by halving: each try is one JSON.stringify.
  let lo = 0;
  let hi = items.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (bytes(text(mid, true)) <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  return text(lo, true);
}
