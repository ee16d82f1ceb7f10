import type { IncomingMessage } from 'node:http';
import { hostAllowed } from '../../runtime/http-guard.ts';

/** Headers of every page and file of the dashboard: no inline script, nothing from elsewhere. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Decides which Host headers to serve. A dashboard bound to loopback only answers requests that
 * name a loopback host exactly (`localhost`, `127.0.0.1`, `[::1]`, `*.localhost`), so a web page
 * whose DNS name was re-pointed at 127.0.0.1 (DNS rebinding) cannot read it or call services
 * through it; one bound to another address answers any.
 */
export function hostCheck(boundHost: string): (req: IncomingMessage) => boolean {
  const allowed = hostAllowed(boundHost);
  return (req) => req.headers.host !== undefined && allowed(req.headers);
}

/**
 * True when a request that changes something (a call, a terminal command) may be served: a JSON
 * body, which a cross-site form cannot send without a CORS preflight that the dashboard never
 * grants, and no Origin other than the dashboard's own.
 */
export function sameOriginJson(req: IncomingMessage): boolean {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
