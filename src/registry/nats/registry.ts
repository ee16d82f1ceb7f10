// The NATS registry's factory: queries answered by every instance, announcements, watches.
import type { NatsConnection } from 'nats';
import { RemoteWatchers } from '../channel.ts';
import { createMemoryRegistry } from '../memory.ts';
import { Picture } from '../picture.ts';
import type {
  RegisterOptions,
  Registry,
  RegistryOptions,
  Service,
  WatchOptions,
  Watcher,
} from '../registry.ts';
import { RegistryError, RegistryErrors } from '../registry.ts';
import { natsConnection, natsServerCommand, serversOf } from '../servers.ts';
import { copyService, mergeVersions } from '../util.ts';
import { recordCheck } from '../validate.ts';
import {
  Leases,
  nodeKey,
  parseAnnouncement,
  type Announcement,
  type Answer,
} from './announcements.ts';

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
 * the answers. Each register (heartbeats too) and deregister is announced on `<prefix>.events` with
 * its lease; a watcher learns what is there when it starts, keeps its own picture of the nodes and
 * their leases, and reports a node whose lease ran out unrenewed (its process died) as gone.
 */
export function createNatsRegistry(options: NatsRegistryOptions = {}): Registry {
  const hosts = serversOf(options, '127.0.0.1:4222');
  const address = hosts.join(',');
  const timeout = options.timeout ?? 5000;
  const window = options.queryWindow ?? 50;
  const prefix = options.prefix ?? 'micro.registry';
  const querySubject = `${prefix}.query`;
  const eventSubject = `${prefix}.events`;
  const where = `NATS at ${address}`;
  const hint = `start nats-server (${natsServerCommand(hosts)}) or set --registry-address / MICRO_REGISTRY_ADDRESS`;
  const check = recordCheck(options);
  const own = createMemoryRegistry({ name: 'nats', limits: options.limits, warn: options.warn });
  // This instance's nodes: what each was registered as, and when its lease ends (ms since the epoch).
  const mine = new Map<string, { as: string; ends: number }>();
  const watchers = new RemoteWatchers();
  const encoder = new TextEncoder();
  let closed = false;

  const unavailable = (err: unknown): RegistryError =>
    err instanceof RegistryError
      ? err
      : new RegistryError(
          RegistryErrors.unavailable,
          `no answer from ${where} (${(err as Error).message}); ${hint}`,
        );

  /** This instance's live registrations (of one service), each with its nodes' time left. */
  const answer = async (service: string | undefined): Promise<Answer[]> => {
    const now = Date.now();
    return (await own.listServices())
      .filter((s) => service === undefined || s.name === service)
      .map((s) => {
        const left: Record<string, number> = {};
        for (const n of s.nodes) {
          const ends = mine.get(nodeKey(s.name, s.version, n.id))?.ends;
          if (ends !== undefined) left[n.id] = Math.max(1, ends - now);
        }
        return { ...s, leases: left };
      });
  };

  // nats loads in about 100 ms: on first use, not at import.
  let connection: Promise<NatsConnection> | undefined;
  const connect = (): Promise<NatsConnection> =>
    (connection ??= (async () => {
      const { connect: open } = await import('nats');
      const nc = await open(natsConnection(hosts, timeout, 'micro-registry'));
      // Answers lookups with this instance's own registrations.
      nc.subscribe(querySubject, {
        callback: (err, msg) => {
          if (err) return;
          void (async () => {
            const { service } = JSON.parse(msg.string() || '{}') as { service?: string };
            msg.respond(encoder.encode(JSON.stringify(await answer(service))));
          })().catch(() => {});
        },
      });
      return nc;
    })().catch((err: unknown) => {
      connection = undefined;
      throw unavailable(err);
    }));

  // Registrations wait for watches being set up, so a watch sees what follows it.
  const settled = async (): Promise<NatsConnection> => {
    await watchers.settled();
    return connect();
  };

  const announce = (nc: NatsConnection, a: Announcement): void => {
    if (!nc.isClosed()) nc.publish(eventSubject, encoder.encode(JSON.stringify(a)));
  };

  /** Every instance's answer to a query for the registrations (of one service). */
  const ask = async (nc: NatsConnection, service?: string): Promise<Answer[]> => {
    const { RequestStrategy } = await import('nats');
    const answers: Answer[] = [];
    try {
      const replies = await nc.requestMany(
        querySubject,
        encoder.encode(JSON.stringify(service === undefined ? {} : { service })),
        { strategy: RequestStrategy.JitterTimer, maxWait: timeout, jitter: window },
      );
      for await (const msg of replies) {
        // Another program's reply, or a broken one, is left out rather than failing the query.
        let answer: unknown;
        try {
          answer = JSON.parse(msg.string());
        } catch {
          continue;
        }
        if (Array.isArray(answer)) for (const s of answer as Answer[]) answers.push(s);
      }
    } catch (err) {
      throw unavailable(err);
    }
    return answers;
  };

  /** Asks every instance for its registrations (of one service) and merges the answers. */
  const query = async (service?: string): Promise<Service[]> => {
    // A read waits for the watches being set up too: "watch, then read" then misses nothing.
    const answers = await ask(await settled(), service);
    return mergeVersions(answers.filter((s) => check.accept(s, where)));
  };

  return {
    name: 'nats',
    address,
    async register(service: Service, opts: RegisterOptions = {}) {
      const ttl = check.registration(service, opts);
      const nc = await settled();
      await own.register(service, { ttl });
      const now = Date.now();
      for (const [key, m] of mine) if (m.ends <= now) mine.delete(key);
      const { nodes, ...version } = copyService(service);
      const described = JSON.stringify(version);
      let renew = nodes.length > 0;
      for (const n of nodes) {
        const key = nodeKey(service.name, service.version, n.id);
        const as = described + JSON.stringify(n);
        if (mine.get(key)?.as !== as) renew = false;
        mine.set(key, { as, ends: now + ttl });
      }
      // Heartbeats too: with it watchers renew the lease they keep for each node.
      announce(nc, { action: 'register', service: { ...version, nodes }, ttl, renew });
    },
    async deregister(service: Service) {
      check.deregistration(service);
      const nc = await settled();
      await own.deregister(service);
      for (const n of service.nodes) mine.delete(nodeKey(service.name, service.version, n.id));
      announce(nc, { action: 'deregister', service: copyService(service) });
    },
    async getService(name: string) {
      const found = await query(name);
      if (found.length === 0)
        throw new RegistryError(RegistryErrors.notFound, `service ${name} not found in ${where}`);
      return found;
    },
    listServices: () => query(),
    watch: (wopts: WatchOptions = {}): Watcher =>
      watchers.watch(async (channel, onStop) => {
        const leases = new Leases(new Picture((e) => channel.push(e)), check.limits);
        onStop(() => leases.clear());
        const wanted = (s: Service): boolean =>
          wopts.service === undefined || wopts.service === s.name;
        const nc = await connect();
        if (channel.closed) return;
        // Announcements that come while the query below runs wait for it, to apply in order.
        let early: Announcement[] | undefined = [];
        const sub = nc.subscribe(eventSubject, {
          callback: (err, msg) => {
            if (err) return;
            const a = parseAnnouncement(msg.string(), check, where);
            if (!a || !wanted(a.service)) return;
            if (early) early.push(a);
            else leases.apply(a);
          },
        });
        onStop(() => sub.unsubscribe());
        await nc.flush();
        // Learns what is registered already, so that its leases run here too; reports none of it.
        // The answer may be older or newer than what was announced meanwhile: a node whose first
        // announcement is a registration that changed something is new, and left to that.
        void ask(nc, wopts.service)
          .catch(() => [])
          .then((known) => {
            if (channel.closed) return;
            const fresh = new Map<string, boolean>();
            for (const a of early ?? [])
              for (const n of a.service.nodes) {
                const key = nodeKey(a.service.name, a.service.version, n.id);
                if (!fresh.has(key)) fresh.set(key, a.action === 'register' && !a.renew);
              }
            for (const s of known)
              if (check.accept(s, where) && wanted(s))
                leases.learn(s, (id) => !fresh.get(nodeKey(s.name, s.version, id)));
            for (const a of early ?? []) leases.apply(a);
            early = undefined;
          });
      }),
    async close() {
      if (closed) return;
      closed = true;
      await watchers.close();
      await own.close();
      const nc = await connection?.catch(() => undefined);
      await nc?.close();
    },
  };
}
