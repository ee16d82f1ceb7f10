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
import type { Client, ClientStream } from '../../runtime/client/client.ts';
import { MicroError, serviceUnavailable, toMicroError } from '../../runtime/errors.ts';
import { connect, CONTROL_PLANE_ADDRESS } from '../store/client.ts';
import { Channel } from '../../registry/channel.ts';
import type {
  Delivery,
  EventInput,
  EventPage,
  Events,
  EventSubscribeOptions,
  EventSubscription,
  GroupInfo,
  Published,
  TopicInfo,
} from './events.ts';
import { EVENTS_ID } from './errors.ts';

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

type WireDelivery = Omit<Delivery, 'ack' | 'nack'>;
type Message = { ready: true; member: string } | { deliveries: WireDelivery[] };

/** True for a failure that says the events service was not reached: worth retrying later. */
const away = (err: MicroError): boolean =>
  err.code >= 500 || err.code === 408 || (err.code === 404 && err.id !== EVENTS_ID);

/** Resolves after `ms`, or at once when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

const backoff = (attempt: number) => Math.min(100 * 2 ** attempt, 5000);

/** Events that calls the control plane's `events` service. */
export function createMicroEvents(options: MicroEventsOptions = {}): Events {
  const address = options.address ?? CONTROL_PLANE_ADDRESS;
  const timeout = options.timeout ?? 5000;
  let own: Promise<Client> | undefined;
  const client = (): Promise<Client> =>
    options.client ? Promise.resolve(options.client) : (own ??= connect(address, options.from));
  const where = options.client ? 'the events service' : `the events service at ${address}`;
  const subscriptions = new Set<EventSubscription>();

  const call = async <T>(endpoint: string, body: object): Promise<T> => {
    try {
      return await (await client()).call<T>('events', `Events.${endpoint}`, body, { timeout });
    } catch (err) {
      throw explain(toMicroError(err, EVENTS_ID), where);
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
  const flush = (topic: string, list: Waiting[]) => {
    if (list.length === 1) return void publishOne(topic, list[0]!);
    call<{ published: Published[] }>('PublishMany', {
      topic,
      events: list.map((w) => w.input),
    }).then(
      (r) => list.forEach((w, i) => w.resolve(r.published[i]!)),
      (err: MicroError) => {
        // A refused batch stored nothing: each event alone gets its own answer.
        if (err.code >= 400 && err.code < 500 && !away(err))
          for (const w of list) void publishOne(topic, w);
        else for (const w of list) w.reject(err);
      },
    );
  };

  const events: Events = {
    name: 'micro',
    address,
    publish(topic, data, o = {}) {
      return new Promise<Published>((resolve, reject) => {
        const input: EventInput = { ...o, data };
        let list = queued.get(topic);
        if (!list) {
          queued.set(topic, (list = []));
          setImmediate(() => {
            queued.delete(topic);
            for (let i = 0; i < list!.length; i += 1000) flush(topic, list!.slice(i, i + 1000));
          });
        }
        list.push({ input, resolve, reject });
      });
    },
    async publishMany(topic, list) {
      return (await call<{ published: Published[] }>('PublishMany', { topic, events: list }))
        .published;
    },
    async subscribe(topic, o = {}) {
      const sub = await subscribeStream(topic, o, client, call, where);
      subscriptions.add(sub);
      const stop = sub.stop.bind(sub);
      sub.stop = async () => {
        subscriptions.delete(sub);
        await stop();
      };
      return sub;
    },
    read: (topic, o = {}) => call<EventPage>('Read', { topic, ...o }),
    async topics(prefix) {
      return (await call<{ topics: TopicInfo[] }>('Topics', prefix === undefined ? {} : { prefix }))
        .topics;
    },
    async groups(topic) {
      return (await call<{ groups: GroupInfo[] }>('Groups', topic === undefined ? {} : { topic }))
        .groups;
    },
    seek: (topic, group, start) => call<GroupInfo>('Seek', { topic, group, start }),
    async deleteGroup(topic, group) {
      return (await call<{ deleted: boolean }>('DeleteGroup', { topic, group })).deleted;
    },
    configure: (topic, retention) => call<TopicInfo>('Configure', { topic, ...retention }),
    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
      if (own) await (await own).close();
    },
  };
  return events;
}

/** Acknowledgements of one subscription, sent once per turn and retried while the service is away. */
class Acker {
  #offsets: number[] = [];
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #scheduled = false;
  #inFlight = new Set<Promise<void>>();
  readonly #send: (offsets: number[]) => Promise<unknown>;
  readonly #signal: AbortSignal;

  constructor(send: (offsets: number[]) => Promise<unknown>, signal: AbortSignal) {
    this.#send = send;
    this.#signal = signal;
  }

  ack(offset: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#offsets.push(offset);
      this.#waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Sends what is queued now: retried until it succeeds or the subscription stops. */
  flush(): Promise<void> {
    this.#scheduled = false;
    if (this.#offsets.length === 0) return Promise.all([...this.#inFlight]).then(() => undefined);
    const offsets = this.#offsets.splice(0);
    const waiters = this.#waiters.splice(0);
    const sending = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.#send(offsets);
          return waiters.forEach((w) => w.resolve());
        } catch (err) {
          const e = err as MicroError;
          if (!away(e) || this.#signal.aborted) return waiters.forEach((w) => w.reject(e));
          await pause(backoff(attempt), this.#signal);
        }
      }
    })();
    this.#inFlight.add(sending);
    void sending.finally(() => this.#inFlight.delete(sending));
    return Promise.all([...this.#inFlight]).then(() => undefined);
  }
}

/** A subscription over the `Events.Subscribe` stream, subscribing again whenever it breaks. */
async function subscribeStream(
  topic: string,
  o: EventSubscribeOptions,
  client: () => Promise<Client>,
  call: <T>(endpoint: string, body: object) => Promise<T>,
  where: string,
): Promise<EventSubscription> {
  const group = o.group;
  const stopped = new AbortController();
  let stream: ClientStream<object, Message> | undefined;
  // Deliveries received and not yet handed to the caller: released at once when it stops.
  const unread = new Set<number>();
  let closing: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (closing ??= (async () => {
      channel.close();
      // What was handled before the stop is acknowledged first (one try); what was never handed
      // out goes back to the group at once rather than after its ackTimeout.
      const acks = acker.flush();
      stopped.abort();
      const left = [...unread];
      unread.clear();
      if (group !== undefined && left.length > 0)
        await call('Nack', { topic, group, offsets: left }).catch(() => undefined);
      await acks.catch(() => undefined);
      stream?.close();
    })());
  const channel = new Channel<Delivery>(() => void shutdown());
  const acker = new Acker((offsets) => call('Ack', { topic, group, offsets }), stopped.signal);
  let last = 0;
  const request = (): object => {
    // An ephemeral subscription resumes after what it saw; a group keeps its own position.
    const start = group === undefined && last > 0 ? { offset: last + 1 } : o.start;
    return { topic, ...o, ...(start !== undefined && { start }) };
  };
  const delivery = (d: WireDelivery): Delivery => ({
    ...d,
    ack: () => (group === undefined ? Promise.resolve() : acker.ack(d.offset)),
    nack: async (delay) => {
      if (group === undefined) return;
      await call('Nack', { topic, group, offsets: [d.offset], ...(delay && { delay }) });
    },
  });

  let live!: () => void;
  let failed!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => ((live = resolve), (failed = reject)));
  let first = true;
  void (async () => {
    for (let attempt = 0; !channel.closed; attempt++) {
      try {
        const s = await (await client()).stream<object, Message>('events', 'Events.Subscribe');
        stream = s;
        if (channel.closed) return s.close();
        s.send(request());
        s.end();
        for await (const m of s) {
          if ('ready' in m) {
            first = false;
            attempt = 0;
            live();
          } else
            for (const d of m.deliveries) {
              last = Math.max(last, d.offset);
              if (group !== undefined) unread.add(d.offset);
              channel.push(delivery(d));
            }
        }
        if (first) throw serviceUnavailable(EVENTS_ID, 'the subscription ended before it was live');
      } catch (err) {
        const e = explain(toMicroError(err, EVENTS_ID), where);
        // A refused subscription will be refused again; the first failure is the caller's.
        if (first || (e.code < 500 && !away(e))) {
          failed(e);
          return channel.close();
        }
      }
      if (!channel.closed) await pause(backoff(attempt), stopped.signal);
    }
  })();
  await ready;
  return {
    topic,
    group,
    stop: shutdown,
    [Symbol.asyncIterator]() {
      const it = channel[Symbol.asyncIterator]();
      return {
        async next() {
          if (closing) return { done: true, value: undefined };
          const r = await it.next();
          if (!r.done) unread.delete(r.value.offset);
          return r;
        },
        async return() {
          await shutdown();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** The events' own errors as they were raised; failures to reach it say where and what to do. */
function explain(err: MicroError, where: string): MicroError {
  if (err.id === EVENTS_ID || !away(err)) return err;
  const hint = /micro run/.test(err.detail)
    ? ''
    : '; start the control plane with "micro run", or set MICRO_EVENTS and MICRO_EVENTS_ADDRESS';
  return serviceUnavailable(EVENTS_ID, `no answer from ${where} (${err.detail})${hint}`);
}
