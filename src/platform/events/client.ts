// The `micro` events, every service's default: the Events interface served by the control plane's
// `events` service, called through a runtime Client (the service's own, or one made here that
// finds the control plane at `address`, 127.0.0.1:8000 by default). Guarantees are the served
// engine's (SQLite: durable once a publish resolved). Publishes made in the same turn to one topic
// go as one PublishMany (each caller still gets its own result; if the batch is refused, each is
// sent alone so that each gets its own answer). Acknowledgements made in one turn go as one Ack;
// an Ack that fails because the control plane is away is retried until it succeeds or the
// subscription stops, so a restart of the control plane does not redeliver handled events. A
// subscription whose stream breaks subscribes again (same group, with backoff) until stopped; an
// ephemeral one resumes after the last offset it saw.
import type { Client } from '../../runtime/client/client.ts';
import { type MicroError, toMicroError } from '../../runtime/errors.ts';
import { connect, CONTROL_PLANE_ADDRESS } from '../store/client.ts';
import type {
  EventInput,
  EventPage,
  Events,
  EventSubscription,
  GroupInfo,
  Published,
  TopicInfo,
} from './events.ts';
import { EVENTS_ID } from './errors.ts';
import { away, backoff, explain, refused, subscribeStream } from './subscription.ts';
import {
  checkEvent,
  checkEvents,
  checkName,
  checkPrefix,
  checkRead,
  checkRetention,
  checkStart,
  checkSubscribe,
  checkTopic,
} from './validate.ts';

/** Options of the control plane's events client. */
export interface MicroEventsOptions {
  /** The client to call through (a service's own); without it one is made for `address`. */
  client?: Client;
  /** The control plane's `host:port`, when no client is given (default 127.0.0.1:8000). */
  address?: string;
  /** The calling service's name, for the client made here (carried as `micro-from`). */
  from?: string;
  /** Ms a call waits for its answer (default 5,000). */
  timeout?: number;
}

/** Events that calls the control plane's `events` service. */
export function createMicroEvents(options: MicroEventsOptions = {}): Events {
  const address = options.address ?? CONTROL_PLANE_ADDRESS;
  const timeout = options.timeout ?? 5000;
  let own: Promise<Client> | undefined;
  const client = (): Promise<Client> =>
    options.client ? Promise.resolve(options.client) : (own ??= connect(address, options.from));
  const where = options.client ? 'the events service' : `the events service at ${address}`;
  const subscriptions = new Set<EventSubscription>();

  // A call that could not connect (a stale node of a control plane that was killed, say) sent
  // nothing: it goes again, with backoff, within the timeout.
  const call = async <T>(endpoint: string, body: object): Promise<T> => {
    const deadline = Date.now() + timeout;
    for (let attempt = 0; ; attempt++) {
      try {
        const left = Math.max(1, deadline - Date.now());
        return await (
          await client()
        ).call<T>('events', `Events.${endpoint}`, body, {
          timeout: left,
        });
      } catch (err) {
        const wait = backoff(attempt);
        if (!refused(err) || Date.now() + wait >= deadline)
          throw explain(toMicroError(err, EVENTS_ID), where);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  };

  // Publishes waiting for the end of this turn, by topic.
  type Waiting = {
    input: EventInput;
    resolve: (p: Published) => void;
    reject: (e: unknown) => void;
  };
  const queued = new Map<string, Waiting[]>();
  const publishOne = (topic: string, w: Waiting) =>
    call<Published>('Publish', { topic, ...w.input }).then(w.resolve, w.reject);
  const flush = (topic: string, list: Waiting[]): Promise<unknown> => {
    if (list.length === 1) return publishOne(topic, list[0]!);
    return call<{ published: Published[] }>('PublishMany', {
      topic,
      events: list.map((w) => w.input),
    }).then(
      (r) => list.forEach((w, i) => w.resolve(r.published[i]!)),
      (err: MicroError) => {
        // A refused batch stored nothing: each event alone gets its own answer.
        if (err.code >= 400 && err.code < 500 && !away(err))
          return Promise.all(list.map((w) => publishOne(topic, w)));
        for (const w of list) w.reject(err);
      },
    );
  };
  // Calls under way, which close() waits for.
  const sending = new Set<Promise<unknown>>();
  /** Sends what is queued for the topic now, in calls of at most 1,000. */
  const send = (topic: string): void => {
    const list = queued.get(topic);
    if (!list) return;
    queued.delete(topic);
    for (let i = 0; i < list.length; i += 1000) {
      const p = flush(topic, list.slice(i, i + 1000));
      sending.add(p);
      void p.finally(() => sending.delete(p));
    }
  };

  const events: Events = {
    name: 'micro',
    address,
    publish(topic, data, o = {}) {
      return new Promise<Published>((resolve, reject) => {
        // Checked here, so that a batch is refused only when the server is: each its own answer.
        checkTopic(topic);
        checkEvent(data, o);
        const input: EventInput = { ...o, data };
        let list = queued.get(topic);
        if (!list) {
          queued.set(topic, (list = []));
          setImmediate(() => send(topic));
        }
        list.push({ input, resolve, reject });
      });
    },
    async publishMany(topic, list) {
      checkTopic(topic);
      checkEvents(list);
      return (await call<{ published: Published[] }>('PublishMany', { topic, events: list }))
        .published;
    },
    async subscribe(topic, o = {}) {
      checkSubscribe(checkTopic(topic), o);
      const sub = await subscribeStream(topic, o, client, call, where, timeout);
      subscriptions.add(sub);
      const stop = sub.stop.bind(sub);
      sub.stop = async () => {
        subscriptions.delete(sub);
        await stop();
      };
      return sub;
    },
    async read(topic, o = {}) {
      checkTopic(topic);
      checkRead(o);
      return call<EventPage>('Read', { topic, ...o });
    },
    async topics(prefix) {
      if (prefix !== undefined) checkPrefix(prefix);
      return (await call<{ topics: TopicInfo[] }>('Topics', prefix === undefined ? {} : { prefix }))
        .topics;
    },
    async groups(topic) {
      if (topic !== undefined) checkTopic(topic);
      return (await call<{ groups: GroupInfo[] }>('Groups', topic === undefined ? {} : { topic }))
        .groups;
    },
    async seek(topic, group, start) {
      checkTopic(topic);
      checkName(group);
      checkStart(start);
      return call<GroupInfo>('Seek', { topic, group, start });
    },
    async deleteGroup(topic, group) {
      checkTopic(topic);
      checkName(group);
      return (await call<{ deleted: boolean }>('DeleteGroup', { topic, group })).deleted;
    },
    async configure(topic, retention) {
      checkTopic(topic);
      checkRetention(retention);
      return call<TopicInfo>('Configure', { topic, ...retention });
    },
    async close() {
      // Publishes made before the close are sent, and answered, first.
      for (const topic of [...queued.keys()]) send(topic);
      await Promise.allSettled([...sending]);
      await Promise.all([...subscriptions].map((s) => s.stop()));
      if (own) await (await own).close();
    },
  };
  return events;
}
