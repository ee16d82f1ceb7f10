/** Who may use the sidecar: programs on this machine, pages only from allowed origins, and the token holder when one is set. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { MicroError, badRequest, forbidden, unauthorized } from '../../runtime/errors.ts';
import { boundToLoopback, foreignOrigin, hostAllowed } from '../../runtime/http-guard.ts';
import { createCors, type Cors } from '../cors.ts';

/** Error id of the sidecar's answers. */
export const SIDECAR_ID = 'micro.sidecar';

/**
 * Refuses to serve other machines without a token: a sidecar bound to anything but loopback must
 * be given one, or anyone who can reach it calls every service.
 */
export function requireToken(host: string, token: string | undefined): void {
  if (token || boundToLoopback(host)) return;
  throw badRequest(
    SIDECAR_ID,
    `the sidecar would listen on ${host}, reachable from other machines, without a token: set --sidecar-token (MICRO_SIDECAR_TOKEN) or listen on 127.0.0.1`,
  );
}

/** The checks every request and WebSocket upgrade passes. */
export interface SidecarGuard {
  /** The refusal of a request from a browser page it must not serve: 421 for a foreign Host, 403 for a foreign origin; 400 for HTTP/1.1 without Host. */
  browser(headers: IncomingHttpHeaders, httpVersion?: string): MicroError | undefined;
  /** The refusal of a request without the token, when one is set. */
  token(headers: IncomingHttpHeaders): MicroError | undefined;
  /** CORS for the allowed origins. */
  readonly cors: Cors;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Creates the guard of a sidecar bound to `host`, serving pages from `origins` (`*` for any). */
export function createGuard(
  host: string,
  origins: string[],
  token: string | undefined,
): SidecarGuard {
  const hostOk = hostAllowed(host);
  const cors = createCors(origins);
  const wanted = token === undefined || token === '' ? undefined : digest(token);
  return {
    cors,
    browser(headers, httpVersion) {
      if (headers.host === undefined && httpVersion === '1.1')
        return badRequest(SIDECAR_ID, 'an HTTP/1.1 request needs a Host header');
      if (!hostOk(headers))
        return new MicroError(
          SIDECAR_ID,
          421,
          `bound to ${host}, the sidecar only answers requests for a loopback host, not ${String(headers.host).slice(0, 100)}`,
        );
      const origin = headers.origin;
      if (foreignOrigin(headers, origins))
        return forbidden(
          SIDECAR_ID,
          `pages from ${String(origin).slice(0, 100)} may not use the sidecar (allow an origin with --sidecar-cors)`,
        );
      // A page's image or link to another site sends no Origin, but browsers mark it cross-site.
      const site = headers['sec-fetch-site'];
      if (origin === undefined && (site === 'cross-site' || site === 'same-site'))
        return forbidden(SIDECAR_ID, 'requests from other web sites may not use the sidecar');
      return undefined;
    },
    token(headers) {
      if (!wanted) return undefined;
      const given =
        headers['micro-sidecar-token'] ??
        headers['dapr-api-token'] ??
        headers.authorization?.replace(/^Bearer /, '');
      if (typeof given === 'string' && timingSafeEqual(digest(given), wanted)) return undefined;
      return unauthorized(
        SIDECAR_ID,
        'a token is required: Authorization: Bearer <token> (or micro-sidecar-token / dapr-api-token)',
      );
    },
  };
}
