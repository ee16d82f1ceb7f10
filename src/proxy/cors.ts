/** CORS by an allow-list of origins; `*` allows any origin. */
export interface Cors {
  /** True when the origin may read responses. */
  allows(origin: string): boolean;
  /** Headers for a response to an allowed origin; undefined for none. */
  headers(origin: string | undefined): Record<string, string> | undefined;
  /** Headers answering a preflight from an allowed origin. */
  preflight(origin: string, requestHeaders: string | undefined): Record<string, string>;
}

const METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const HEADERS = 'Content-Type, Authorization, Micro-Version, Micro-Timeout';

/** Creates the CORS policy for the given origins (none: cross-origin reads are refused). */
export function createCors(origins: string[]): Cors {
  const any = origins.includes('*');
  const list = new Set(origins.map((o) => o.replace(/\/$/, '')));
  const allows = (origin: string): boolean => any || list.has(origin);
  return {
    allows,
    headers(origin) {
      if (!origin || !allows(origin)) return undefined;
      return {
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        // MCP's session (`/mcp`): a page must read it to go on with the session.
        'access-control-expose-headers': 'Mcp-Session-Id',
        vary: 'Origin',
      };
    },
    preflight(origin, requestHeaders) {
      return {
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': METHODS,
        'access-control-allow-headers': requestHeaders || HEADERS,
        'access-control-max-age': '600',
        vary: 'Origin',
      };
    },
  };
}
