/** Splits `host:port` (or `[v6]:port`) into its parts; port 0 asks the system for a free one. */
export function parseAddress(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]*):(\d+)$/.exec(address);
  if (!m) throw new TypeError(`address must be host:port, got "${address}"`);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`port out of range in "${address}"`);
  return { host: m[1] || '127.0.0.1', port };
}

/** Joins host and port, bracketing IPv6 hosts. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
