import { natsConnection, natsServerCommand, serversOf } from '../../registry/servers.ts';
import type { NatsConnection, Subscription as NatsSubscription } from 'nats';
import type {
  Broker,
  BrokerHandler,
  BrokerMessage,
  SubscribeOptions,
  Subscription,
} from './broker.ts';
import { BrokerError, BrokerErrors, checkTopic } from './broker.ts';

/** Options of the NATS broker. */
export interface NatsBrokerOptions {
  /** `host:port` of one NATS server; joins `addresses`. 127.0.0.1:4222 when neither is given. */
  address?: string;
  addresses?: string[];
  /** Subject prefix: topic `t` travels on `<prefix>.t`; `micro.broker` by default, '' for none. */
  prefix?: string;
  /** Milliseconds to connect; 5000 by default. */
  timeout?: number;
  /**
   * Milliseconds a publish waits, after the last subscriber's acknowledgement, for more; 20 by
   * default. 0 turns acknowledgements off: publish then resolves once the server has the message.
   */
  settle?: number;
  /** Upper bound, in milliseconds, of a publish's wait for acknowledgements; 5000 by default. */
  ackWait?: number;
}

/**
 * Maps a topic to a NATS subject token sequence: characters subjects cannot carry (wildcards,
 * `%`, control and non-ASCII characters) become `%XX`, and dots stay token separators unless they
 * would leave an empty token, in which case they are escaped too.
 */
export function topicSubject(prefix: string, topic: string): string {
  const escape = (s: string, dots: boolean): string =>
    Array.from(Buffer.from(s, 'utf8'))
      .map((b) => {
        const c = String.fromCharCode(b);
        if (c === '.' && !dots) return c;
        return /[A-Za-z0-9_\-=:/+@~!#$&'()[\]{}|^,;?<]/.test(c) && b < 128
          ? c
          : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
      })
      .join('');
  const emptyToken = topic.split('.').some((t) => t === '');
  const subject = escape(topic, emptyToken);
  return prefix === '' ? subject : `${prefix}.${subject}`;
}

/**
 * Publish/subscribe over core NATS: a topic is the subject `<prefix>.<topic>`, a queue group a NATS
 * queue subscription, the header map NATS message headers and the body the payload.
 *
 * Delivery is at most once: core NATS keeps nothing, so a subscriber that is away, slow beyond its
 * connection's limits or cut off loses the message, and nothing is redelivered (`ack` does nothing).
 * Each message carries a reply subject; every subscriber that receives it answers once its handler
 * has settled (resolved or failed). Publish resolves when the server says no one listens, or `settle`
 * ms after the last such answer, or after `ackWait` ms at most: so a publish returns once the
 * subscribers known to the server tried the message, though a handler slower than the others by
 * more than `settle` ms may still be running.
 */
export function createNatsBroker(options: NatsBrokerOptions = {}): Broker {
  const hosts = serversOf(options, '127.0.0.1:4222');
  const address = hosts.join(',');
  const prefix = options.prefix ?? 'micro.broker';
  const settle = options.settle ?? 20;
  const ackWait = options.ackWait ?? 5000;
  let nc: NatsConnection | undefined;
  let inbox = '';
  let seq = 0;
  /** Waiting publishes by reply id: called with true when no one listens. */
  const pending = new Map<number, (none: boolean) => void>();

  const connection = (): NatsConnection => {
    if (!nc || nc.isClosed())
      throw new BrokerError(
        BrokerErrors.notConnected,
        `NATS broker at ${address} is not connected`,
      );
    return nc;
  };

  return {
    name: 'nats',
    address,
    async connect() {
      if (nc && !nc.isClosed()) return;
      // nats loads in about 100 ms: on first use, not at import.
      const { connect, createInbox } = await import('nats');
      const conn = await connect(
        natsConnection(hosts, options.timeout ?? 5000, 'micro-broker'),
      ).catch((err: Error) => {
        throw new BrokerError(
          BrokerErrors.notConnected,
          `no answer from NATS at ${address} (${err.message}); start nats-server (${natsServerCommand(hosts)})`,
        );
      });
      inbox = createInbox();
      conn.subscribe(`${inbox}.*`, {
        callback: (err, msg) => {
          if (err) return;
          const id = Number(msg.subject.slice(inbox.length + 1));
          // The server's "no responders" status: an empty message with code 503.
          pending.get(id)?.(msg.data.length === 0 && msg.headers?.code === 503);
        },
      });
      await conn.flush();
      nc = conn;
    },
    async disconnect() {
      const conn = nc;
      nc = undefined;
      for (const done of [...pending.values()]) done(true);
      if (conn && !conn.isClosed()) await conn.drain().catch(() => conn.close());
    },
    async publish(topic: string, message: BrokerMessage) {
      checkTopic(topic);
      const conn = connection();
      const { headers: makeHeaders } = await import('nats');
      const headers = makeHeaders();
      for (const [k, v] of Object.entries(message.header)) headers.set(k, v);
      const subject = topicSubject(prefix, topic);
      if (settle <= 0) {
        conn.publish(subject, message.body, { headers });
        await conn.flush();
        return;
      }
      const id = ++seq;
      const done = new Promise<void>((resolve) => {
        let quiet: NodeJS.Timeout | undefined;
        const finish = (): void => {
          clearTimeout(quiet);
          clearTimeout(bound);
          pending.delete(id);
          resolve();
        };
        const bound = setTimeout(finish, ackWait);
        pending.set(id, (none) => {
          if (none) return finish();
          clearTimeout(quiet);
          quiet = setTimeout(finish, settle);
        });
      });
      conn.publish(subject, message.body, { headers, reply: `${inbox}.${id}` });
      await conn.flush();
      await done;
    },
    async subscribe(
      topic: string,
      handler: BrokerHandler,
      opts: SubscribeOptions = {},
    ): Promise<Subscription> {
      checkTopic(topic);
      const conn = connection();
      const sub: NatsSubscription = conn.subscribe(topicSubject(prefix, topic), {
        ...(opts.queue ? { queue: opts.queue } : {}),
        callback: (err, msg) => {
          if (err) return;
          const header: Record<string, string> = {};
          for (const k of msg.headers?.keys() ?? []) header[k] = msg.headers?.get(k) ?? '';
          void Promise.resolve()
            .then(() =>
              handler({
                topic,
                message: { header, body: Buffer.from(msg.data) },
                ack: async () => {},
              }),
            )
            .catch(() => undefined) // a failed handler is a failed delivery, not the broker's
            .then(() => {
              if (msg.reply && !conn.isClosed()) msg.respond();
            });
        },
      });
      // The server knows of the subscription before this resolves.
      await conn.flush();
      return {
        topic,
        queue: opts.queue,
        unsubscribe: async () => {
          if (conn.isClosed()) return;
          sub.unsubscribe();
          await conn.flush();
        },
      };
    },
  };
}
