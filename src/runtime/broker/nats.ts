import { natsConnection, natsServerCommand, serversOf } from '../../registry/servers.ts';
import { randomUUID } from 'node:crypto';
import type { Msg, NatsConnection, Subscription as NatsSubscription } from 'nats';
import { BrokerError, BrokerErrors, checkTopic, type Broker } from './broker.ts';
import {
  InterestTable,
  interestKey,
  parseInterests,
  type Interest,
  type InterestNotice,
} from './nats-interest.ts';
import { Reports } from './reports.ts';

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
   * Milliseconds connect waits, after the last other broker's answer, for more (brokers on the
   * same prefix tell a new one what they subscribe to); 20 by default. 0 turns acknowledgements
   * off: publish then resolves once the server has the message.
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
 * has settled (resolved or failed). Brokers announce their subscriptions on `<prefix>.$interest`
 * (and tell a new broker theirs when it connects), so a publish knows whose answers to expect: it
 * resolves once every subscription (or queue group) known when the server took the message has
 * answered, at once when the server says no one listens, or after `ackWait` ms at most (a
 * subscription silent that long is forgotten until it answers or is announced again).
 */
export function createNatsBroker(options: NatsBrokerOptions = {}): Broker {
  const hosts = serversOf(options, '127.0.0.1:4222');
  const address = hosts.join(',');
  const prefix = options.prefix ?? 'micro.broker';
  const settle = options.settle ?? 20;
  const ackWait = options.ackWait ?? 5000;
  const interestSubject = prefix === '' ? '$interest' : `${prefix}.$interest`;
  const helloSubject = `${interestSubject}.hello`;
  const brokerId = randomUUID();
  let nc: NatsConnection | undefined;
  let inbox = '';
  let subSeq = 0;
  const table = new InterestTable();
  /** This broker's subscriptions, as announced. */
  const own = new Map<string, Interest>();
  const reports = new Reports();
  /** Waiting publishes by id: the subject, and the keys expected once the marker is back. */
  const waits = new Map<number, Wait>();
  /** The wait for other brokers' answers to a hello: called with true when no one answers. */
  let helloAnswered: ((none: boolean) => void) | undefined;

  const connection = (): NatsConnection => {
    if (!nc || nc.isClosed())
      throw new BrokerError(
        BrokerErrors.notConnected,
        `NATS broker at ${address} is not connected`,
      );
    return nc;
  };

  const learn = (interests: Interest[] | undefined): void => {
    for (const i of interests ?? []) table.add(i);
  };

  const forget = (gone: Interest): void => {
    if (!table.delete(gone)) return;
    // Publishes waiting for this key's answer stop waiting for it.
    for (const [id, wait] of waits)
      if (wait.subject === gone.subject && wait.expected?.delete(gone.key)) reports.report(id, '');
  };

  const notice = (conn: NatsConnection, op: 'add' | 'del', i: Interest): void => {
    conn.publish(interestSubject, JSON.stringify({ op, ...i }));
  };

  /** Asks the other brokers what they subscribe to; resolves `settle` ms after the last answer. */
  const hello = (conn: NatsConnection): Promise<void> =>
    new Promise((resolve) => {
      let quiet: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearTimeout(quiet);
        clearTimeout(bound);
        helloAnswered = undefined;
        resolve();
      };
      const bound = setTimeout(finish, ackWait);
      helloAnswered = (none) => {
        clearTimeout(quiet);
        if (none) finish();
        else quiet = setTimeout(finish, settle);
      };
      conn.publish(helloSubject, brokerId, { reply: `${inbox}.h` });
    });

  const onInbox = (msg: Msg): void => {
    const token = msg.subject.slice(inbox.length + 1);
    // The server's "no responders" status: an empty message with code 503.
    const none = msg.data.length === 0 && msg.headers?.code === 503;
    if (token === 'h') {
      if (!none) learn(parseInterests(msg.data));
      helloAnswered?.(none);
      return;
    }
    const marker = token.startsWith('m');
    const id = Number(marker ? token.slice(1) : token);
    const wait = waits.get(id);
    if (marker) {
      // Everything announced before the marker came back was subscribed before the message went.
      if (wait) wait.expected = table.keys(wait.subject);
      reports.report(id, '');
    } else if (none) {
      if (wait) wait.none = true;
      reports.report(id, '*');
    } else {
      const [answer] = parseInterests(msg.data) ?? [];
      if (!answer) return;
      if (!table.has(answer.subject, answer.key)) table.add(answer);
      reports.report(id, answer.key);
    }
  };

  return {
    name: 'nats',
    address,
    async connect() {
      if (nc && !nc.isClosed()) return;
      // nats loads in about 100 ms: on first use, not at import.
      const { connect, createInbox, Events } = await import('nats');
      const conn = await connect(
        natsConnection(hosts, options.timeout ?? 5000, 'micro-broker'),
      ).catch((err: Error) => {
        throw new BrokerError(
          BrokerErrors.notConnected,
          `no answer from NATS at ${address} (${err.message}); start nats-server (${natsServerCommand(hosts)})`,
        );
      });
      inbox = createInbox();
      conn.subscribe(`${inbox}.*`, { callback: (err, msg) => err || onInbox(msg) });
      if (settle > 0) {
        conn.subscribe(interestSubject, {
          callback: (err, msg) => {
            if (err) return;
            const [i] = parseInterests(msg.data) ?? [];
            const op = (i as Partial<InterestNotice> | undefined)?.op;
            if (i && op === 'add') table.add(i);
            else if (i && op === 'del') forget(i);
          },
        });
        await conn.flush();
        await hello(conn);
        // Answered only once this broker's own hello is: alone, it gets "no responders" at once.
        conn.subscribe(helloSubject, {
          callback: (err, msg) => {
            if (!err && msg.string() !== brokerId) msg.respond(JSON.stringify([...own.values()]));
          },
        });
        void (async () => {
          for await (const s of conn.status()) {
            if (s.type !== Events.Reconnect) continue;
            // The server may have restarted: announce again, and ask again.
            for (const i of own.values()) notice(conn, 'add', i);
            await hello(conn);
          }
        })().catch(() => undefined);
      }
      await conn.flush();
      nc = conn;
    },
    async disconnect() {
      const conn = nc;
      nc = undefined;
      if (conn && !conn.isClosed()) for (const i of own.values()) notice(conn, 'del', i);
      own.clear();
      reports.endAll();
      helloAnswered?.(true);
      if (conn && !conn.isClosed()) await conn.drain().catch(() => conn.close());
    },
    async publish(topic, message) {
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
      const wait: Wait = { subject, seen: new Set() };
      const { id, done } = reports.expect((seen) => {
        wait.seen = seen;
        return wait.expected !== undefined && [...wait.expected].every((k) => seen.has(k));
      }, ackWait);
      waits.set(id, wait);
      // The marker comes back after every announcement the server had before the message.
      conn.publish(`${inbox}.m${id}`);
      conn.publish(subject, message.body, { headers, reply: `${inbox}.${id}` });
      await done;
      waits.delete(id);
      // Expected keys that never answered are gone (their process died without saying so).
      if (nc === conn && wait.expected) {
        const silent = [...wait.expected].filter((k) => !wait.seen.has(k));
        if (wait.none || silent.length > 0) table.drop(subject, silent);
      }
    },
    async subscribe(topic, handler, opts = {}) {
      checkTopic(topic);
      const conn = connection();
      const subject = topicSubject(prefix, topic);
      const member = `${brokerId}.${++subSeq}`;
      const interest: Interest = { subject, key: interestKey(member, opts.queue), member };
      const answer = JSON.stringify(interest);
      const sub: NatsSubscription = conn.subscribe(subject, {
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
              if (msg.reply && !conn.isClosed()) msg.respond(answer);
            });
        },
      });
      own.set(member, interest);
      table.add(interest);
      notice(conn, 'add', interest);
      // The server, and every broker connected, know of the subscription before this resolves.
      await conn.flush();
      return {
        topic,
        queue: opts.queue,
        unsubscribe: async () => {
          if (conn.isClosed() || !own.delete(member)) return;
          sub.unsubscribe();
          notice(conn, 'del', interest);
          forget(interest);
          await conn.flush();
        },
      };
    },
  };
}

/** A publish waiting for answers. */
interface Wait {
  subject: string;
  /** The keys to hear from, known once the publish's marker is back. */
  expected?: Set<string>;
  seen: ReadonlySet<string>;
  /** The server said no one listens. */
  none?: boolean;
}
