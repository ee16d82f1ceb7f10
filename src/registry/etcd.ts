import { etcdCommand, serversOf } from './servers.ts';
import { etcdLink } from './etcd-link.ts';
import { RemoteWatchers } from './channel.ts';
import { Picture } from './picture.ts';
import type {
  Node,
  RegisterOptions,
  Registry,
  RegistryOptions,
  Service,
  WatchOptions,
  Watcher,
} from './registry.ts';
import { RegistryError, RegistryErrors } from './registry.ts';
import { copyService, mergeVersions } from './util.ts';
import { recordCheck, type RecordCheck } from './validate.ts';

/** Options of the etcd registry. */
export interface EtcdRegistryOptions extends RegistryOptions {
  /** `host:port` of one etcd server, as `--registry-address` gives it; joins `addresses`. */
  address?: string;
  /** Key prefix every registration lives under; `/micro/registry` by default. */
  prefix?: string;
}

/** What one node's key holds: its service version's description and the node. */
interface Stored {
  service: Omit<Service, 'nodes'>;
  node: Node;
}

const enc = encodeURIComponent;

/**
 * A registry in etcd: one key `<prefix>/<service>/<version>/<node>` per node, holding JSON of the
 * version and the node, bound to a lease of the registration's TTL (whole seconds, at least one,
 * as etcd counts them); watches are etcd watches on the prefix.
 */
export function createEtcdRegistry(options: EtcdRegistryOptions = {}): Registry {
  const hosts = serversOf(options, '127.0.0.1:2379');
  const address = hosts.join(',');
  const timeout = options.timeout ?? 5000;
  const prefix = (options.prefix ?? '/micro/registry').replace(/\/+$/, '');
  const where = `etcd at ${address}`;
  const check = recordCheck(options);
  const hint = `start etcd (${etcdCommand(hosts)}) or set --registry-address / MICRO_REGISTRY_ADDRESS`;
  const watchers = new RemoteWatchers();
  let closed = false;

  const link = etcdLink({
    hosts,
    timeout,
    passes: (err) => err instanceof RegistryError,
    unreachable: (why) =>
      new RegistryError(RegistryErrors.unavailable, `no answer from ${where} (${why}); ${hint}`),
  });
  const call = link.call;

  const versionPrefix = (name: string, version: string) =>
    `${prefix}/${enc(name)}/${enc(version)}/`;
  const nodeKey = (name: string, version: string, id: string) =>
    `${versionPrefix(name, version)}${enc(id)}`;

  /** Reads every node under a key prefix and groups them into service versions. */
  const read = async (keyPrefix: string): Promise<Service[]> => {
    const kvs = await call((c) => c.getAll().prefix(keyPrefix).strings());
    const rows = Object.entries(kvs).flatMap(([key, value]) =>
      parse(prefix, key, value, check, where),
    );
    return mergeVersions(rows.map(({ service, node }) => ({ ...service, nodes: [node] })));
  };

  return {
    name: 'etcd',
    address,
    async register(service: Service, opts: RegisterOptions = {}) {
      const ttl = check.registration(service, opts);
      await watchers.settled();
      const { nodes, ...rest } = copyService(service);
      await call(async (c) => {
        // A new lease per registration: a heartbeat moves the key to it, the old one lapses empty.
        const lease = (await c.leaseClient.leaseGrant({ TTL: Math.max(1, Math.ceil(ttl / 1000)) }))
          .ID;
        await Promise.all(
          nodes.map((node) =>
            c
              .put(nodeKey(rest.name, rest.version, node.id))
              .value(JSON.stringify({ service: rest, node } satisfies Stored))
              .lease(lease),
          ),
        );
      });
    },
    async deregister(service: Service) {
      check.deregistration(service);
      await watchers.settled();
      await call((c) =>
        Promise.all(
          service.nodes.map((n) => c.delete().key(nodeKey(service.name, service.version, n.id))),
        ),
      );
    },
    async getService(name: string) {
      // A read waits for the watches being set up too: "watch, then read" then misses nothing.
      await watchers.settled();
      const found = await read(`${prefix}/${enc(name)}/`);
      if (found.length === 0)
        throw new RegistryError(RegistryErrors.notFound, `service ${name} not found in ${where}`);
      return found;
    },
    async listServices() {
      await watchers.settled();
      return read(`${prefix}/`);
    },
    watch: (wopts: WatchOptions = {}): Watcher =>
      watchers.watch(async (channel, onStop) => {
        const keyPrefix =
          wopts.service === undefined ? `${prefix}/` : `${prefix}/${enc(wopts.service)}/`;
        // This watcher's own picture of the versions, to tell create from update and skip heartbeats.
        const picture = new Picture((e) => channel.push(e));
        const apply = (key: string, value: string | undefined): void => {
          const at = parseKey(prefix, key);
          if (!at) return;
          if (value === undefined) return picture.remove(at.name, at.version, [at.id]);
          const [stored] = parse(prefix, key, value, check, where);
          if (stored) picture.put({ ...stored.service, nodes: [stored.node] });
        };
        const c = await link.client();
        const res = await c.getAll().prefix(keyPrefix).exec();
        for (const kv of res.kvs) apply(kv.key.toString(), kv.value.toString());
        if (channel.closed) return;
        const revision = BigInt(res.header.revision) + 1n;
        const w = await c.watch().prefix(keyPrefix).startRevision(revision.toString()).create();
        w.on('put', (kv) => apply(kv.key.toString(), kv.value.toString()));
        w.on('delete', (kv) => apply(kv.key.toString(), undefined));
        // etcd3 reconnects a broken watch itself; without a listener an error would crash us.
        w.on('error', () => {});
        onStop(() => void w.cancel().catch(() => {}));
      }),
    async close() {
      if (closed) return;
      closed = true;
      await watchers.close();
      await link.close();
    },
  };
}

/** The service, version and node a key names, or undefined for a key of another shape. */
function parseKey(
  prefix: string,
  key: string,
): { name: string; version: string; id: string } | undefined {
  if (!key.startsWith(`${prefix}/`)) return undefined;
  const parts = key.slice(prefix.length + 1).split('/');
  if (parts.length !== 3) return undefined;
  try {
    const [name, version, id] = parts.map(decodeURIComponent) as [string, string, string];
    return { name, version, id };
  } catch {
    return undefined; // not percent-encoded as ours are: another program's key
  }
}

/**
 * A stored value, or nothing when it is not one: another program's key under the prefix, or a
 * record someone wrote that breaks the rules of records (dropped with a warning).
 */
function parse(
  prefix: string,
  key: string,
  value: string,
  check: RecordCheck,
  where: string,
): Stored[] {
  const at = parseKey(prefix, key);
  let s: Stored;
  try {
    s = JSON.parse(value) as Stored;
  } catch {
    return [];
  }
  if (!at || typeof s?.service !== 'object' || s.service === null || typeof s.node !== 'object')
    return [];
  const whole = { ...s.service, nodes: [s.node] };
  if (!check.accept(whole, `${where} (key ${key})`)) return [];
  // A value filed under another service's key would outlive its deregistration there.
  const { name, version } = s.service;
  if (name === at.name && version === at.version && s.node.id === at.id) return [s];
  check.drop(
    `${where} (key ${key})`,
    "the key does not name the record's service, version and node",
  );
  return [];
}
