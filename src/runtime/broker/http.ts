import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Pool } from 'undici';
import type { Registry, Service } from '../../registry/registry.ts';
import { parseError, toMicroError, type MicroError } from '../errors.ts';
import { createSelector } from '../selector/cache.ts';
import { formatAddress, parseAddress } from '../transport/address.ts';
import { checkTopic, type Broker, type BrokerHandler, type BrokerMessage } from './broker.ts';

// Not imported: an ES import of node:http reads its lazy WebSocket export, which loads Node's
// bundled undici (about 50 ms at start-up); getBuiltinModule does not.
const { createServer } = process.getBuiltinModule('node:http');

/** Options of the HTTP broker. */
export interface HttpBrokerOptions {
  /** Where subscriptions are registered and publishers find them. */
  registry: Registry;
  /** Where this broker listens for deliveries (default 127.0.0.1:0). */
  address?: string;
  /** Lease of each subscription's registration, in ms (default 30 s). */
  ttl?: number;
  /** Re-registration interval, in ms (default 10 s). */
  interval?: number;
}

/** The registry service name that lists a topic's subscribers. */
export const topicService = (topic: string): string => `topic:${topic}`;
const BROADCAST = 'broadcast';
const HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/**
 * Peer-to-peer publish/subscribe through the registry, as in the original toolkit.
 * Delivery is at most once: no persistence, no redelivery. A subscriber registers `topic:<topic>`
 * with its queue name as version (`broadcast` without one); a publisher POSTs the message to every
 * broadcast subscriber and to one subscriber of each queue group, trying the group's others if that fails.
 */
export function createHttpBroker(options: HttpBrokerOptions): Broker {
  const { registry } = options;
  // No breaker: deliveries mark only the subscribers they could not reach, never a success.
  // No zone preference (''): a message goes to the subscribers of every zone.
  const selector = createSelector({
    registry,
    ttl: 5000,
    penalty: 1000,
    breaker: false,
    zone: '',
    region: '',
  });
  const handlers = new Map<string, BrokerHandler>();
  const registrations = new Map<string, Service>();
  const pools = new Map<string, Pool>();
  let server: Server | undefined;
  let address = '';
  let heartbeat: NodeJS.Timeout | undefined;
  const ttl = options.ttl ?? 30_000;

  // undici (about 100 ms to load) on the first delivery, not when the service starts.
  let undici: Promise<typeof import('undici')> | undefined;
  const pool = async (addr: string): Promise<Pool> => {
    const { Pool } = await (undici ??= import('undici'));
    let p = pools.get(addr);
    if (!p) pools.set(addr, (p = new Pool(`http://${addr}`, { connections: 16 })));
    return p;
  };

  const receive = async (req: IncomingMessage, body: Buffer): Promise<void> => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
    const handler = handlers.get(id);
    if (!handler) throw Object.assign(new Error(`no subscriber ${id} here`), { status: 404 });
    const header: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (!HOP.has(k) && typeof v === 'string') header[k] = v;
    const topic = header['micro-topic'] ?? '';
    await handler({ topic, message: { header, body }, ack: async () => {} });
  };

  /** Offers a message to one subscriber: `unreachable` means it certainly did not get it; an error, that it refused it. */
  const offer = async (
    addr: string,
    subId: string,
    message: BrokerMessage,
  ): Promise<'delivered' | 'unreachable' | 'failed' | MicroError> => {
    try {
      const res = await (
        await pool(addr)
      ).request({
        method: 'POST',
        path: `/_sub?id=${encodeURIComponent(subId)}`,
        headers: message.header,
        body: message.body,
        headersTimeout: 30_000,
      });
      if (res.statusCode === 401 || res.statusCode === 403)
        return parseError(await res.body.text(), 'micro.broker'); // refused: the publisher is told
      await res.body.dump();
      if (res.statusCode === 200) return 'delivered';
      return res.statusCode === 404 ? 'unreachable' : 'failed';
    } catch (err) {
      const code = (err as { code?: string }).code;
      return code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT'
        ? 'unreachable'
        : 'failed';
    }
  };

  const broker: Broker = {
    name: 'http',
    get address() {
      return address;
    },
    async connect() {
      if (server) return;
      const { host, port } = parseAddress(options.address ?? '127.0.0.1:0');
      const s = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          receive(req, Buffer.concat(chunks)).then(
            () => res.writeHead(200).end(),
            (err: unknown) => {
              // The error's numeric code (a refusal is a 401 or 403), in the error shape.
              const e = toMicroError(err, 'micro.broker');
              const code = e.code >= 400 && e.code <= 599 ? e.code : 500;
              res
                .writeHead(code, { 'content-type': 'application/json' })
                .end(JSON.stringify(e.toJSON()));
            },
          );
        });
      });
      await new Promise<void>((resolve, reject) =>
        s.once('error', reject).listen(port, host, () => resolve()),
      );
      const bound = s.address();
      address = typeof bound === 'object' && bound ? formatAddress(bound.address, bound.port) : '';
      server = s;
      heartbeat = setInterval(() => {
        for (const svc of registrations.values())
          void registry.register(svc, { ttl }).catch(() => undefined);
      }, options.interval ?? 10_000);
      heartbeat.unref();
    },
    async disconnect() {
      clearInterval(heartbeat);
      for (const svc of registrations.values())
        await registry.deregister(svc).catch(() => undefined);
      registrations.clear();
      handlers.clear();
      selector.close();
      await Promise.all([...pools.values()].map((p) => p.close()));
      pools.clear();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server?.close(() => r()));
      }
      server = undefined;
    },
    async publish(topic, message) {
      checkTopic(topic);
      let groups: Service[] = [];
      try {
        await selector.select(topicService(topic), {
          strategy: (services) => {
            groups = services;
            return () => services[0]?.nodes[0] as never;
          },
        });
      } catch {
        return; // no subscribers: the message is dropped (at most once)
      }
      const withTopic = { header: { ...message.header, 'micro-topic': topic }, body: message.body };
      // Refused by every subscriber that answered (auth on, no rule): the publisher gets the 401/403.
      let refused: MicroError | undefined;
      let reached = false;
      const deliver = async (addr: string, id: string, m: BrokerMessage) => {
        const result = await offer(addr, id, m);
        if (typeof result === 'object') refused ??= result;
        else if (result !== 'unreachable') reached = true;
        return result;
      };
      await Promise.all(
        groups.map(async (group) => {
          if (group.version === BROADCAST) {
            await Promise.all(group.nodes.map((n) => deliver(n.address, n.id, withTopic)));
            return;
          }
          const nodes = [...group.nodes].sort(() => Math.random() - 0.5);
          // Another member is tried only when this one certainly did not get the message:
          // a handler that failed part-way is not run again elsewhere (at most once).
          for (const n of nodes) {
            const result = await deliver(n.address, n.id, withTopic);
            if (result !== 'unreachable') return;
            selector.mark(topicService(topic), n, new Error('subscriber unreachable'));
          }
        }),
      );
      if (refused && !reached) throw refused;
    },
    async subscribe(topic, handler, opts = {}) {
      checkTopic(topic);
      if (!server) await broker.connect();
      const id = randomUUID();
      const svc: Service = {
        name: topicService(topic),
        version: opts.queue ?? BROADCAST,
        metadata: {},
        endpoints: [],
        nodes: [
          {
            id,
            address,
            metadata: { broker: 'http', topic, ...(opts.queue ? { queue: opts.queue } : {}) },
          },
        ],
      };
      handlers.set(id, handler);
      registrations.set(id, svc);
      await registry.register(svc, { ttl });
      return {
        topic,
        queue: opts.queue,
        unsubscribe: async () => {
          handlers.delete(id);
          registrations.delete(id);
          await registry.deregister(svc).catch(() => undefined);
        },
      };
    },
  };
  return broker;
}
