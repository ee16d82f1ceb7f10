import type { NatsConnection } from 'nats';
import { Channel, PendingWatches } from './channel.ts';
import { createMemoryRegistry } from './memory.ts';
import type {
  RegisterOptions,
  Registry,
  RegistryOptions,
  Service,
  WatchEvent,
  WatchOptions,
  Watcher,
} from './registry.ts';
import { RegistryError, RegistryErrors } from './registry.ts';
import { copyService, validateService } from './util.ts';

/** Options of the NATS registry. */
export interface NatsRegistryOptions extends RegistryOptions {
  /** `host:port` of one NATS server, as `--registry-address` gives it; joins `addresses`. */
  address?: string;
  /** Subject prefix for queries and events; `micro.registry` by default. */
  prefix?: string;
  /** Milliseconds a query waits after the last answer for more; 50 by default. */
  queryWindow?: number;
}

/**
 * A registry over core NATS, as go-micro's: each instance keeps its own registrations (with their
 * leases) and answers queries for them on `<prefix>.query`; a lookup asks every instance and merges
 * the answers, and each instance publishes its changes on `<prefix>.events` for watchers. A node
 * whose process is gone stops being answered for at once, but no watcher hears of it.
 */
export function createNatsRegistry(options: NatsRegistryOptions = {}): Registry {
  const hosts = [...(options.address ? [options.address] : []), ...(options.addresses ?? [])];
  if (hosts.length === 0) hosts.push('127.0.0.1:4222');
  const address = hosts.join(',');
  const timeout = options.timeout ?? 5000;
  const window = options.queryWindow ?? 50;
  const prefix = options.prefix ?? 'micro.registry';
  const querySubject = `${prefix}.query`;
  const eventSubject = `${prefix}.events`;
  const where = `NATS at ${address}`;
  const hint =
    'start nats-server (nats-server -a 127.0.0.1 -p 4222) or set --registry-address / MICRO_REGISTRY_ADDRESS';
  const own = createMemoryRegistry({ name: 'nats' });
  const channels = new Set<Channel<WatchEvent>>();
  const pendingWatches = new PendingWatches();
  const encoder = new TextEncoder();
  let closed = false;

  const unavailable = (err: unknown): RegistryError =>
    err instanceof RegistryError
      ? err
      : new RegistryError(
          RegistryErrors.unavailable,
          `no answer from ${where} (${(err as Error).message}); ${hint}`,
        );

  // nats loads in about 100 ms: on first use, not at import.
  let connection: Promise<NatsConnection> | undefined;
  const connect = (): Promise<NatsConnection> =>
    (connection ??= (async () => {
      const { connect: open } = await import('nats');
      const nc = await open({ servers: hosts, timeout, name: 'micro-registry' });
      // Answers lookups with this instance's own registrations.
      nc.subscribe(querySubject, {
        callback: (err, msg) => {
          if (err) return;
          void (async () => {
            const { service } = JSON.parse(msg.string() || '{}') as { service?: string };
            const mine = await own.listServices();
            const answer = service === undefined ? mine : mine.filter((s) => s.name === service);
            msg.respond(encoder.encode(JSON.stringify(answer)));
          })().catch(() => {});
        },
      });
      // Tells every watcher about this instance's changes.
      void (async () => {
        for await (const e of own.watch())
          if (!nc.isClosed()) nc.publish(eventSubject, encoder.encode(JSON.stringify(e)));
      })();
      return nc;
    })().catch((err: unknown) => {
      connection = undefined;
      throw unavailable(err);
    }));

  // Registrations wait for watches being set up, so a watch sees what follows it.
  const settled = async (): Promise<NatsConnection> => {
    await pendingWatches.settled();
    return connect();
  };

  /** Asks every instance for its registrations (of one service) and merges the answers. */
  const query = async (service?: string): Promise<Service[]> => {
    const nc = await connect();
    const { RequestStrategy } = await import('nats');
    const merged = new Map<string, Service>();
    try {
      const replies = await nc.requestMany(
        querySubject,
        encoder.encode(JSON.stringify(service === undefined ? {} : { service })),
        { strategy: RequestStrategy.JitterTimer, maxWait: timeout, jitter: window },
      );
      for await (const msg of replies) {
        for (const s of JSON.parse(msg.string()) as Service[]) {
          const key = `${s.name}\n${s.version}`;
          const known = merged.get(key);
          if (!known) merged.set(key, copyService(s));
          else
            for (const n of s.nodes)
              if (!known.nodes.some((k) => k.id === n.id)) known.nodes.push(n);
        }
      }
    } catch (err) {
      throw unavailable(err);
    }
    return [...merged.values()];
  };

  return {
    name: 'nats',
    address,
    async register(service: Service, opts: RegisterOptions = {}) {
      validateService(service);
      await settled();
      await own.register(service, opts);
    },
    async deregister(service: Service) {
      await settled();
      await own.deregister(service);
    },
    async getService(name: string) {
      const found = await query(name);
      if (found.length === 0)
        throw new RegistryError(RegistryErrors.notFound, `service ${name} not found in ${where}`);
      return found;
    },
    listServices: () => query(),
    watch(wopts: WatchOptions = {}): Watcher {
      let stop: (() => void) | undefined;
      const channel = new Channel<WatchEvent>(() => {
        channels.delete(channel);
        stop?.();
      });
      channels.add(channel);
      const setup = connect().then(
        (nc) => {
          if (channel.closed) return;
          const sub = nc.subscribe(eventSubject, {
            callback: (err, msg) => {
              if (err) return;
              let e: WatchEvent;
              try {
                e = JSON.parse(msg.string()) as WatchEvent;
              } catch {
                return; // not one of ours
              }
              if (wopts.service === undefined || wopts.service === e.service?.name) channel.push(e);
            },
          });
          stop = () => sub.unsubscribe();
        },
        // NATS unreachable: the watcher ends, as a stream cut by its server does.
        () => channel.close(),
      );
      pendingWatches.track(setup);
      return {
        stop: () => channel.close(),
        [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const ch of [...channels]) ch.close();
      await pendingWatches.drain();
      await own.close();
      const nc = await connection?.catch(() => undefined);
      await nc?.close();
    },
  };
}
