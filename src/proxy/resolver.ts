// Path resolution, after go-micro's "micro" resolver: /[service]/[method], /[service]/[handler]/[method].

/** What a path names: a service and, for RPC routes, an endpoint; a `/vN` prefix names a version. */
export interface ResolvedPath {
  /** The full service name, the namespace included. */
  service: string;
  /** `Handler.Method`, title-cased from the path; undefined when the path names only a service. */
  endpoint?: string;
  /** The `vN` prefix, when the path had one. */
  version?: string;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const VERSION = /^v[0-9]+$/;

/** `say-hello` -> `SayHello`, `hello` -> `Hello`. */
export function toCamel(segment: string): string {
  return segment
    .split(/[-_]/)
    .filter(Boolean)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

/** `SayHello` -> `say-hello`: the inverse of toCamel for ordinary names. */
export function toKebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** The form endpoint names are compared in: lower case, without `-` and `_`. */
export function normalizeEndpoint(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/**
 * Resolves a path; undefined when a segment is not a plain name (letters, digits, `-`, `_`).
 * `/greeter/hello` -> greeter Greeter.Hello; `/greeter/say/hello` -> greeter Say.Hello;
 * `/foo/bar/baz/cat` -> foo.bar Baz.Cat; `/v1/greeter/say/hello` -> the same at version v1.
 */
export function resolvePath(path: string, namespace = ''): ResolvedPath | undefined {
  let parts = path.split('/').filter((p) => p !== '');
  if (parts.length === 0 || !parts.every((p) => SEGMENT.test(p))) return undefined;
  let version: string | undefined;
  if (parts.length >= 2 && VERSION.test(parts[0] as string)) {
    version = parts[0];
    parts = parts.slice(1);
  }
  const name = (list: string[]): string =>
    namespace ? `${namespace}.${list.join('.')}` : list.join('.');
  const [first = '', second] = parts;
  if (parts.length === 1) return { service: name([first]), version };
  if (parts.length === 2)
    return {
      service: name([first]),
      endpoint: `${toCamel(first)}.${toCamel(second ?? '')}`,
      version,
    };
  const n = parts.length;
  return {
    service: name(parts.slice(0, n - 2)),
    endpoint: `${toCamel(parts[n - 2] ?? '')}.${toCamel(parts[n - 1] ?? '')}`,
    version,
  };
}

/** The canonical path of an endpoint: greeter Say.Hello -> `/greeter/say/hello`; undefined outside the namespace. */
export function endpointPath(
  service: string,
  endpoint: string,
  namespace = '',
): string | undefined {
  let name = service;
  if (namespace) {
    if (!service.startsWith(`${namespace}.`)) return undefined;
    name = service.slice(namespace.length + 1);
  }
  const svc = name.split('.');
  const ep = endpoint.split('.');
  if (ep.length !== 2 || ![...svc, ...ep].every((p) => SEGMENT.test(p))) return undefined;
  return `/${svc.join('/')}/${ep.map(toKebab).join('/')}`;
}
