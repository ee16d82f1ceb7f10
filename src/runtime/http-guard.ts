/** Guards every HTTP listener of micro against a browser on the same machine (DNS rebinding, cross-site requests). */
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for a loopback host name: localhost, *.localhost, an address in 127.0.0.0/8, ::1. */
export function isLoopbackName(name: string): boolean {
  const host = name.toLowerCase().replace(/\.$/, '');
  if (LOOPBACK_NAMES.has(host) || host.endsWith('.localhost')) return true;
  // 127.x.y.z only as a real IPv4 address: `127.attacker.example` is a name anyone can point here.
  return isIP(host) === 4 && host.startsWith('127.');
}

/** The host name of a Host header or URL host, without the port; undefined when malformed. */
export function hostname(host: string): string | undefined {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(0, end + 1) : undefined;
  }
  const colon = host.lastIndexOf(':');
  const name = colon >= 0 && isIP(host) === 0 ? host.slice(0, colon) : host;
  return name === '' ? undefined : name;
}

/** True when a listener bound to this host only serves this machine. */
export const boundToLoopback = (boundHost: string): boolean => {
  const name = hostname(boundHost) ?? boundHost;
  return isLoopbackName(name) || name === '::1';
};

/**
 * Decides which requests a listener serves. Bound to loopback, it answers only requests whose Host
 * names a loopback host (or one of `allowedHosts`), so a web page whose DNS name was re-pointed at
 * 127.0.0.1 cannot reach it; bound elsewhere, any Host.
 */
export function hostAllowed(
  boundHost: string,
  allowedHosts: readonly string[] = [],
): (headers: IncomingHttpHeaders) => boolean {
  if (!boundToLoopback(boundHost)) return () => true;
  const extra = new Set(allowedHosts.map((h) => h.toLowerCase()));
  // Clients send the same few Host values on every request: remember the verdicts (bounded).
  const seen = new Map<string, boolean>();
  return (headers) => {
    const host = headers.host;
    if (host === undefined) return true; // HTTP/1.0 clients; browsers always send Host
    let ok = seen.get(host);
    if (ok === undefined) {
      const name = hostname(host);
      ok = name !== undefined && (isLoopbackName(name) || extra.has(name.toLowerCase()));
      if (seen.size >= 256) seen.clear();
      seen.set(host, ok);
    }
    return ok;
  };
}

/**
 * True when the request carries an Origin that is not the listener's own (a page on another site
 * or port). Programs (curl, SDKs, other services) send no Origin and are never refused by it.
 */
export function foreignOrigin(
  headers: IncomingHttpHeaders,
  allowedOrigins: readonly string[] = [],
): boolean {
  const origin = headers.origin;
  if (origin === undefined) return false;
  if (allowedOrigins.includes('*') || allowedOrigins.includes(origin.replace(/\/$/, '')))
    return false;
  try {
    return new URL(origin).host !== headers.host;
  } catch {
    return true; // `null` (sandboxed frames, file: pages) and garbage
  }
}
