// One client of etcd as each of micro's etcd parts (the registry, and the platform's store, config
// and sync) holds it: etcd3, which pulls in gRPC and protobufs (about half a second), loaded on
// first use, not at import; every call bounded by a timeout; a failure to reach etcd turned into
// the part's own error, which names the server and how to start it.
import type { Etcd3 } from 'etcd3';

/** How a part reaches etcd and words its failures. */
export interface EtcdLinkOptions {
  /** `host:port` (or URLs) of the etcd servers. */
  hosts: string[];
  /** Milliseconds a call may take, connecting included. */
  timeout: number;
  /** True for errors a call throws on purpose (the part's own), passed on as they are. */
  passes(err: unknown): boolean;
  /** The part's error for a call that could not reach etcd, given why. */
  unreachable(reason: string): Error;
}

/** A lazily made etcd client and its bounded calls. */
export interface EtcdLink {
  /** The client, made at the first use. */
  client: () => Promise<Etcd3>;
  /** Runs fn with the client within the timeout; failing to reach etcd throws `unreachable`. */
  call: <T>(fn: (c: Etcd3) => Promise<T>) => Promise<T>;
  /** Closes the client, if one was made; a later call makes another. */
  close: () => Promise<void>;
}

/** A link to etcd for one part. */
export function etcdLink(options: EtcdLinkOptions): EtcdLink {
  let client: Promise<Etcd3> | undefined;
  const make = (): Promise<Etcd3> =>
    (client ??= import('etcd3').then(
      ({ Etcd3 }) =>
        new Etcd3({
          hosts: options.hosts.map((h) => (/^https?:\/\//.test(h) ? h : `http://${h}`)),
          dialTimeout: options.timeout,
        }),
    ));
  return {
    client: make,
    async call<T>(fn: (c: Etcd3) => Promise<T>): Promise<T> {
      let timer: NodeJS.Timeout | undefined;
      try {
        const c = await make();
        return await Promise.race([
          fn(c),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`timed out after ${options.timeout} ms`)),
              options.timeout,
            );
          }),
        ]);
      } catch (err) {
        if (options.passes(err)) throw err;
        throw options.unreachable((err as Error).message);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      const c = client;
      client = undefined;
      if (c) (await c).close();
    },
  };
}
