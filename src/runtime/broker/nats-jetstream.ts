import { natsConnection, natsServerCommand, serversOf } from '../../registry/servers.ts';
import type { ConsumerMessages, JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import { createHash } from 'node:crypto';
import { BrokerError, BrokerErrors, checkTopic, type Broker } from './broker.ts';
import { Reports } from './reports.ts';
import { topicSubject, type NatsBrokerOptions } from './nats.ts';

/** Options of the NATS JetStream broker. */
export interface JetStreamBrokerOptions extends Omit<NatsBrokerOptions, 'settle'> {
  /** The stream that keeps `<prefix>.>`; `MICRO_BROKER` by default, created when missing. */
  stream?: string;
  /** Milliseconds before an unacknowledged message is delivered again; 30000 by default. */
  redeliverAfter?: number;
}

const ACK_HEADER = 'micro-ack';
const nanos = (ms: number): number => ms * 1_000_000;

/**
 * Publish/subscribe over NATS JetStream. The stream keeps every message on `<prefix>.>` (prefix
 * `micro.jetstream` by default: it must not overlap a core NATS broker's subjects, whose replies the
 * stream's publish acknowledgements would confuse). A subscriber without a queue gets an ephemeral
 * consumer of its own, a queue group one durable consumer (named after the queue and topic) that its
 * members share and that outlives them.
 *
 * Delivery is at least once: a message is acknowledged when the handler resolves (or by the
 * handler's `ack()` with `autoAck: false`); one whose handler fails is delivered again a second
 * later, and one not acknowledged within `redeliverAfter` ms again then. Publish resolves once the
 * stream stored the message and every consumer of its subject tried it once (each reports on a reply
 * subject named in the `micro-ack` header), or after `ackWait` ms at most; a durable group whose
 * members are all away makes publishes to its topic wait that long. Each publish lists the stream's
 * consumers to know how many reports to wait for.
 */
export function createJetStreamBroker(options: JetStreamBrokerOptions = {}): Broker {
  const hosts = serversOf(options, '127.0.0.1:4222');
  const address = hosts.join(',');
  const prefix = options.prefix || 'micro.jetstream';
  const stream = options.stream ?? 'MICRO_BROKER';
  const ackWait = options.ackWait ?? 5000;
  const redeliverAfter = options.redeliverAfter ?? 30_000;
  let nc: NatsConnection | undefined;
  let js: JetStreamClient | undefined;
  let jsm: JetStreamManager | undefined;
  let inbox = '';
  const reports = new Reports();
  const live = new Set<ConsumerMessages>();

  const ready = (): { conn: NatsConnection; js: JetStreamClient; jsm: JetStreamManager } => {
    if (!nc || nc.isClosed() || !js || !jsm)
      throw new BrokerError(
        BrokerErrors.notConnected,
        `JetStream broker at ${address} is not connected`,
      );
    return { conn: nc, js, jsm };
  };

  return {
    name: 'jetstream',
    address,
    async connect() {
      if (nc && !nc.isClosed()) return;
      const { connect, createInbox } = await import('nats');
      const conn = await connect(
        natsConnection(hosts, options.timeout ?? 5000, 'micro-broker'),
      ).catch((err: Error) => {
        throw new BrokerError(
          BrokerErrors.notConnected,
          `no answer from NATS at ${address} (${err.message}); start nats-server with JetStream (${natsServerCommand(hosts, true)})`,
        );
      });
      let manager: JetStreamManager;
      try {
        manager = await conn.jetstreamManager();
        await manager.streams.info(stream).catch(async () => {
          await manager.streams
            .add({ name: stream, subjects: [`${prefix}.>`] })
            .catch(async (e) => {
              // another broker made it meanwhile
              await manager.streams.info(stream).catch(() => Promise.reject(e as Error));
            });
        });
      } catch (err) {
        await conn.close();
        throw new BrokerError(
          BrokerErrors.notConnected,
          `no JetStream stream ${stream} at ${address} (${(err as Error).message}); start nats-server with -js`,
          { cause: err },
        );
      }
      inbox = createInbox();
      conn.subscribe(`${inbox}.*`, {
        callback: (err, msg) => {
          if (err) return;
          reports.report(Number(msg.subject.slice(inbox.length + 1)), msg.string());
        },
      });
      await conn.flush();
      nc = conn;
      jsm = manager;
      js = conn.jetstream();
    },
    async disconnect() {
      const conn = nc;
      nc = undefined;
      for (const m of [...live]) m.stop();
      live.clear();
      reports.endAll();
      if (conn && !conn.isClosed()) await conn.drain().catch(() => conn.close());
    },
    async publish(topic, message) {
      checkTopic(topic);
      const { js: client, jsm: manager } = ready();
      const { headers: makeHeaders } = await import('nats');
      const subject = topicSubject(prefix, topic);
      let expected = 0;
      for await (const c of manager.consumers.list(stream))
        if (c.config.filter_subject === subject) expected++;
      // Each consumer (one per queue group or subscriber) reports once it tried the message.
      const { id, done } = reports.expect((seen) => seen.size >= expected, ackWait);
      const headers = makeHeaders();
      for (const [k, v] of Object.entries(message.header)) headers.set(k, v);
      headers.set(ACK_HEADER, `${inbox}.${id}`);
      await client.publish(subject, message.body, { headers });
      await done;
    },
    async subscribe(topic, handler, opts = {}) {
      checkTopic(topic);
      const { conn, js: client, jsm: manager } = ready();
      const { AckPolicy, DeliverPolicy } = await import('nats');
      const subject = topicSubject(prefix, topic);
      const durable = opts.queue
        ? `${opts.queue.replace(/[^A-Za-z0-9_-]/g, '_')}_${createHash('sha256').update(subject).digest('hex').slice(0, 16)}`
        : undefined;
      const info = await manager.consumers.add(stream, {
        ...(durable ? { durable_name: durable } : { inactive_threshold: nanos(60_000) }),
        filter_subject: subject,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.New,
        ack_wait: nanos(redeliverAfter),
      });
      const consumer = await client.consumers.get(stream, info.name);
      const autoAck = opts.autoAck ?? true;
      const messages = await consumer.consume({
        max_messages: 8,
        callback: (m) => {
          const header: Record<string, string> = {};
          let ackTo = '';
          for (const k of m.headers?.keys() ?? []) {
            if (k === ACK_HEADER) ackTo = m.headers?.get(k) ?? '';
            else header[k] = m.headers?.get(k) ?? '';
          }
          void Promise.resolve()
            .then(() =>
              handler({
                topic,
                message: { header, body: Buffer.from(m.data) },
                ack: async () => void m.ack(),
              }),
            )
            .then(
              () => autoAck && m.ack(),
              () => m.nak(1000),
            )
            .then(() => {
              if (ackTo && !m.redelivered && !conn.isClosed()) conn.publish(ackTo, info.name);
            });
        },
      });
      live.add(messages);
      return {
        topic,
        queue: opts.queue,
        unsubscribe: async () => {
          live.delete(messages);
          messages.stop();
          // A queue group's durable consumer stays for its members to come back to.
          if (!durable) await manager.consumers.delete(stream, info.name).catch(() => undefined);
        },
      };
    },
  };
}
