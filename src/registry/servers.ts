// Where an engine (NATS, etcd) is, as the plugins take it, how to start one there, and how micro's
// NATS clients connect to it.
import type { ConnectionOptions } from 'nats';

/** The servers from `address` and `addresses`, or the default one. */
export function serversOf(
  options: { address?: string; addresses?: string[] },
  fallback: string,
): string[] {
  const hosts = [...(options.address ? [options.address] : []), ...(options.addresses ?? [])];
  return hosts.length > 0 ? hosts : [fallback];
}

/** `host` and `port` of `host:port` (or `[v6]:port`, or a URL), the default port when none. */
function hostPort(server: string, port: number): { host: string; port: number } {
  const bare = server.replace(/^[a-z]+:\/\//, '');
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?/.exec(bare);
  return {
    host: (m?.[1] || '127.0.0.1').replace(/^\[(.*)\]$/, '$1'),
    port: Number(m?.[2] ?? port),
  };
}

/** The command that starts a nats-server where the first of the servers is expected. */
export function natsServerCommand(servers: string[], jetstream = false): string {
  const { host, port } = hostPort(servers[0] ?? '', 4222);
  return `nats-server${jetstream ? ' -js' : ''} -a ${host} -p ${port}`;
}

/** The command that starts an etcd where the first of the servers is expected. */
export function etcdCommand(servers: string[]): string {
  const { host, port } = hostPort(servers[0] ?? '', 2379);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return `etcd --listen-client-urls ${url} --advertise-client-urls ${url}`;
}

/**
 * How every micro NATS client (registry, brokers, transport) connects: a service outlives NATS
 * restarts and network cuts, so it reconnects for as long as it runs (nats.js stops after 10 tries).
 */
export function natsConnection(
  servers: string[],
  timeout: number,
  name: string,
): ConnectionOptions {
  return { servers, timeout, name, maxReconnectAttempts: -1 };
}
