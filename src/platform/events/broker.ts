// The runtime's durable broker made of Events: what the platform's createService gives a service
// as ServiceOptions.durable, so that `subscribe(topic, fn, {durable: true})` and
// `client.publish(topic, msg, {durable: true, key})` use the platform's events (at least once)
// beside the at-most-once broker. A message is stored as its JSON value (other content types as
// base64 text, with their `content-type` kept in the metadata) with its header as metadata
// (`micro-from` the publishing service); a subscriber gets it back as a broker message, with
// `micro-event-offset`, `micro-event-id` and `micro-event-attempt` in its header. Each durable
// subscription runs its subscriber on one event at a time, in delivery order: acknowledged when it
// resolves, nacked (delivered again) when it throws, after a delay that starts at 100 ms and
// doubles with each attempt up to 10 s. Stopping lets the running one finish first.
import type {
  Broker,
  BrokerEvent,
  BrokerHandler,
  BrokerMessage,
  SubscribeOptions,
  Subscription,
} from '../../runtime/broker/broker.ts';
import type { Delivery, Events, EventSubscribeOptions } from './events.ts';

const JSON_TYPE = 'application/json';
const NAME = /^[A-Za-z0-9._-]{1,128}$/;
/** Header entries the event itself carries (its topic), or that are set again on delivery. */
const OWN = new Set(['micro-topic', 'micro-from-service', 'content-type']);

const isJson = (type: string | undefined) => !type || type.split(';')[0]!.trim() === JSON_TYPE;

/** A broker message as an event's data and metadata. */
function toEvent(message: BrokerMessage): { data: unknown; metadata: Record<string, string> } {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.header))
    if (!OWN.has(k) && NAME.test(k)) metadata[k] = v;
  const from = message.header['micro-from-service'];
  if (from) metadata['micro-from'] = from;
  const type = message.header['content-type'];
  if (isJson(type)) {
    const text = Buffer.from(message.body).toString('utf8');
    return { data: text === '' ? null : (JSON.parse(text) as unknown), metadata };
  }
  metadata['content-type'] = type!;
  return { data: Buffer.from(message.body).toString('base64'), metadata };
}

/** A delivery as the broker message it was published as. */
function toMessage(d: Delivery): BrokerMessage {
  const type = d.metadata['content-type'];
  const json = isJson(type);
  const body = json
    ? Buffer.from(JSON.stringify(d.data) ?? 'null')
    : Buffer.from(String(d.data), 'base64');
  return {
    header: {
      ...d.metadata,
      'micro-topic': d.topic,
      'content-type': json ? JSON_TYPE : type!,
      'micro-from-service': d.metadata['micro-from'] ?? '',
      'micro-event-offset': String(d.offset),
      'micro-event-id': d.id,
      'micro-event-attempt': String(d.attempt),
    },
    body,
  };
}

/** A Broker over the Events `events()` gives (made on first use); disconnect ends its subscriptions, not the Events. */
export function eventsBroker(events: () => Events): Broker {
  let made: Events | undefined;
  const get = () => (made ??= events());
  const live = new Set<Subscription>();
  return {
    name: 'events',
    get address() {
      return made?.address ?? '';
    },
    async connect() {},
    async disconnect() {
      await Promise.all([...live].map((s) => s.unsubscribe()));
    },
    async publish(topic, message, options) {
      const { data, metadata } = toEvent(message);
      await get().publish(topic, data, {
        ...(options?.key !== undefined && { key: options.key }),
        ...(Object.keys(metadata).length > 0 && { metadata }),
      });
    },
    async subscribe(topic, handler, options = {}) {
      const sub = await get().subscribe(topic, subscribeOptions(options));
      let stopping = false;
      const running = consume(sub, handler, options.autoAck !== false, () => stopping);
      const subscription: Subscription = {
        topic,
        queue: sub.group,
        async unsubscribe() {
          if (!live.delete(subscription)) return;
          stopping = true;
          await running.current;
          await sub.stop();
        },
      };
      live.add(subscription);
      return subscription;
    },
  };
}

/** The Events options of a durable subscription: its own, its group the one it names or its queue. */
function subscribeOptions(o: SubscribeOptions): EventSubscribeOptions {
  const given = (o.durable ?? {}) as EventSubscribeOptions;
  const group = given.group ?? o.queue;
  return { ...given, ...(group !== undefined && { group }) };
}

/** Ms before a failed delivery is delivered again: 100 ms doubling per attempt, at most 10 s. */
export const retryDelay = (attempt: number): number =>
  Math.min(10_000, 100 * 2 ** Math.min(Math.max(attempt - 1, 0), 10));

/** Runs the handler on each delivery in turn; `current` is the one running, if any. */
function consume(
  sub: AsyncIterable<Delivery>,
  handler: BrokerHandler,
  autoAck: boolean,
  stopping: () => boolean,
): { current: Promise<void> } {
  const state = { current: Promise.resolve() };
  void (async () => {
    for await (const d of sub) {
      if (stopping()) break;
      const event: BrokerEvent = { topic: d.topic, message: toMessage(d), ack: () => d.ack() };
      state.current = (async () => {
        try {
          await handler(event);
          if (autoAck) d.ack().catch(() => undefined);
        } catch {
          // Delivered again (or dead-lettered past maxDeliveries); the server logged the failure.
          d.nack(retryDelay(d.attempt)).catch(() => undefined);
        }
      })();
      await state.current;
    }
  })();
  return state;
}
