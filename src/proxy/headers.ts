/** The headers a reverse proxy treats specially: the hop-by-hop list, and the web apps' base path. */

/** Hop-by-hop headers (RFC 9110 7.6.1): they describe one connection and are never passed on. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Header telling a proxied web app the path it is served under, e.g. `/chat`. */
export const BASE_PATH_HEADER = 'x-micro-web-base-path';

/** The headers not passed on: the hop-by-hop ones and those the Connection header names. */
export function hopHeaders(connection: string | undefined): ReadonlySet<string> {
  if (!connection) return HOP_BY_HOP;
  let out: Set<string> | undefined;
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    // `keep-alive`, `close` and `upgrade` are what clients send: no new set for those.
    if (name === '' || name === 'close' || HOP_BY_HOP.has(name)) continue;
    out ??= new Set(HOP_BY_HOP);
    out.add(name);
  }
  return out ?? HOP_BY_HOP;
}
